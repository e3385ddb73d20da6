package dev.firebreak.oncall;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stage.Health;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The on-call notifier's lifecycle as a stage on a real broker: ready once it consumes, not live once closed. */
class OnCallStageIT {

    @Test
    void isReadyWhenStartReturnsAndNotLiveOnceClosed() {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1)) {
            kafka.createTopics(List.of(Topics.ALERTS), Map.of());
            // nothing answers there: the notifier runs all the same, and retries its pushes
            OnCallStage stage = OnCallStage.create(Map.of(OnCallConfig.ALERTMANAGER_URLS, "http://127.0.0.1:9",
                    OnCallConfig.ENVIRONMENT, "test", OnCallConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                    OnCallConfig.SCHEMA_REGISTRY_URL, "mem://oncall-stage-it"), new SimpleMeterRegistry());

            stage.start(Duration.ofSeconds(30));
            assertThat(stage.health()).isEqualTo(Health.up());

            stage.close();
            assertThat(stage.health()).isEqualTo(Health.failed("on-call notifier stopped"));
            stage.close();
        }
    }
}
