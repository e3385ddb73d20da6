package dev.firebreak.launcher.ops;

import static dev.firebreak.launcher.ops.OpsFiles.list;
import static dev.firebreak.launcher.ops.OpsFiles.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The compose registry keeps its schemas on disk: a restart must not renumber the ids that records
 * already in Kafka carry. Apicurio's SQL storage in its own PostgreSQL, whose data is a named volume.
 */
class ComposeRegistryTest {

    @Test
    void theRegistryStoresSchemasInItsOwnPostgresOnANamedVolume() throws IOException {
        Map<String, Object> compose = OpsFiles.yaml(OpsFiles.root().resolve("docker-compose.yml"));
        Map<String, Object> services = map(compose.get("services"));
        Map<String, Object> registry = map(services.get("registry"));

        assertThat((String) registry.get("image")).as("not the in-memory image")
                .startsWith("apicurio/apicurio-registry-sql:").doesNotContain("-mem");
        String url = (String) map(registry.get("environment")).get("REGISTRY_DATASOURCE_URL");
        assertThat(url).startsWith("jdbc:postgresql://registry-db:");
        assertThat(map(registry.get("depends_on"))).containsKey("registry-db");

        Map<String, Object> db = map(services.get("registry-db"));
        String volume = list(db.get("volumes")).stream().map(String::valueOf)
                .filter(v -> v.endsWith(":/var/lib/postgresql/data")).findFirst().orElseThrow();
        assertThat(map(compose.get("volumes"))).as("a named volume, kept by docker compose down")
                .containsKey(volume.split(":")[0]);
        assertThat(url).endsWith("/" + map(db.get("environment")).get("POSTGRES_DB"));
    }
}
