package dev.firebreak.launcher.bench;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.detect.DetectionService;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.serde.RegistryAvroSerde;
import dev.firebreak.stack.KafkaService;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * One detection run of the bench: N instances of the production {@link DetectionService} (the same
 * topology, serdes, rules and Streams settings as the pipeline), each with its own state directory,
 * sharing a fresh application id, started together on the pre-produced topic and timed until the
 * group's committed offsets reach the end of every partition. Under exactly-once the commands of
 * those offsets are committed with them, so they are all readable then.
 */
final class DetectionRunner {
    /** Secrets of the bench's own run; the kill switch is not part of it. */
    private static final String COMMAND_SECRET = "detection-bench-command-signing-secret-0123456789";
    private static final String RESULT_SECRET = "detection-bench-result-signing-secret-0123456789";
    private static final Duration POLL = Duration.ofMillis(50);
    /** Kafka Streams' per-thread commit counter as Micrometer's binder names it. */
    private static final String COMMIT_TOTAL = "kafka.stream.thread.commit.total";

    private final KafkaService kafka;
    private final String registryUrl;
    private final Map<String, String> overrides;
    private final Map<Integer, Long> endOffsets;
    private final BenchRun run;
    private final String runTag = UUID.randomUUID().toString().substring(0, 8);
    private int runs;

    DetectionRunner(KafkaService kafka, String registryUrl, Map<String, String> overrides, Map<Integer, Long> endOffsets,
                    BenchRun run) {
        this.kafka = kafka;
        this.registryUrl = registryUrl;
        this.overrides = Map.copyOf(overrides);
        this.endOffsets = Map.copyOf(endOffsets);
        this.run = run;
    }

    /**
     * The detection settings of one instance, as the pipeline sets them, with the bench's {@code --set}
     * overrides (bare keys are taken as detection's own, so {@code streams.num.stream.threads} goes to Kafka Streams).
     */
    static Map<String, String> configMap(String applicationId, String registryUrl, String bootstrap, Path stateDir,
                                         Map<String, String> overrides) {
        Map<String, String> m = new HashMap<>();
        m.put(DetectionConfig.APPLICATION_ID, applicationId);
        m.put(DetectionConfig.BOOTSTRAP_SERVERS, bootstrap);
        m.put(DetectionConfig.SCHEMA_REGISTRY_URL, registryUrl);
        m.put(DetectionConfig.STATE_DIR, stateDir.toString());
        m.put(DetectionConfig.COMMAND_SIGNING_SECRET, COMMAND_SECRET);
        m.put(DetectionConfig.RESULT_VERIFICATION_SECRET, RESULT_SECRET);
        overrides.forEach((k, v) -> m.put(detectionKey(k), v));
        return m;
    }

    /** Keys the bench sets itself per run; an override would make the runs share state or talk to another cluster. */
    static final java.util.Set<String> OWN_KEYS = java.util.Set.of(DetectionConfig.APPLICATION_ID, DetectionConfig.STATE_DIR,
            DetectionConfig.BOOTSTRAP_SERVERS, DetectionConfig.SCHEMA_REGISTRY_URL);

    /** The first {@code --set} key the bench does not allow (see {@link #OWN_KEYS}), or null. */
    static String refusedOverride(Map<String, String> overrides) {
        return overrides.keySet().stream().map(DetectionRunner::detectionKey).filter(OWN_KEYS::contains).findFirst()
                .orElse(null);
    }

    /**
     * Full {@code firebreak.*} keys as given; a bare key is one of detection's own. The old {@code kafka.*}
     * spelling is taken as {@code firebreak.detection.streams.*}, so the bench writes no deprecated key.
     */
    static String detectionKey(String key) {
        if (key.startsWith(DetectionConfig.KAFKA_PREFIX)) {
            return DetectionConfig.STREAMS_PREFIX + key.substring(DetectionConfig.KAFKA_PREFIX.length());
        }
        return key.startsWith("firebreak.") ? key : DetectionConfig.PREFIX + key;
    }

