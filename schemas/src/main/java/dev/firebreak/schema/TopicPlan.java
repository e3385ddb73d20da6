package dev.firebreak.schema;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How each pipeline topic is meant to be created: partitions, cleanup policy, retention and the
 * settings the pipeline's guarantees rest on ({@link Topics#REQUIRED_CONFIGS}). Replication factor
 * and {@code min.insync.replicas} depend on the cluster's size and are chosen by whoever creates
 * the topics ({@code firebreak topics create}); {@link TopicDurability} says what the stages demand.
 *
 * <p>Why these numbers: every topic detection reads or writes has one partition. Detection counts
 * an owner's window (linked credentials) in the task of the credential's partition: with more
 * partitions a burst spread over linked credentials splits and is missed or revoked twice, until
 * detection re-keys events to the owner through a repartition topic. Partitions are the one setting
 * that cannot be lowered later, so the plan starts at one and an existing topic with more is not
 * drift (the operator chose it). Events and commands keep a week, long
 * enough to replay after an outage or investigate an incident. Results are kept forever:
 * {@code reinstate} restores the state recorded by a principal's first revocation, however long ago
 * it was. Links, heartbeats and Debezium offsets keep the latest value per key (compacted).
 */
public final class TopicPlan {
    static final String DAY_MS = "86400000";

    /**
     * One topic as planned.
     *
     * @param partitions the partitions to create it with; an existing topic with fewer has drifted
     * @param configs    topic settings it must have (cleanup.policy, retention.ms, ...)
     */
    public record Spec(String name, int partitions, Map<String, String> configs) {
        public Spec {
            Objects.requireNonNull(name, "name");
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be >= 1 for " + name);
            }
            configs = Map.copyOf(configs);
        }
    }

    /**
     * A topic as the cluster describes it.
     *
     * @param replicationFactor the fewest replicas of any partition
     * @param configs           its effective settings (at least those a {@link Spec} names)
     */
    public record Observed(int partitions, int replicationFactor, Map<String, String> configs) {
        public Observed {
            configs = Map.copyOf(configs);
        }
    }

    /** Every topic the pipeline needs before its stages start, in creation order. */
    public static final List<Spec> TOPICS = List.of(
            delete(Topics.AUDIT_EVENTS, 1, 7),
            delete(Topics.AUDIT_DLQ, 1, 30),
            delete(Topics.ALERTS, 1, 30),
            delete(Topics.KILLSWITCH_COMMANDS, 1, 7),
            new Spec(Topics.KILLSWITCH_RESULTS, 1, Map.of("cleanup.policy", "delete", "retention.ms", "-1")),
            compacted(Topics.PRINCIPAL_LINKS, 1),
            delete(Topics.OCSF, 1, 7),
            delete(Topics.PREFLIGHT_DECISIONS, 1, 30),
            delete(Topics.PREFLIGHT_APPROVALS, 1, 30),
            compacted(Topics.INGEST_HEARTBEAT, 1),
            compacted(Topics.INGEST_OFFSETS, 1));

    private TopicPlan() {
    }

    /**
     * Why {@code observed} does not match {@code spec} created with {@code replicationFactor} and
     * {@code minInsync}: one line per difference that weakens a guarantee (fewer partitions or
     * replicas than planned, another cleanup policy or retention, a lower {@code min.insync.replicas},
     * a missing required setting). More partitions or replicas than planned are not drift.
     */
    public static List<String> drift(Spec spec, Observed observed, int replicationFactor, int minInsync) {
        List<String> drift = new ArrayList<>();
        if (observed.partitions() < spec.partitions()) {
            drift.add("has " + observed.partitions() + " partition(s), planned " + spec.partitions());
        }
        if (observed.replicationFactor() < replicationFactor) {
            drift.add("has replication factor " + observed.replicationFactor() + ", planned " + replicationFactor);
        }
        spec.configs().forEach((key, value) -> {
            String actual = observed.configs().get(key);
            if (!value.equals(actual)) {
                drift.add("has " + key + "=" + actual + ", planned " + value);
            }
        });
        String actualMinInsync = observed.configs().get("min.insync.replicas");
        if (actualMinInsync == null || Integer.parseInt(actualMinInsync) < minInsync) {
            drift.add("has min.insync.replicas=" + actualMinInsync + ", planned " + minInsync);
        }
        return drift;
    }

    /** The configs to create {@code spec} with, {@code min.insync.replicas} included. */
    public static Map<String, String> createConfigs(Spec spec, int minInsync) {
        Map<String, String> configs = new LinkedHashMap<>(spec.configs());
        configs.put("min.insync.replicas", Integer.toString(minInsync));
        return configs;
    }

    private static Spec delete(String topic, int partitions, int retentionDays) {
        Map<String, String> configs = new LinkedHashMap<>(Topics.REQUIRED_CONFIGS.getOrDefault(topic, Map.of()));
        configs.put("cleanup.policy", "delete");
        configs.put("retention.ms", Long.toString(retentionDays * Long.parseLong(DAY_MS)));
        return new Spec(topic, partitions, configs);
    }

    private static Spec compacted(String topic, int partitions) {
        return new Spec(topic, partitions, Map.of("cleanup.policy", "compact"));
    }
}
