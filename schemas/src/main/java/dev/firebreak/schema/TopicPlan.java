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
 * <p>Why these partitions. Partitions are the one setting that cannot be lowered later, and adding
 * some moves keys between partitions, so the plan says what detection scales to and an existing
 * topic with more is not drift (the operator chose it), with one exception below.
 * <ul>
 *   <li>{@link Topics#AUDIT_EVENTS}: {@value #DETECTION_PARTITIONS}, keyed by principal. The one topic
 *       with volume: its partitions are the most detection instances (tasks) that share the work, and
 *       a principal's events stay in order in one partition.</li>
 *   <li>{@link Topics#DETECTION_OWNER_EVENTS}: {@value #DETECTION_PARTITIONS}, exactly as many as the
 *       audit events. Detection re-keys a linked credential's events to their owner through it; the
 *       owner's own events arrive on the audit topic under the same key, so both must hash to the same
 *       partition number, and detection refuses to start when the counts differ.</li>
 *   <li>Commands, alerts, results, dead letters: 1. One record per burst, refusal or revocation,
 *       never volume; the kill switch serves them in order, and on-call, ingest and reinstate read
 *       every partition. Raise commands when the kill switch runs as several instances.</li>
 *   <li>Heartbeats, links, Debezium offsets: 1. Compacted, a handful of keys; links are read whole by
 *       every detection instance (a global store) whatever the count.</li>
 * </ul>
 * Events and commands keep a week, long enough to replay after an outage or investigate an
 * incident; the owner events as long, so a detection that was down as long as the audit events are
 * kept loses nothing on either path. Results are kept forever: {@code reinstate} restores the state
 * recorded by a principal's first revocation, however long ago it was. Links, heartbeats and
 * Debezium offsets keep the latest value per key (compacted).
 */
public final class TopicPlan {
    static final String DAY_MS = "86400000";
    /** Partitions of the audit events and of detection's owner events: the most detection tasks. */
    public static final int DETECTION_PARTITIONS = 4;

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
            delete(Topics.AUDIT_EVENTS, DETECTION_PARTITIONS, 7),
            delete(Topics.DETECTION_OWNER_EVENTS, DETECTION_PARTITIONS, 7),
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

    /**
     * Topics that must have the same number of partitions, whatever it is: detection reads both in one
     * task per partition number and counts an owner's window from both (see {@link Topics#DETECTION_OWNER_EVENTS}).
     */
    public static final List<String> CO_PARTITIONED = List.of(Topics.AUDIT_EVENTS, Topics.DETECTION_OWNER_EVENTS);

    /**
     * Why the {@link #CO_PARTITIONED} topics among {@code partitionsByTopic} (observed counts) are not
     * co-partitioned, or empty when they are (or fewer than two of them are given).
     */
    public static java.util.Optional<String> coPartitioningDrift(Map<String, Integer> partitionsByTopic) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        CO_PARTITIONED.stream().filter(partitionsByTopic::containsKey).forEach(t -> counts.put(t, partitionsByTopic.get(t)));
        if (counts.values().stream().distinct().count() <= 1) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("partitions " + counts + " differ; " + String.join(" and ", CO_PARTITIONED)
                + " must have the same number (detection counts an owner's window from both in one task per partition)");
    }

    /** The planned partitions of {@code topic}; fails for a topic the plan does not know. */
    public static int partitions(String topic) {
        return TOPICS.stream().filter(s -> s.name().equals(topic)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no planned topic " + topic)).partitions();
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
