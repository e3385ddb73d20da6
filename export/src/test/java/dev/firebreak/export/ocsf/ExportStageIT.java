package dev.firebreak.export.ocsf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stage.Health;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The export's lifecycle as a stage on a real broker: ready once it consumes, not live once closed. */
class ExportStageIT {

    @Test
    void isReadyWhenStartReturnsAndNotLiveOnceClosed() {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1)) {
            kafka.createTopics(List.of(Topics.AUDIT_EVENTS, Topics.ALERTS, Topics.OCSF), Map.of());
            ExportStage stage = ExportStage.create(Map.of(OcsfExportConfig.ENABLED, "true",
                    OcsfExportConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                    OcsfExportConfig.SCHEMA_REGISTRY_URL, "mem://export-stage-it"), new SimpleMeterRegistry());

            stage.start(Duration.ofSeconds(30));
            assertThat(stage.health()).isEqualTo(Health.up());

            stage.close();
            assertThat(stage.health()).isEqualTo(Health.failed("OCSF export stopped"));
            stage.close();
        }
    }
}