    /** The detection configuration every run uses (but its application id and state directory), for the settings line. */
    DetectionConfig settings() {
        return DetectionConfig.fromMap(configMap("firebreak-detection-bench", registryUrl, kafka.bootstrapServers(),
                Path.of("unused"), overrides));
    }

    /**
     * One run's figures.
     *
     * @param processed          input events whose offsets the group committed by the end
     * @param seconds            from starting the instances to the committed offsets at the end
     * @param startupSeconds     from starting the instances to all of them RUNNING for the first time
     * @param heapBytes          used heap after a full GC with the state loaded, minus before the run
     * @param changelogBytes     the sizes of the run's changelog topics on the broker
     * @param repartitionBytes   the sizes of the run's repartition topics on the broker
     * @param inputBytes         the size of the audit topic on the broker
     * @param alerts             alerts the run wrote (rules and baselines)
     * @param commits            Kafka Streams commits (under exactly-once, transactions) of every thread
     */
    record Result(int instances, long processed, long expected, double seconds, double startupSeconds,
                  long heapBytes, long distinctPrincipals, long changelogBytes, long repartitionBytes, long inputBytes,
                  BurstScore score, List<String> changelogs, long alerts, long commits) {
        boolean complete() {
            return processed >= expected;
        }

        double eventsPerSecond() {
            return seconds > 0 ? processed / seconds : 0;
        }

        /** Excluding the start-up (group join, global store restore): from all instances RUNNING on. */
        double eventsPerSecondRunning() {
            double busy = seconds - startupSeconds;
            return busy > 0 && startupSeconds >= 0 ? processed / busy : 0;
        }
    }

    Result run(int instances, List<BurstKey> answerKey, long distinctPrincipals) throws Exception {
        // Fresh per run (the same instance count may run twice, e.g. --instances 1,2,1 to see the JIT's warm-up).
        String applicationId = "firebreak-detection-bench-" + runTag + "-run" + (++runs) + "-x" + instances;
        Map<Integer, Long> commandsFrom = endOffsets(Topics.KILLSWITCH_COMMANDS);
        Map<Integer, Long> alertsFrom = endOffsets(Topics.ALERTS);
        List<MeterRegistry> meters = new ArrayList<>();
        List<Path> stateDirs = new ArrayList<>();
        List<DetectionService> services = new ArrayList<>();
        long heapBefore = usedHeapAfterGc();
        long start = System.nanoTime();
        double startup = -1;
        long processed = 0;
        long heapAfter;
        try (Admin admin = kafka.admin()) {
            for (int i = 0; i < instances; i++) {
                Path state = Files.createTempDirectory("firebreak-detection-bench-" + i + "-");
                stateDirs.add(state);
                DetectionConfig config = DetectionConfig.fromMap(configMap(applicationId, registryUrl,
                        kafka.bootstrapServers(), state, overrides));
                SimpleMeterRegistry registry = new SimpleMeterRegistry();
                meters.add(registry);
                DetectionService service = new DetectionService(config, registry);
                services.add(service);
                service.start();
            }
            long expected = total();
            while (!run.deadline().passed()) {
                if (startup < 0 && services.stream().allMatch(s -> s.state() == KafkaStreams.State.RUNNING)) {
                    startup = (System.nanoTime() - start) / 1e9;
                }
                processed = committed(admin, applicationId);
                if (processed >= expected) {
                    break;
                }
                Thread.sleep(POLL.toMillis());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            heapAfter = usedHeapAfterGc();
            Sizes sizes = sizes(admin, applicationId);
            long commits = commits(meters);
            services.forEach(s -> s.close(Duration.ofSeconds(30)));
            services.clear();
            List<RevokeCommand> commands = readSince(Topics.KILLSWITCH_COMMANDS, commandsFrom,
                    RegistryAvroSerde.forValue(RevokeCommand.class, registryUrl).deserializer());
            List<Alert> alerts = readSince(Topics.ALERTS, alertsFrom, RegistryAvroSerde.forValue(Alert.class, registryUrl).deserializer());
            return new Result(instances, processed, expected, seconds, startup, heapAfter - heapBefore, distinctPrincipals,
                    sizes.changelog(), sizes.repartition(), sizes.input(),
                    BurstScore.of(answerKey, DetectionWorkload.BURST_RULE, commands), sizes.changelogs(), alerts.size(), commits);
        } finally {
            services.forEach(s -> s.close(Duration.ofSeconds(30)));
            stateDirs.forEach(DetectionBenchCommand::deleteTree);
        }
    }

    // Each alert and command asks Streams to commit at once (a transaction under exactly-once), so the
    // count of commits explains much of a run's speed; read from Streams' own metrics.
    private static long commits(List<MeterRegistry> meters) {
        double total = 0;
        for (MeterRegistry registry : meters) {
            for (Meter meter : registry.getMeters()) {
                if (meter.getId().getName().equals(COMMIT_TOTAL)) {
                    for (Measurement m : meter.measure()) {
                        total += m.getValue();
                    }
                }
            }
        }
        return (long) total;
    }

    private long total() {
        return endOffsets.values().stream().mapToLong(Long::longValue).sum();
    }

    private long committed(Admin admin, String group) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        long sum = 0;
        for (var e : offsets.entrySet()) {
            if (e.getKey().topic().equals(Topics.AUDIT_EVENTS) && e.getValue() != null) {
                sum += Math.min(e.getValue().offset(), endOffsets.getOrDefault(e.getKey().partition(), 0L));
            }
        }
        return sum;
    }

