package dev.firebreak.ingest.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.ingest.IngestConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One engine per database: two databases of one cluster (same {@code firebreak.ingest.cluster}, a slot
 * each) get engines of different names, so neither stores, clears or loads the other's offset.
 */
class PostgresCaptureEngineNameTest {

    private static IngestConfig config(String database, String slot) {
        return IngestConfig.fromMap(Map.of("firebreak.ingest.cluster", "main-eu", "firebreak.ingest.pg.database", database,
                "firebreak.ingest.slot", slot));
    }

    @Test
    void twoDatabasesOfOneClusterNeverShareAnOffsetKey() {
        IngestConfig app = config("app", "firebreak_main_app");
        IngestConfig billing = config("billing", "firebreak_main_billing");
        assertThat(CaptureEngine.engineName(app)).isEqualTo("firebreak-ingest-main-eu-firebreak_main_app");
        assertThat(CaptureEngine.engineName(billing)).isEqualTo("firebreak-ingest-main-eu-firebreak_main_billing");
        assertThat(CaptureEngine.offsetKey(app)).isNotEqualTo(CaptureEngine.offsetKey(billing));
        // the key ingest clears at start is the one the engine's offset store writes: [name, {server: prefix}]
        assertThat(CaptureEngine.offsetKey(app))
                .isEqualTo("[\"firebreak-ingest-main-eu-firebreak_main_app\",{\"server\":\"firebreak_main_eu\"}]");
    }
}
