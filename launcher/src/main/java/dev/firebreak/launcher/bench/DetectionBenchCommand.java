package dev.firebreak.launcher.bench;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.PrincipalLink;
import dev.firebreak.schema.TopicPlan;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.stack.KafkaService;
import dev.firebreak.stack.RegistryService;
import dev.firebreak.stack.StackProviders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Detection throughput against a raw consumer in the same run. Pre-produces a Zipf workload with
 * injected bursts of known answer ({@link DetectionWorkload}) to a partitioned audit topic, then
 * times a plain {@code KafkaConsumer} with the same Avro deserializer reading it all, and the
 * production detection service ({@code DetectionService}: the bundled rules, baselines, exactly-once)
 * on 1, then 2 instances, each from a fresh application id. Prints events/s and the ratio to the raw
 * consumer, bursts caught, missed and duplicated, heap per million principals and changelog bytes
 * per input byte. Figures are printed, never judged: exit 0 unless the run itself failed.
 */
@Command(name = "detection-bench", mixinStandardHelpOptions = true,
        description = "Pre-produce a Zipf workload with injected bursts, then time a raw consumer and the detection "
                + "topology on 1 and 2 instances over it; print events/s, the ratio, bursts caught/missed/duplicated, "
                + "heap per million principals and changelog bytes per input byte.")
public final class DetectionBenchCommand implements Callable<Integer> {
    @Option(names = "--events", defaultValue = "1000000", description = "Events produced, bursts included (default ${DEFAULT-VALUE}).")
    long events;

    @Option(names = "--principals", defaultValue = "100000", description = "Principals the events are drawn from (default ${DEFAULT-VALUE}).")
    int principals;