    /** Used heap after two full collections, so only what is reachable (the loaded state among it) counts. */
    static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 2; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private record Sizes(long changelog, long repartition, long input, List<String> changelogs) {
    }

    // The broker's own account of each partition's log (describeLogDirs), summed per topic family.
    private Sizes sizes(Admin admin, String applicationId) throws Exception {
        List<Integer> brokers = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream().map(n -> n.id()).toList();
        Map<Integer, Map<String, LogDirDescription>> dirs = admin.describeLogDirs(brokers).allDescriptions()
                .get(30, TimeUnit.SECONDS);
        long changelog = 0;
        long repartition = 0;
        long input = 0;
        java.util.TreeSet<String> changelogs = new java.util.TreeSet<>();
        for (Map<String, LogDirDescription> byDir : dirs.values()) {
            for (LogDirDescription dir : byDir.values()) {
                for (Map.Entry<TopicPartition, ReplicaInfo> replica : dir.replicaInfos().entrySet()) {
                    String topic = replica.getKey().topic();
                    long size = replica.getValue().size();
                    if (topic.equals(Topics.AUDIT_EVENTS)) {
                        input += size;
                    } else if (topic.startsWith(applicationId + "-") && topic.endsWith("-changelog")) {
                        changelog += size;
                        changelogs.add(topic.substring(applicationId.length() + 1));
                    } else if (topic.startsWith(applicationId + "-") && topic.endsWith("-repartition")) {
                        repartition += size;
                    }
                }
            }
        }
        return new Sizes(changelog, repartition, input, List.copyOf(changelogs));
    }

    private Map<Integer, Long> endOffsets(String topic) {
        try (KafkaConsumer<String, byte[]> consumer = consumer(new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            Map<Integer, Long> offsets = new HashMap<>();
            consumer.endOffsets(partitions).forEach((tp, offset) -> offsets.put(tp.partition(), offset));
            return offsets;
        }
    }

    /** The committed records of {@code topic} from {@code from} to its end, read_committed as the kill switch reads. */
    private <T> List<T> readSince(String topic, Map<Integer, Long> from, Deserializer<T> values) {
        List<T> read = new ArrayList<>();
        try (KafkaConsumer<String, T> consumer = consumer(values)) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            consumer.assign(partitions);
            partitions.forEach(tp -> consumer.seek(tp, from.getOrDefault(tp.partition(), 0L)));
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            // Not bounded by the run's budget: a run cut short by it still reports the commands it wrote.
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> read.add(r.value()));
            }
        }
        return read;
    }

    private <T> KafkaConsumer<String, T> consumer(Deserializer<T> values) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(props, new StringDeserializer(), values);
    }

    private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
        return consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    }
}
