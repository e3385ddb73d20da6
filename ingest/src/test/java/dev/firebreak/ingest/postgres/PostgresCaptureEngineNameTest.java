package dev.firebreak.ingest.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.ingest.IngestConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One engine per database: two databases of one cluster (same {@code firebreak.ingest.cluster}, a slot
 * each) get engines of different names, so neither stores, clears or loads the other's offset.
 */
class PostgresCaptureEngineNameTest {

    private static PostgresCapture capture(String database, String slot) {
        return new PostgresCapture(IngestConfig.fromMap(Map.of(
                "firebreak.ingest.cluster", "main",
                "firebreak.ingest.pg.database", database,
                "firebreak.ingest.slot", slot,
                "firebreak.ingest.kafka.bootstrap.servers", "127.0.0.1:1",
                "firebreak.ingest.schema.registry.url", "mem://engine-name-test")), new SimpleMeterRegistry());
    }

    @Test
    void twoDatabasesOfOneClusterNeverShareAnOffsetKey() {
        try (PostgresCapture app = capture("app", "firebreak_main_app");
             PostgresCapture billing = capture("billing", "firebreak_main_billing")) {
            assertThat(app.engineProperties().getProperty("name")).isEqualTo("firebreak-ingest-main-firebreak_main_app");
            assertThat(billing.engineProperties().getProperty("name")).isEqualTo("firebreak-ingest-main-firebreak_main_billing");
            assertThat(app.offsetKey()).isNotEqualTo(billing.offsetKey());
            // the key ingest clears at start is the one the engine's offset store writes: [name, {server: prefix}]
            assertThat(app.offsetKey()).isEqualTo("[\"firebreak-ingest-main-firebreak_main_app\",{\"server\":\""
                    + app.engineProperties().getProperty("topic.prefix") + "\"}]");
        }
    }
}
