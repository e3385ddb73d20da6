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
            // at 0 before any reload, so a dashboard's increase() sees the first one
            assertThat(meters.get(DetectionService.RULE_RELOADS).tag("outcome", "applied").counter().count()).isZero();
            assertThat(meters.get(DetectionService.RULE_RELOADS).tag("outcome", "invalid").counter().count()).isZero();
        }
    }

    /** What the durability check is given: Streams' effective producer settings and its internal topics' replication. */
    @Test
    void durabilityRequirementReadsTheStreamsSettings(@TempDir Path stateDir) {
        DetectionConfig config = DetectionConfig.fromMap(Map.of(
                DetectionConfig.BOOTSTRAP_SERVERS, "localhost:1",
                DetectionConfig.SCHEMA_REGISTRY_URL, "mem://detection-service-test",
                DetectionConfig.STATE_DIR, stateDir.toString(),
                "firebreak.detection.streams.replication.factor", "3",
                "firebreak.detection.streams.topic.min.insync.replicas", "2",
                "firebreak.detection.streams.producer.acks", "1"));
        var requirement = DetectionService.durabilityRequirement(config.toStreamsProperties());
        assertThat(requirement.topics()).contains(dev.firebreak.schema.Topics.AUDIT_EVENTS,
                dev.firebreak.schema.Topics.KILLSWITCH_COMMANDS);
        assertThat(requirement.created()).singleElement().satisfies(c -> {
            assertThat(c.replicationFactor()).isEqualTo(3);
            assertThat(c.minInsyncReplicas()).hasValue(2);
        });
        // an override weakening the producer reaches the check, which refuses it on three brokers
        assertThat(dev.firebreak.schema.TopicDurability.problems(requirement, 3, java.util.List.of(), 1))
                .singleElement().asString().contains("acks=1");
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