    @Option(names = "--zipf", defaultValue = "1.1", description = "Zipf exponent of the principals' activity; 0 is uniform (default ${DEFAULT-VALUE}).")
    double zipf;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the audit events topic (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--bursts", defaultValue = "20", description = "Bursts injected, every other one across two linked credentials (default ${DEFAULT-VALUE}).")
    int bursts;

    @Option(names = "--instances", split = ",", defaultValue = "1,2",
            description = "Detection runs, by number of instances, one after the other (default ${DEFAULT-VALUE}).")
    List<Integer> instances;

    @Option(names = "--seed", defaultValue = "17", description = "Seed of the workload (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--registry", defaultValue = "apicurio",
            description = "Schema registry: apicurio (child process, over HTTP, as local runs it) or memory (in this JVM) (default ${DEFAULT-VALUE}).")
    String registry;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A detection setting for every run, e.g. --set streams.num.stream.threads=2 (repeatable).")
    Map<String, String> overrides = new TreeMap<>();

    @Option(names = "--timeout-s", defaultValue = "900", description = Deadline.TIMEOUT_OPTION_DESCRIPTION)
    long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        String invalid = validate();
        if (invalid != null) {
            System.err.println(invalid);
            return 2;
        }
        BenchRun run = BenchRun.start(timeoutSeconds);
        DetectionWorkload workload;
        try {
            List<DetectionRule> rules = DetectionConfig.fromMap(DetectionRunner.configMap("probe", "mem://probe",
                    "127.0.0.1:9", Path.of("unused"), overrides)).rules();
            long span = events * DetectionWorkload.TICK_US;
            long startUs = (Instant.now().toEpochMilli() * 1000 - span) / 1_000_000 * 1_000_000;
            workload = DetectionWorkload.plan(new DetectionWorkload.Settings(events, principals, zipf, partitions, bursts, seed,
                    startUs), rules);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        try (KafkaService kafka = StackProviders.select().startKafka(1);
             Registry schemaRegistry = Registry.start(registry, run)) {
            run.progress().event("stack", "Kafka (KRaft, 1 broker) at " + kafka.bootstrapServers() + "; " + schemaRegistry.description());
            createTopics(kafka);
            SchemaRegistries.registerPipelineSchemas(schemaRegistry.url());
            Produced produced = produce(kafka, schemaRegistry.url(), workload, run);
            run.progress().event("bench", String.format(Locale.ROOT, "%,d events produced in %.1f s; raw consumer",
                    events, produced.seconds()));
            DetectionRunner runner = new DetectionRunner(kafka, schemaRegistry.url(), overrides, produced.endOffsets(), run);
            RawConsumerRun raw = RawConsumerRun.measure(kafka.bootstrapServers(), schemaRegistry.url(), produced.endOffsets(),
                    run.deadline());
            List<DetectionRunner.Result> results = new ArrayList<>();
            for (int n : instances) {
                if (run.deadline().passed()) {
                    break;
                }
                run.progress().event("bench", "detection on " + n + " instance" + (n > 1 ? "s" : ""));
                results.add(runner.run(n, workload.answerKey(), produced.distinctPrincipals()));
            }
            new DetectionBenchReport(System.out).print(this, workload, produced, raw, results, runner.settings(), run);
            boolean complete = raw.complete() && results.size() == instances.size()
                    && results.stream().allMatch(DetectionRunner.Result::complete);
            if (!complete) {
                System.out.println("INCOMPLETE: the time budget (--timeout-s) ran out before every run reached the end of the topic");
            }
            return complete ? 0 : 1;
        }
    }

    private String validate() {
        if (events < 1 || events > 1_000_000_000L) {
            return "--events must be 1..1000000000";
        }
        if (principals < 10 || principals > 50_000_000) {
            return "--principals must be 10..50000000";
        }
        if (partitions < 1 || partitions > 64) {
            return "--partitions must be 1..64";
        }
        if (bursts < 0 || bursts > 10_000) {
            return "--bursts must be 0..10000";
        }
        if (instances.isEmpty() || instances.stream().anyMatch(n -> n < 1 || n > 8)) {
            return "--instances takes a list of 1..8, e.g. 1,2";
        }
        String refused = DetectionRunner.refusedOverride(overrides);
        if (refused != null) {
            return "--set " + refused + " is not allowed: the bench sets " + String.join(", ",
                    new java.util.TreeSet<>(DetectionRunner.OWN_KEYS)) + " itself, per run";
        }
        if (!registry.equals("apicurio") && !registry.equals("memory")) {
            return "--registry=" + registry + " is not allowed; allowed: apicurio, memory";
        }
        return null;
    }

    /** What the settings say, for the report. */
    String describeSettings() {
        return String.format(Locale.ROOT, "%,d events, %,d principals, Zipf %.2f, %d partitions, %d bursts, seed %d",
                events, principals, zipf, partitions, bursts, seed);
    }

    String registryName() {
        return registry;
    }

    private void createTopics(KafkaService kafka) throws Exception {
        try (Admin admin = kafka.admin()) {
            List<NewTopic> topics = new ArrayList<>();
            for (TopicPlan.Spec spec : TopicPlan.TOPICS) {
                int count = spec.name().equals(Topics.AUDIT_EVENTS) ? partitions : spec.partitions();
                topics.add(new NewTopic(spec.name(), count, kafka.replicationFactor()).configs(TopicPlan.createConfigs(spec, 1)));
            }
            admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * What producing left: the audit topic's end offsets, the distinct principals, the bytes the
     * values took, and the time it took.
     */
    record Produced(Map<Integer, Long> endOffsets, long distinctPrincipals, long valueBytes, double seconds,
                    DetectionWorkload.Stats stats) {
        long total() {
            return endOffsets.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    // Links first, as the pipeline does, so the global store knows every owner before any event.
    private Produced produce(KafkaService kafka, String url, DetectionWorkload workload, BenchRun run) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        var registryClient = SchemaRegistries.forUrl(url);
        try (KafkaProducer<String, PrincipalLink> links = new KafkaProducer<>(props, new StringSerializer(),
                new RegistryAvroSerializer<>(PrincipalLink.class, registryClient, false))) {
            for (PrincipalLink link : workload.links()) {
                links.send(new ProducerRecord<>(Topics.PRINCIPAL_LINKS, link.getPrincipal(), link));
            }
            links.flush();
        }
        AtomicLong valueBytes = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Serializer<AuditEvent> avro = new RegistryAvroSerializer<>(AuditEvent.class, registryClient, false);
        Serializer<AuditEvent> counting = (topic, event) -> {
            byte[] bytes = avro.serialize(topic, event);
            valueBytes.addAndGet(bytes.length);
            return bytes;
        };
        long start = System.nanoTime();
        DetectionWorkload.Stats stats;
        try (KafkaProducer<String, AuditEvent> producer = new KafkaProducer<>(props, new StringSerializer(), counting)) {
            stats = workload.forEach(event -> producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, null,
                    event.getEventTimeUs() / 1000, event.getPrincipal(), event), (meta, e) -> {
                        if (e != null) {
                            failure.compareAndSet(null, e);
                        }
                    }));
            producer.flush();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (failure.get() != null) {
            throw new IllegalStateException("producing the workload failed: " + failure.get().getMessage(), failure.get());
        }
        Map<Integer, Long> ends = RawConsumerRun.endOffsets(kafka.bootstrapServers(), partitions);
        return new Produced(ends, stats.distinctPrincipals(), valueBytes.get(), seconds, stats);
    }

    /** The schema registry of the run: Apicurio as a child process, or an in-JVM one. */
    private record Registry(String url, String description, RegistryService service) implements AutoCloseable {
        static Registry start(String kind, BenchRun run) {
            if (kind.equals("memory")) {
                return new Registry("mem://detection-bench-" + java.util.UUID.randomUUID(), "registry in this JVM (mem://)", null);
            }
            RegistryService service = StackProviders.select().startRegistry(run.deadline().cap(Duration.ofSeconds(180)));
            return new Registry(service.confluentUrl(), service.describe(), service);
        }

        @Override
        public void close() {
            SchemaRegistries.forget(url);
            if (service != null) {
                service.close();
            }
        }
    }

    /** Deletes {@code dir} and everything below it; what cannot be deleted is left. */
    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // a state directory still locked by a closing client; the OS cleans temp later
                }
            });
        } catch (IOException e) {
            // as above
        }
    }

    /** The processing guarantee and commit interval detection runs with, for the settings line. */
    static String streamsSummary(java.util.Properties streams) {
        return "processing.guarantee=" + streams.getProperty(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)
                + ", commit.interval.ms=" + streams.getProperty(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)
                + ", num.stream.threads=" + streams.getProperty(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1")
                + " per instance, num.standby.replicas=" + streams.getProperty(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG)
                + ", statestore.cache.max.bytes=" + streams.getProperty(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG);
    }
}
