package dev.firebreak.detect;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.rules.RuleException;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.signing.SigningKey;
import dev.firebreak.schema.registry.RegistryOutage;
import dev.firebreak.schema.serde.RegistryRetryingDeserializer;
import dev.firebreak.schema.serde.RegistryRetryingSerializer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The detection topology as a pure function of its rules and serdes: no clients, no clocks, no
 * I/O, so {@code TopologyTestDriver} runs exactly what production runs.
 *
 * <pre>
 * audit-events-source ─ audit-events-parser ─┬─ audit-dlq-sink                      (unreadable input)
 *                                            ├─ owner-events-sink ──▶ firebreak.detection.owner-events.v1
 *                                            │        (a linked credential's event, keyed by its owner)
 *                                            ├─ drop-burst-detector-&lt;rule&gt; ┬─ alerts-sink   (unlinked principals)
 * owner-events-source ───────────────────────┘  (store drop-burst-state-&lt;rule&gt;) └─ revoke-commands-sink
 *                                            └─ baseline-detector              (every event, in place)
 * </pre>
 *
 * <p><b>Why a named repartition topic.</b> Input is keyed by principal, so an unlinked principal's
 * window lives in the task of its partition and is counted there, with no extra hop. A credential
 * linked to an owner counts towards the owner's window too, and an owner's credentials hash to
 * different partitions: counted in each credential's task, a burst spread over them splits into
 * partial counts (missed) or several owner windows (two commands). So the router re-keys a linked
 * credential's event to its owner and writes it to {@code firebreak.detection.owner-events.v1};
 * the task of the owner's partition counts both the owner's window and the credential's own, so
 * "both windows crossing on one event is one burst" still holds, and the owner's own events (keyed
 * by the owner on the audit topic) land in the same task because the two topics have the same
 * number of partitions and the same default partitioner on the same key ({@code TopicPlan.CO_PARTITIONED},
 * checked when detection starts). Alternatives considered: a DSL {@code repartition()} (an internal
 * topic Streams sizes and purges) would either send every principal's events through the hop, or
 * share the rules' stores between the in-place path and the internal topic in one sub-topology that
 * writes and reads it, whose partition count Streams would then derive from itself; counting every
 * event in the owner's task only would re-key all events. A global or remote lookup of owner windows
 * would put a network call on the path that decides a revocation. The topic is a plain pipeline topic: planned, created by
 * {@code firebreak topics create}, granted to the detection user alone.
 *
 * <p><b>One sub-topology.</b> The owner-events source feeds the same rule processors and stores as
 * the audit source, so Kafka Streams keeps them in one sub-topology (0; the global stores come
 * after). Its task {@code 0_p} reads partition p of both topics. Adding or removing a rule adds or
 * removes a processor and a store inside it, never a sub-topology, so task ids, state directories
 * and the other rules' changelogs stay as they were across a rule edit.
 *
 * <p><b>Latency of the hop.</b> Under exactly-once the re-keyed event is visible to the owner's task
 * only once the transaction that wrote it commits. The router asks for that commit at once when a
 * revoking rule counts the event (as the rules do on emit), so the hop costs one transaction commit
 * and one fetch round trip instead of up to a commit interval; a linked credential's event that no
 * rule counts is not re-keyed at all. Every node and store is named from {@link DetectionNames}.
 */
public final class DetectionTopology {
    /**
     * How long one record waits on an unavailable schema registry inside the stream thread, reading
     * it (source) or registering an output schema not cached yet (sinks), retrying with back-off,
     * before the thread gives up and is replaced, which reads the record again: under Kafka
     * Streams' {@code max.poll.interval.ms} (5 min), so the thread keeps its partitions meanwhile.
     */
    public static final Duration REGISTRY_MAX_BLOCK = Duration.ofMinutes(4);

    private DetectionTopology() {
    }

    /**
     * The topology running {@code rules} side by side, each with its own store. Every event goes to
     * the rules in list order, within one thread: the first rule's command is produced before the
     * next rule looks at the event, so the rule the latency budget is for comes first. Every revoke
     * command is signed with {@code commandKey} where it is built (the kill switch executes no other).
     */
    public static Topology build(List<DetectionRule> rules, DetectionSerdes serdes, SigningKey commandKey) {
        return build(rules, serdes, null, commandKey);
    }

