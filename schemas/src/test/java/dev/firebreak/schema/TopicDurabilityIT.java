package dev.firebreak.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.TopicDurability.Requirement;
import dev.firebreak.stack.EmbeddedKafka;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The durability check against real KRaft clusters: one broker is allowed, three demand RF 3 and min.insync 2. */
class TopicDurabilityIT {
    private static final Map<String, Map<String, ?>> ACKS_ALL = Map.of("p", Map.of("acks", "all"));

    @Test
    void threeBrokersRefuseAWeakTopicAndAcceptADurableOne() {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(3)) {
            kafka.createTopics(List.of("durable.v1"), Map.of("min.insync.replicas", "2"));
            kafka.createTopics(List.of("weak.v1"), Map.of("min.insync.replicas", "1"));
            Map<String, Object> client = Map.of("bootstrap.servers", kafka.bootstrapServers());

            assertThatCode(() -> TopicDurability.require(Requirement.of("kill switch", List.of("durable.v1"), ACKS_ALL), client))
                    .doesNotThrowAnyException();
            assertThatThrownBy(() -> TopicDurability.require(
                    Requirement.of("kill switch", List.of("durable.v1", "weak.v1", "absent.v1"), ACKS_ALL), client))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("kill switch refuses to start")
                    .hasMessageContaining("topic weak.v1 has replication factor 3 and min.insync.replicas 1")
                    .hasMessageContaining("required on a cluster of 3 brokers: replication factor >= 3 and min.insync.replicas >= 2")
                    .hasMessageContaining("topic absent.v1 does not exist")
                    .message().satisfies(m -> assertThat(m).doesNotContain("durable.v1 has"));
            assertThatThrownBy(() -> TopicDurability.require(
                    Requirement.of("ingest", List.of("durable.v1"), Map.of("p", Map.of("acks", "1"))), client))
                    .hasMessageContaining("producer p has acks=1; required: acks=all");
        }
    }

    @Test
    void oneBrokerIsAllowedWithAWarning() {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1)) {
            assertThatCode(() -> TopicDurability.require(Requirement.of("ingest", List.of("absent.v1"), ACKS_ALL),
                    Map.of("bootstrap.servers", kafka.bootstrapServers()))).doesNotThrowAnyException();
        }
    }
}
