package dev.firebreak.detect;

import dev.firebreak.metrics.BoundedLabel;
import dev.firebreak.rules.DetectionRule;
import dev.firebreak.rules.RulesFileException;
import dev.firebreak.rules.RulesWatcher;
import dev.firebreak.schema.TopicDurability;
import dev.firebreak.schema.TopicPlan;
import dev.firebreak.schema.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the detection topology against Kafka: the one place where the detection stage does I/O.
 * Kafka Streams' own metrics are bound to the given Micrometer registry, next to
 * {@value #RULE_RELOADS}{@code {outcome=applied|invalid}}: edits of the rule files put in force or
 * refused (the dashboards annotate both).
 */
public final class DetectionService implements AutoCloseable {
    /** How long {@link #close()} waits for in-flight records and state to be flushed. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(10);
    /** How often the rule files are checked for edits. */
    static final Duration RELOAD_INTERVAL = Duration.ofSeconds(2);
    /** Counter of rule file edits, tag {@code outcome}: {@code applied} or {@code invalid}. */
    public static final String RULE_RELOADS = "firebreak.detection.rule.reloads";
    private static final Logger LOG = LoggerFactory.getLogger(DetectionService.class);
    private static final Duration TOPIC_CHECK_TIMEOUT = Duration.ofSeconds(30);

    private final DetectionConfig config;
    private final MeterRegistry meterRegistry;
    private final DetectionMetrics detectionMetrics;
    private volatile KafkaStreams streams;
    private volatile KafkaStreamsMetrics metrics;
    private volatile List<DetectionRule> rules;
    private RulesWatcher watcher;
    private final Counter reloadsApplied;
    private final Counter reloadsInvalid;

    /** Builds the topology and the Kafka Streams client; nothing connects until {@link #start()}. */
    public DetectionService(DetectionConfig config, MeterRegistry meterRegistry) {
        config.requireCommandSigningKey();
        this.config = config;
        this.meterRegistry = meterRegistry;
        // Outlives topology swaps on reload: the principal bound and the counters carry over.
        this.detectionMetrics = new MicrometerDetectionMetrics(meterRegistry, new BoundedLabel(config.principalLabelLimit()));
        this.rules = config.rules();
        // Registered at 0, so the first reload is an increase a dashboard annotation can see.
        this.reloadsApplied = reloadCounter(meterRegistry, "applied");
        this.reloadsInvalid = reloadCounter(meterRegistry, "invalid");
        if (!config.reissue().enabled()) {
            LOG.warn("detection reads no revocation results ({} unset or {}=0): an episode whose revocation failed"
                    + " or was reinstated is not revoked again while its burst goes on",
                    DetectionConfig.RESULT_VERIFICATION_SECRET, DetectionConfig.REISSUE_MAX);
        }
        LOG.info("detection processing guarantee {}", config.processingGuarantee());
        this.streams = streamsFor(rules);
    }

    private static Counter reloadCounter(MeterRegistry meters, String outcome) {
        return Counter.builder(RULE_RELOADS).tag("outcome", outcome)
                .description("Edits of the rule files put in force (applied) or refused (invalid)").register(meters);
    }

    private KafkaStreams streamsFor(List<DetectionRule> ruleSet) {
        Topology topology = DetectionTopology.build(ruleSet, DetectionSerdes.forRegistry(config.schemaRegistryUrl()),
                config.baselines() ? Baseline.BaselineSettings.DEFAULTS : null, detectionMetrics,
                config.commandSigningKey(), config.reissue());
        LOG.info("detection topology for {}:\n{}", config.applicationId(), topology.describe());
        KafkaStreams built = new KafkaStreams(topology, config.toStreamsProperties());
        built.setStateListener((to, from) -> LOG.info("detection {} -> {}", from, to));
        // A dead stream thread would silently stop detection for its partitions; a fresh thread
        // resumes from the last commit and the deterministic ids absorb the replay.
        built.setUncaughtExceptionHandler(e -> {
            LOG.error("detection stream thread failed; replacing it", e);
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        metrics = new KafkaStreamsMetrics(built);
        metrics.bindTo(meterRegistry);
        return built;
    }

    /**
     * Starts consuming; returns at once, see {@link #state()}. With a rules path configured, edits
     * to the rule files are picked up while running.
     */
    public synchronized void start() {
        TopicDurability.require(durabilityRequirement(config.toStreamsProperties()), settings(config.toStreamsProperties()));
        requireCoPartitioned(settings(config.toStreamsProperties()));
        streams.start();
        if (config.rulesPath() != null) {
            watcher = new RulesWatcher(config.rulesPath(), RELOAD_INTERVAL, new RulesWatcher.Listener() {
                @Override
                public void onRules(List<DetectionRule> reloaded) {
                    replace(reloaded);
                }

                @Override
                public void onInvalid(RulesFileException problem) {
                    reloadsInvalid.increment();
                    LOG.error("edited rules at {} are invalid; the {} rules in force stay in force:\n{}",
                            config.rulesPath(), rules.size(), problem.getMessage());
                }
            }).start();
        }
    }

    /**
     * What detection relies on: the topics it reads and writes, its Streams producer's effective
     * settings, and the internal topics Streams creates with {@code replication.factor} and
     * {@code topic.min.insync.replicas} (the brokers' default when unset).
     */
    static TopicDurability.Requirement durabilityRequirement(Properties streamsProperties) {
        StreamsConfig streamsConfig = new StreamsConfig(streamsProperties);
        Map<String, Object> producer = streamsConfig.getProducerConfigs("firebreak-detection-producer");
        String minInsync = streamsProperties.getProperty(StreamsConfig.topicPrefix("min.insync.replicas"));
        TopicDurability.CreatedTopics internal = new TopicDurability.CreatedTopics(
                "the Kafka Streams internal topics (window changelogs, repartition topic) of "
                        + streamsConfig.getString(StreamsConfig.APPLICATION_ID_CONFIG),
                streamsConfig.getInt(StreamsConfig.REPLICATION_FACTOR_CONFIG),
                minInsync == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(Integer.parseInt(minInsync.trim())),
                DetectionConfig.STREAMS_PREFIX + StreamsConfig.REPLICATION_FACTOR_CONFIG + " and " + DetectionConfig.STREAMS_PREFIX
                        + StreamsConfig.topicPrefix("min.insync.replicas"));
        return new TopicDurability.Requirement("detection", List.of(Topics.AUDIT_EVENTS, Topics.DETECTION_OWNER_EVENTS,
                Topics.PRINCIPAL_LINKS,
                Topics.ALERTS, Topics.KILLSWITCH_COMMANDS, Topics.AUDIT_DLQ), Map.of("detection", producer), List.of(internal));
    }

    /**
     * Refuses to start unless the audit events and detection's owner events exist with the same number
     * of partitions: otherwise an owner's own events and its credentials' re-keyed events would reach
     * different tasks, and a burst across them would be counted in two halves (see {@link DetectionTopology}).
     */
    static void requireCoPartitioned(Map<String, ?> clientSettings) {
        try (Admin admin = Admin.create(TopicDurability.adminSettings(clientSettings))) {
            Map<String, Integer> partitions = new java.util.LinkedHashMap<>();
            for (String topic : TopicPlan.CO_PARTITIONED) {
                try {
                    partitions.put(topic, admin.describeTopics(List.of(topic)).allTopicNames()
                            .get(TOPIC_CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic).partitions().size());
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                        throw new IllegalStateException("detection refuses to start: topic " + topic + " does not exist;"
                                + " create the pipeline's topics first (firebreak topics create), " + topic + " with "
                                + TopicPlan.partitions(topic) + " partitions as planned", e.getCause());
                    }
                    throw new IllegalStateException("detection refuses to start: cannot describe " + topic + ": "
                            + e.getCause().getMessage(), e.getCause());
                }
            }
            TopicPlan.coPartitioningDrift(partitions).ifPresent(problem -> {
                throw new IllegalStateException("detection refuses to start: " + problem);
            });
            LOG.info("detection reads {} partitions of {}", partitions.values().iterator().next(), partitions.keySet());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("detection: interrupted while checking its topics' partitions", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("detection refuses to start: cannot describe " + TopicPlan.CO_PARTITIONED
                    + " within " + TOPIC_CHECK_TIMEOUT, e);
        }
    }

    private static Map<String, Object> settings(Properties properties) {
        Map<String, Object> settings = new java.util.HashMap<>();
        properties.forEach((k, v) -> settings.put(String.valueOf(k), v));
        return settings;
    }

    /**
     * Swaps in a new rule set: the client restarts with the new topology under the same application
     * id, so offsets and the changelogs of kept rules carry over; events wait in Kafka meanwhile.
     * A removed or renamed rule is reported, since its open episodes end with it.
     */
    synchronized void replace(List<DetectionRule> reloaded) {
        RulesWatcher.Diff diff = RulesWatcher.Diff.between(rules, reloaded);
        if (diff.isEmpty()) {
            return;
        }
        LOG.warn("rules reloaded from {}: added {}, changed {}, removed {}{}", config.rulesPath(), diff.added(),
                diff.changed(), diff.removed(), diff.removed().isEmpty() ? ""
                        : " (a removed or renamed rule's open episodes and window state are dropped)");
        metrics.close();
        streams.close(DEFAULT_CLOSE_TIMEOUT);
        rules = List.copyOf(reloaded);
        streams = streamsFor(rules);
        streams.start();
        reloadsApplied.increment();
    }

    /** The rules in force. */
    public List<DetectionRule> rules() {
        return rules;
    }

    /**
     * The tasks this instance holds, by id ({@code <sub-topology>_<partition>}, e.g. {@code 0_2}): active
     * ones it processes, standby ones whose state it keeps warm for a failover. Empty before it joined.
     */
    public LocalTasks localTasks() {
        java.util.Set<String> active = new java.util.TreeSet<>();
        java.util.Set<String> standby = new java.util.TreeSet<>();
        streams.metadataForLocalThreads().forEach(thread -> {
            thread.activeTasks().forEach(t -> active.add(t.taskId().toString()));
            thread.standbyTasks().forEach(t -> standby.add(t.taskId().toString()));
        });
        return new LocalTasks(active, standby);
    }

    /**
     * @param active  task ids this instance processes
     * @param standby task ids whose state this instance keeps as a standby
     */
    public record LocalTasks(java.util.Set<String> active, java.util.Set<String> standby) {
        public LocalTasks {
            active = java.util.Set.copyOf(active);
            standby = java.util.Set.copyOf(standby);
        }
    }

    /** The Kafka Streams state: CREATED, REBALANCING, RUNNING, ... */
    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Stops within {@code timeout}; false if it could not finish in time. */
    public synchronized boolean close(Duration timeout) {
        if (watcher != null) {
            watcher.close();
        }
        metrics.close();
        detectionMetrics.registryOutage().stop(); // a thread waiting on the registry gives up (unread, not skipped)
        boolean closed = streams.close(timeout);
        if (!closed) {
            LOG.warn("detection did not stop within {}", timeout);
        }
        return closed;
    }

    @Override
    public void close() {
        close(DEFAULT_CLOSE_TIMEOUT);
    }
}
