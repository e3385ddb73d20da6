package dev.firebreak.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmbeddedStackTest {

    @Test
    void postgresRunsWithLogicalDecodingAndDurability() throws Exception {
        try (EmbeddedPostgres17 pg = EmbeddedPostgres17.start(Map.of());
             var c = pg.superuserConnection(); var st = c.createStatement()) {
            for (var setting : Map.of("wal_level", "logical", "fsync", "on", "synchronous_commit", "on",
                    "listen_addresses", "127.0.0.1").entrySet()) {
                try (ResultSet rs = st.executeQuery("SHOW " + setting.getKey())) {
                    rs.next();
                    assertThat(rs.getString(1)).as(setting.getKey()).isEqualTo(setting.getValue());
                }
            }
            try (ResultSet rs = st.executeQuery("SHOW server_version_num")) {
                rs.next();
                assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(170000);
            }
        }
    }

    @Test
    void kafkaAndRegistryStartOnLoopback() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1);
             ApicurioRegistry registry = ApicurioRegistry.start(Duration.ofSeconds(90))) {
            assertThat(kafka.bootstrapServers()).contains("localhost").doesNotContain("0.0.0.0");
            kafka.createTopics(List.of("t1"), Map.of());
            kafka.createTopics(List.of("t1"), Map.of());
            try (var admin = kafka.admin()) {
                assertThat(admin.listTopics().names().get()).contains("t1");
            }
            var answer = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(registry.confluentUrl() + "/subjects")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(200);
        }
    }
}
