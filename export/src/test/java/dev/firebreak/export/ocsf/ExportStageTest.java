package dev.firebreak.export.ocsf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.stage.Health;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExportStageTest {

    @Test
    void isOptionalBesideTheOtherStagesButRequiredAsAService() {
        assertThat(ExportStage.optional(Map.of(), new SimpleMeterRegistry())).isEmpty();
        assertThatThrownBy(() -> ExportStage.create(Map.of(), new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("firebreak.export.ocsf.enabled=true is required for the export service");
    }

    @Test
    void isBuiltFromSettingsWithoutConnecting() {
        ExportStage stage = ExportStage.create(Map.of(OcsfExportConfig.ENABLED, "true",
                OcsfExportConfig.BOOTSTRAP_SERVERS, "kafka:9092", OcsfExportConfig.SCHEMA_REGISTRY_URL, "http://registry:8080"),
                new SimpleMeterRegistry());
        assertThat(stage.name()).isEqualTo("export");
        assertThat(stage.health()).isEqualTo(Health.starting("not started"));
        assertThat(stage.describe()).containsExactly("exporting audit events and alerts as OCSF to firebreak.ocsf.v1");
        stage.close();
        stage.close();
    }
}