    /**
     * As {@link #build(List, DetectionSerdes, SigningKey)}, plus per-principal baselines when {@code baseline}
     * is not null: alerts for a first destructive action and for a rate far above the principal's
     * own normal. They never revoke.
     */
    public static Topology build(List<DetectionRule> rules, DetectionSerdes serdes, Baseline.BaselineSettings baseline,
                                 SigningKey commandKey) {
        return build(rules, serdes, baseline, DetectionMetrics.NONE, commandKey);
    }

    /**
     * As {@link #build(List, DetectionSerdes, Baseline.BaselineSettings, SigningKey)}, reporting to {@code metrics}
     * as records pass: counts, rule hits, episodes and their latency, open episodes, dead letters.
     */
    public static Topology build(List<DetectionRule> rules, DetectionSerdes serdes, Baseline.BaselineSettings baseline,
                                 DetectionMetrics metrics, SigningKey commandKey) {
        return build(rules, serdes, baseline, metrics, commandKey, ReissuePolicy.DISABLED);
    }

    /**
     * As {@link #build(List, DetectionSerdes, Baseline.BaselineSettings, DetectionMetrics, SigningKey)}; when
     * {@code reissue} is enabled, the kill switch's results feed the global store
     * {@link DetectionNames#REVOCATION_OUTCOMES_STORE} and an open episode whose revocation failed or was
     * reinstated gets a new command on its next counted event.
     */
    public static Topology build(List<DetectionRule> rules, DetectionSerdes serdes, Baseline.BaselineSettings baseline,
                                 DetectionMetrics metrics, SigningKey commandKey, ReissuePolicy reissue) {
        java.util.Objects.requireNonNull(metrics, "metrics (DetectionMetrics.NONE for none)");
        java.util.Objects.requireNonNull(reissue, "reissue (ReissuePolicy.DISABLED for none)");
        java.util.Objects.requireNonNull(commandKey, "commandKey: revoke commands must be signed ("
                + DetectionConfig.COMMAND_SIGNING_SECRET + ")");
        List<String> detectors = detectorNames(rules);
        RegistryOutage outage = metrics.registryOutage();
        Topology topology = new Topology();
        // A group starting for the first time must not skip events produced while it was joining.
        topology.addSource(AutoOffsetReset.earliest(), DetectionNames.AUDIT_EVENTS_SOURCE,
                new AuditEventTimestampExtractor(), new StringDeserializer(),
                AuditInput.deserializer(new RegistryRetryingDeserializer<>(serdes.auditEvents().deserializer(),
                        outage, REGISTRY_MAX_BLOCK)), Topics.AUDIT_EVENTS);
        topology.addProcessor(DetectionNames.AUDIT_EVENTS_PARSER,
                () -> new AuditInputRouter(detectors, rules, baseline != null, metrics), DetectionNames.AUDIT_EVENTS_SOURCE);
        topology.addSink(DetectionNames.AUDIT_DLQ_SINK, Topics.AUDIT_DLQ, new StringSerializer(),
                retrying(serdes.deadLetters().serializer(), outage), DetectionNames.AUDIT_EVENTS_PARSER);
        addOwnerEvents(topology, serdes, outage);
        for (DetectionRule rule : rules) {
            String detector = DetectionNames.dropBurstDetector(rule.id());
            topology.addProcessor(detector, () -> new RuleProcessor(rule, metrics, commandKey, reissue),
                    DetectionNames.AUDIT_EVENTS_PARSER, DetectionNames.OWNER_EVENTS_SOURCE);
            topology.addStateStore(store(rule), detector);
        }
        if (baseline != null) {
            List<RuleException> exceptions = rules.stream().flatMap(r -> r.exceptions().stream()).distinct().toList();
            topology.addProcessor(DetectionNames.BASELINE_DETECTOR, () -> new BaselineProcessor(baseline, exceptions, metrics),
                    DetectionNames.AUDIT_EVENTS_PARSER);
            topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(DetectionNames.BASELINE_STATE),
                    Serdes.String(), Serdes.ByteArray()).withLoggingEnabled(Map.of()).withCachingEnabled(),
                    DetectionNames.BASELINE_DETECTOR);
        }
        topology.addGlobalStore(Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(DetectionNames.PRINCIPAL_LINKS_STORE),
                        Serdes.String(), serdes.principalLinks()).withLoggingDisabled(),
                DetectionNames.PRINCIPAL_LINKS_SOURCE, new StringDeserializer(),
                new RegistryRetryingDeserializer<>(serdes.principalLinks().deserializer(), outage, REGISTRY_MAX_BLOCK),
                Topics.PRINCIPAL_LINKS, DetectionNames.PRINCIPAL_LINKS_UPDATER, PrincipalLinks.Updater::new);
        if (reissue.enabled()) {
            addRevocationOutcomes(topology, serdes, outage, reissue.resultKey());
        }
        List<String> consumers = new java.util.ArrayList<>(detectors);
        if (baseline != null) {
            consumers.add(DetectionNames.BASELINE_DETECTOR);
        }
        String[] parents = detectors.toArray(String[]::new);
        String[] alertParents = consumers.toArray(String[]::new);
        topology.addSink(DetectionNames.ALERTS_SINK, Topics.ALERTS, new StringSerializer(),
                retrying(serdes.alerts().serializer(), outage), alertParents);
        topology.addSink(DetectionNames.REVOKE_COMMANDS_SINK, Topics.KILLSWITCH_COMMANDS, new StringSerializer(),
                retrying(serdes.revokeCommands().serializer(), outage), parents);
        return topology;
    }

    // The repartition hop: written by the router, read back into the rules (see the class comment).
    // Earliest, like the audit source: a group starting for the first time must not skip any.
    private static void addOwnerEvents(Topology topology, DetectionSerdes serdes, RegistryOutage outage) {
        topology.addSink(DetectionNames.OWNER_EVENTS_SINK, Topics.DETECTION_OWNER_EVENTS, new StringSerializer(),
                retrying(serdes.auditEvents().serializer(), outage), DetectionNames.AUDIT_EVENTS_PARSER);
        topology.addSource(AutoOffsetReset.earliest(), DetectionNames.OWNER_EVENTS_SOURCE,
                new AuditEventTimestampExtractor(), new StringDeserializer(),
                new RegistryRetryingDeserializer<>(serdes.auditEvents().deserializer(), outage, REGISTRY_MAX_BLOCK),
                Topics.DETECTION_OWNER_EVENTS);
    }

    // Global: results are keyed by target, commands by principal, so a principal's results may sit
    // on any partition; they are few (one per command and target). Kept in memory and rebuilt
    // through the updater from the topic at start-up, which verifies every result again.
    private static void addRevocationOutcomes(Topology topology, DetectionSerdes serdes, RegistryOutage outage,
                                              SigningKey resultKey) {
        topology.addGlobalStore(Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(DetectionNames.REVOCATION_OUTCOMES_STORE),
                        Serdes.String(), new RevocationOutcomes.LatestSerde()).withLoggingDisabled(),
                DetectionNames.REVOCATION_RESULTS_SOURCE, new StringDeserializer(),
                new RegistryRetryingDeserializer<>(serdes.revocationResults().deserializer(), outage, REGISTRY_MAX_BLOCK),
                Topics.KILLSWITCH_RESULTS, DetectionNames.REVOCATION_OUTCOMES_UPDATER,
                () -> new RevocationOutcomes.Updater(resultKey));
    }

    private static <T> org.apache.kafka.common.serialization.Serializer<T> retrying(
            org.apache.kafka.common.serialization.Serializer<T> serializer, RegistryOutage outage) {
        return new RegistryRetryingSerializer<>(serializer, outage, REGISTRY_MAX_BLOCK);
    }

    private static List<String> detectorNames(List<DetectionRule> rules) {
        if (rules == null || rules.isEmpty()) {
            throw new IllegalArgumentException("at least one rule is required");
        }
        Set<String> ids = new HashSet<>();
        for (DetectionRule rule : rules) {
            if (!ids.add(rule.id())) {
                throw new IllegalArgumentException("rule id " + rule.id() + " is used twice; rule ids must be unique");
            }
        }
        return rules.stream().map(r -> DetectionNames.dropBurstDetector(r.id())).toList();
    }

    // Logged, so a restart or failover restores open episodes from the changelog instead of alerting
    // again. Held in memory: the state per principal is bounded (DropBurstState.MAX_BYTES, a few
    // hundred bytes for most) and idle principals are purged, while RocksDB would add JNI calls per
    // event and a memtable flush on every commit to the path that decides a revocation. Cached, so
    // a hot principal's state goes to the changelog once per commit, not once per event; commands
    // and alerts are forwarded by the processor, never from the cache, so they do not wait for it.
    private static StoreBuilder<KeyValueStore<String, DropBurstState>> store(DetectionRule rule) {
        return Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(DetectionNames.dropBurstState(rule.id())),
                        Serdes.String(), new DropBurstStateSerde())
                .withLoggingEnabled(Map.of())
                .withCachingEnabled();
    }
}
