package dev.firebreak.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicPlanTest {

    @Test
    void everyPipelineTopicIsPlannedWithTheSettingsItsGuaranteesNeed() {
        Map<String, TopicPlan.Spec> plan = new HashMap<>();
        TopicPlan.TOPICS.forEach(s -> plan.put(s.name(), s));
        assertThat(plan.keySet()).containsAll(Topics.PIPELINE_TOPICS).containsAll(Topics.VALUE_SCHEMAS.keySet())
                .containsAll(Topics.COMPACTED_TOPICS).contains(Topics.INGEST_OFFSETS);
        Topics.REQUIRED_CONFIGS.forEach((topic, configs) -> assertThat(plan.get(topic).configs()).containsAllEntriesOf(configs));
        Topics.COMPACTED_TOPICS.forEach(t -> assertThat(plan.get(t).configs()).containsEntry("cleanup.policy", "compact"));
        assertThat(plan.get(Topics.KILLSWITCH_RESULTS).configs()).as("reinstate reads the first revocation, however old")
                .containsEntry("retention.ms", "-1");
        assertThat(plan.get(Topics.INGEST_HEARTBEAT).partitions()).isEqualTo(1);
    }

    @Test
    void detectionsOwnerEventsArePlannedWithAsManyPartitionsAsTheAuditEvents() {
        assertThat(TopicPlan.partitions(Topics.DETECTION_OWNER_EVENTS)).isEqualTo(TopicPlan.partitions(Topics.AUDIT_EVENTS))
                .isGreaterThan(1);
        assertThat(TopicPlan.CO_PARTITIONED).containsExactly(Topics.AUDIT_EVENTS, Topics.DETECTION_OWNER_EVENTS);
        assertThat(Topics.VALUE_SCHEMAS.get(Topics.DETECTION_OWNER_EVENTS)).isEqualTo(AuditEvent.getClassSchema());
    }

    @Test
    void coPartitionedTopicsWithDifferentCountsAreDriftEvenWhenBothHaveMoreThanPlanned() {
        assertThat(TopicPlan.coPartitioningDrift(Map.of(Topics.AUDIT_EVENTS, 8, Topics.DETECTION_OWNER_EVENTS, 8))).isEmpty();
        assertThat(TopicPlan.coPartitioningDrift(Map.of(Topics.AUDIT_EVENTS, 8))).as("one alone").isEmpty();
        assertThat(TopicPlan.coPartitioningDrift(Map.of(Topics.AUDIT_EVENTS, 8, Topics.DETECTION_OWNER_EVENTS, 4)))
                .hasValueSatisfying(line -> assertThat(line).contains(Topics.AUDIT_EVENTS + "=8")
                        .contains(Topics.DETECTION_OWNER_EVENTS + "=4"));
    }

    @Test
    void aTopicAsPlannedHasNoDrift() {
        TopicPlan.Spec spec = spec();
        assertThat(TopicPlan.drift(spec, observed(1, 3, TopicPlan.createConfigs(spec, 2)), 3, 2)).isEmpty();
        // more partitions and replicas than planned, a stricter min.insync.replicas: not drift
        Map<String, String> stricter = new HashMap<>(TopicPlan.createConfigs(spec, 2));
        stricter.put("min.insync.replicas", "3");
        assertThat(TopicPlan.drift(spec, observed(12, 5, stricter), 3, 2)).isEmpty();
    }

    @Test
    void everyWeakerSettingIsReportedOnItsOwnLine() {
        TopicPlan.Spec spec = spec();
        Map<String, String> configs = new HashMap<>(TopicPlan.createConfigs(spec, 2));
        configs.put("retention.ms", "3600000");
        configs.put("min.insync.replicas", "1");
        configs.remove("message.timestamp.type");

        List<String> drift = TopicPlan.drift(new TopicPlan.Spec(spec.name(), 6, spec.configs()), observed(1, 1, configs), 3, 2);

        assertThat(drift).containsExactlyInAnyOrder(
                "has 1 partition(s), planned 6",
                "has replication factor 1, planned 3",
                "has retention.ms=3600000, planned 604800000",
                "has message.timestamp.type=null, planned LogAppendTime",
                "has min.insync.replicas=1, planned 2");
    }

    private static TopicPlan.Spec spec() {
        return TopicPlan.TOPICS.stream().filter(s -> s.name().equals(Topics.KILLSWITCH_COMMANDS)).findFirst().orElseThrow();
    }

    private static TopicPlan.Observed observed(int partitions, int rf, Map<String, String> configs) {
        return new TopicPlan.Observed(partitions, rf, configs);
    }
}
