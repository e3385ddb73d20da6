package dev.firebreak.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DetectionServiceTest {

    /** The topology passes Kafka Streams' checks (explicit naming included) without a broker. */
    @Test
    void buildsAndClosesWithoutConnecting(@TempDir Path stateDir) {
        DetectionConfig config = DetectionConfig.fromMap(Map.of(
                DetectionConfig.BOOTSTRAP_SERVERS, "localhost:1",
                DetectionConfig.SCHEMA_REGISTRY_URL, "mem://detection-service-test",
                DetectionConfig.STATE_DIR, stateDir.toString(),
                DetectionConfig.COMMAND_SIGNING_SECRET, TestSigning.SECRET));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (DetectionService service = new DetectionService(config, meters)) {
            assertThat(service.state()).isEqualTo(KafkaStreams.State.CREATED);
        }
    }

    @Test
    void doesNotStartWithoutACommandSigningSecret(@TempDir Path stateDir) {
        DetectionConfig config = DetectionConfig.fromMap(Map.of(
                DetectionConfig.BOOTSTRAP_SERVERS, "localhost:1",
                DetectionConfig.SCHEMA_REGISTRY_URL, "mem://detection-service-test",
                DetectionConfig.STATE_DIR, stateDir.toString()));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DetectionService(config, new SimpleMeterRegistry()))
                .hasMessageContaining(DetectionConfig.COMMAND_SIGNING_SECRET);
    }
}
