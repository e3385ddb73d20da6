package dev.firebreak.launcher.ops;

import static dev.firebreak.launcher.ops.OpsFiles.list;
import static dev.firebreak.launcher.ops.OpsFiles.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The compose registry keeps its schemas on disk: a restart must not renumber the ids that records
 * already in Kafka carry. Apicurio's SQL storage in its own PostgreSQL, whose data is a named volume
 * (Apicurio 3's setting names: the 2.x REGISTRY_DATASOURCE_* ones would be ignored).
 */
class ComposeRegistryTest {

    @Test
    void theRegistryStoresSchemasInItsOwnPostgresOnANamedVolume() throws IOException {
        Map<String, Object> compose = OpsFiles.yaml(OpsFiles.root().resolve("docker-compose.yml"));
        Map<String, Object> services = map(compose.get("services"));
        Map<String, Object> registry = map(services.get("registry"));

        assertThat((String) registry.get("image")).as("Apicurio 3: one image, storage chosen by the environment")
                .startsWith("apicurio/apicurio-registry:3.").doesNotContain("-mem").doesNotContain("-sql");
        Map<String, Object> env = map(registry.get("environment"));
        assertThat(env).as("SQL storage in PostgreSQL, not the in-memory default")
                .containsEntry("APICURIO_STORAGE_KIND", "sql").containsEntry("APICURIO_STORAGE_SQL_KIND", "postgresql")
                .doesNotContainKey("REGISTRY_DATASOURCE_URL");
        String url = (String) env.get("APICURIO_DATASOURCE_URL");
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
