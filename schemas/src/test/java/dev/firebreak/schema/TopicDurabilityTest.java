package dev.firebreak.schema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.TopicDurability.CreatedTopics;
import dev.firebreak.schema.TopicDurability.Requirement;
import dev.firebreak.schema.TopicDurability.TopicFacts;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The durability rule as a pure function over what the cluster described. */
class TopicDurabilityTest {
    private static final Requirement KILL_SWITCH = Requirement.of("kill switch",
            List.of(Topics.KILLSWITCH_COMMANDS, Topics.KILLSWITCH_RESULTS), Map.of("ks", Map.of("acks", "all")));

    @Test
    void threeReplicasWithTwoInSyncPass() {
        assertThat(TopicDurability.problems(KILL_SWITCH, 3, List.of(
                new TopicFacts(Topics.KILLSWITCH_COMMANDS, 3, 2), new TopicFacts(Topics.KILLSWITCH_RESULTS, 5, 3)), 1)).isEmpty();
    }

    @Test
    void aWeakTopicIsNamedWithWhatItHasAndWhatIsRequired() {
        List<String> problems = TopicDurability.problems(KILL_SWITCH, 3, List.of(
                new TopicFacts(Topics.KILLSWITCH_COMMANDS, 3, 1), new TopicFacts(Topics.KILLSWITCH_RESULTS, 1, 1)), 1);
        assertThat(problems).hasSize(2);
        assertThat(problems.get(0)).contains(Topics.KILLSWITCH_COMMANDS).contains("replication factor 3")
                .contains("min.insync.replicas 1").contains("replication factor >= 3 and min.insync.replicas >= 2");
        assertThat(problems.get(1)).contains(Topics.KILLSWITCH_RESULTS).contains("replication factor 1");
    }

    @Test
    void aMissingTopicIsRefused() {
        assertThat(TopicDurability.problems(KILL_SWITCH, 4, List.of(new TopicFacts(Topics.KILLSWITCH_COMMANDS, 3, 2),
                TopicFacts.missing(Topics.KILLSWITCH_RESULTS)), 1))
                .singleElement().asString().contains(Topics.KILLSWITCH_RESULTS).contains("does not exist");
    }

    @Test
    void fewerThanThreeBrokersAreAllowed() {
        assertThat(TopicDurability.problems(KILL_SWITCH, 1, List.of(new TopicFacts(Topics.KILLSWITCH_COMMANDS, 1, 1),
                new TopicFacts(Topics.KILLSWITCH_RESULTS, 1, 1)), 1)).isEmpty();
        assertThat(TopicDurability.problems(KILL_SWITCH, 2, List.of(TopicFacts.missing(Topics.KILLSWITCH_COMMANDS)), 1)).isEmpty();
    }

    @Test
    void producersMustSendWithAcksAllAndIdempotence() {
        Requirement weak = Requirement.of("ingest", List.of(), Map.of(
                "p1", Map.of("acks", "1"),
                "p2", Map.of("acks", "-1", "enable.idempotence", "false"),
                "p3", Map.of("retries", "0"),
                "p4", Map.of("max.in.flight.requests.per.connection", 6),
                "defaults", Map.of()));
        List<String> problems = TopicDurability.problems(weak, 3, List.of(), 1);
        assertThat(problems).hasSize(4);
        assertThat(problems).anyMatch(p -> p.contains("producer p1 has acks=1; required: acks=all"));
        assertThat(problems).anyMatch(p -> p.contains("producer p2 has enable.idempotence=false"));
        assertThat(problems).anyMatch(p -> p.contains("producer p3 has retries=0"));
        assertThat(problems).anyMatch(p -> p.contains("producer p4 has max.in.flight.requests.per.connection=6"));
    }

    @Test
    void topicsTheStageCreatesAreJudgedByItsSettingsOrTheBrokersDefault() {
        Requirement detection = new Requirement("detection", List.of(), Map.of(), List.of(
                new CreatedTopics("internal topics", 3, OptionalInt.empty(), "kafka.replication.factor")));
        assertThat(TopicDurability.problems(detection, 3, List.of(), 2)).isEmpty();
        assertThat(TopicDurability.problems(detection, 3, List.of(), 1)).singleElement().asString()
                .contains("internal topics").contains("min.insync.replicas 1 (the brokers' default)").contains("kafka.replication.factor");
        Requirement unset = new Requirement("detection", List.of(), Map.of(), List.of(
                new CreatedTopics("internal topics", -1, OptionalInt.of(2), "kafka.replication.factor")));
        assertThat(TopicDurability.problems(unset, 3, List.of(), 2)).singleElement().asString().contains("replication factor -1");
    }

    @Test
    void theAdminGetsOnlyConnectionAndSecuritySettings() {
        Map<String, Object> admin = TopicDurability.adminSettings(Map.of("bootstrap.servers", "b:9092",
                "security.protocol", "SASL_PLAINTEXT", "acks", "all", "group.id", "g", "client.id", "stage"));
        assertThat(admin).containsEntry("bootstrap.servers", "b:9092").containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("client.id", "firebreak-durability-check").doesNotContainKeys("acks", "group.id");
    }
}
