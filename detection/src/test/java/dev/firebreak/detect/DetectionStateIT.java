package dev.firebreak.detect;

import dev.firebreak.rules.TestRules;
import dev.firebreak.rules.AuditEvents;
import static dev.firebreak.rules.AuditEvents.at;
import static dev.firebreak.rules.AuditEvents.dropTables;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.PrincipalLink;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.TopicPlan;
import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Detection state on a real Kafka: the links index is rebuilt when the global store restores
 * (Kafka Streams 4.1 runs the topic through the store's processor), also after a restart; and the
 * record cache's effect on changelog writes, measured with and without it (printed, not asserted).
 */
class DetectionStateIT {
    private static final String AGENT = "agent:cleanup-bot";
    private static final String OTHER = "agent:report-bot";
    private static EmbeddedKafka kafka;
    private static final String REGISTRY = "mem://detection-state-it-" + UUID.randomUUID();
    private static final DetectionSerdes SERDES = DetectionSerdes.forRegistry(REGISTRY);

    @TempDir
    Path stateDir;
    private KafkaStreams streams;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.start(1);
        List<NewTopic> topics = new ArrayList<>();
        for (TopicPlan.Spec spec : TopicPlan.TOPICS) {
            topics.add(new NewTopic(spec.name(), spec.partitions(), kafka.replicationFactor())
                    .configs(TopicPlan.createConfigs(spec, 1)));
        }
        try (var admin = kafka.admin()) {
            admin.createTopics(topics).all().get();
        }
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @AfterEach
    void stopStreams() {
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
        }
    }

    @Test
    void theLinksIndexIsRebuiltOnRestoreAndAfterARestart() throws Exception {
        String appId = "links-it-" + UUID.randomUUID();
        link("pg:prod/app_rw", AGENT);
        link("pg:prod/app_admin", AGENT);
        link("token:railway/3f9a", AGENT);
        link("pg:prod/report", "agent:x"); // relinked below: the stale index entry must go

        streams = start(appId, Map.of());
        ReadOnlyKeyValueStore<String, PrincipalLink> store = streams.store(StoreQueryParameters.fromNameAndType(
                DetectionNames.PRINCIPAL_LINKS_STORE, QueryableStoreTypes.keyValueStore()));
        assertThat(store.get(PrincipalLinks.indexKey(AGENT, "pg:prod/app_rw"))).as("index built while restoring").isNotNull();
        burst("pg:prod/app_rw", "a", 0.0);
        assertThat(nextCommand("pg:prod/app_rw").getTargets())
                .containsExactly("pg:prod/app_admin", "pg:prod/app_rw", "token:railway/3f9a");
        streams.close(Duration.ofSeconds(30));

        link("pg:prod/report", OTHER);
        link("pg:prod/report_admin", OTHER);
        unlink("token:railway/3f9a");
        streams = start(appId, Map.of());
        burst("pg:prod/report", "r", 10.0);
        assertThat(nextCommand("pg:prod/report").getTargets()).containsExactly("pg:prod/report", "pg:prod/report_admin");
        burst("pg:prod/app_admin", "b", 60.0);
        assertThat(nextCommand("pg:prod/app_admin").getTargets()).containsExactly("pg:prod/app_admin", "pg:prod/app_rw");
    }

    /** The gauge no longer scans the store: the episodes open before a restart are read once, at start-up. */
    @Test
    void anEpisodeOpenBeforeARestartIsCountedByTheGaugeAfterIt() throws Exception {
        String appId = "gauge-it-" + UUID.randomUUID();
        String principal = "pg:prod/gauge";
        // a quiet time far beyond how long a restart can take on a loaded machine
        DetectionRule rule = TestRules.drops(DetectionRule.DEFAULT_ID, java.util.Set.of("table"), 3, Duration.ofSeconds(1),
                Duration.ofHours(1), Duration.ofSeconds(2), dev.firebreak.schema.Severity.CRITICAL,
                dev.firebreak.schema.Response.REVOKE, 10_000);
        streams = start(appId, Map.of(), DetectionMetrics.NONE, rule);
        long nowUs = System.currentTimeMillis() * 1_000;
        try (KafkaProducer<String, AuditEvent> producer = producer(SERDES.auditEvents().serializer())) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, principal,
                        dropTables(principal, "g" + i, nowUs + i * 1_000, "public.g" + i))).get();
            }
        }
        nextCommand(principal);
        streams.close(Duration.ofSeconds(30));

        java.util.concurrent.ConcurrentHashMap<String, Integer> open = new java.util.concurrent.ConcurrentHashMap<>();
        DetectionMetrics recording = new DetectionMetrics() {
            @Override
            public void openEpisodes(String rule, String task, int count) {
                open.put(rule + "/" + task, count);
            }
        };
        streams = start(appId, Map.of(), recording, rule);
        await().atMost(Duration.ofSeconds(25)).until(() -> open.values().stream().mapToInt(Integer::intValue).sum() == 1);
    }

    @Test
    void theRecordCacheWritesAHotPrincipalsStateOncePerCommit() throws Exception {
        int events = 5_000;
        long uncached = changelogRecordsForFlood("pg:prod/flood_uncached", events, "0");
        long cached = changelogRecordsForFlood("pg:prod/flood_cached", events, DetectionConfig.DEFAULT_CACHE_MAX_BYTES);
        System.out.printf("changelog records for %d pre-produced events of one principal: %d without the record cache"
                + " (%.3f per event), %d with it (%.4f per event)%n", events, uncached, uncached / (double) events,
                cached, cached / (double) events);
        assertThat(cached).isPositive();
        assertThat(uncached).isPositive();
    }

    private long changelogRecordsForFlood(String principal, int events, String cacheBytes) throws Exception {
        String appId = "flood-it-" + UUID.randomUUID();
        try (KafkaProducer<String, AuditEvent> producer = producer(SERDES.auditEvents().serializer())) {
            for (int i = 0; i < events; i++) {
                producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, principal,
                        dropTables(principal, principal + "-" + i, at(100 + i * 0.001), "public.t" + i)));
            }
        }
        streams = start(appId, Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, cacheBytes));
        assertThat(nextCommand(principal).getCommandId()).endsWith(principal + "-0");
        String changelog = appId + "-" + DetectionNames.dropBurstState(DetectionRule.DEFAULT_ID) + "-changelog";
        await().atMost(Duration.ofSeconds(60)).until(() -> latestUs(changelog, principal) == at(100 + (events - 1) * 0.001));
        long records = count(changelog, principal);
        streams.close(Duration.ofSeconds(30));
        streams = null;
        return records;
    }

    private KafkaStreams start(String appId, Map<String, String> overrides) {
        return start(appId, overrides, DetectionMetrics.NONE, DetectionRule.defaults());
    }

    private KafkaStreams start(String appId, Map<String, String> overrides, DetectionMetrics metrics, DetectionRule rule) {
        Map<String, String> settings = new HashMap<>(Map.of(
                DetectionConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                DetectionConfig.SCHEMA_REGISTRY_URL, REGISTRY,
                DetectionConfig.STATE_DIR, stateDir.resolve(appId).toString()));
        Properties props = DetectionConfig.fromMap(settings).toStreamsProperties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        props.putAll(overrides);
        KafkaStreams started = new KafkaStreams(DetectionTopology.build(List.of(rule), SERDES, null,
                metrics, TestSigning.KEY), props);
        started.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> started.state() == KafkaStreams.State.RUNNING);
        return started;
    }

    private void burst(String principal, String prefix, double startSeconds) throws Exception {
        try (KafkaProducer<String, AuditEvent> producer = producer(SERDES.auditEvents().serializer())) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, principal, dropTables(principal,
                        prefix + UUID.randomUUID(), at(startSeconds + i * 0.1), prefix + "_t" + i))).get();
            }
        }
    }

    private RevokeCommand nextCommand(String principalOrTarget) {
        Properties props = consumerProps();
        try (KafkaConsumer<String, RevokeCommand> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                SERDES.revokeCommands().deserializer())) {
            consumer.subscribe(List.of(Topics.KILLSWITCH_COMMANDS));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, RevokeCommand> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value().getTargets().contains(principalOrTarget) && seen.add(r.value().getCommandId())) {
                        return r.value();
                    }
                }
            }
        }
        throw new AssertionError("no command for " + principalOrTarget);
    }

    private final java.util.Set<String> seen = new java.util.HashSet<>();

    private long latestUs(String changelog, String principal) {
        long[] latest = {Long.MIN_VALUE};
        readChangelog(changelog, principal, state -> latest[0] = Math.max(latest[0], state.latestUs()));
        return latest[0];
    }

    private long count(String changelog, String principal) {
        long[] n = {0};
        readChangelog(changelog, principal, state -> n[0]++);
        return n[0];
    }

    private void readChangelog(String changelog, String principal, java.util.function.Consumer<DropBurstState> each) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerProps(), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(changelog));
            int empty = 0;
            while (empty < 5) {
                var records = consumer.poll(Duration.ofMillis(200));
                empty = records.isEmpty() ? empty + 1 : 0;
                for (ConsumerRecord<String, byte[]> r : records) {
                    if (principal.equals(r.key()) && r.value() != null) {
                        each.accept(DropBurstStateSerde.read(changelog, r.value()));
                    }
                }
            }
        }
    }

    private static Properties consumerProps() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }

    private static void link(String credential, String owner) throws Exception {
        try (KafkaProducer<String, PrincipalLink> producer = producer(SERDES.principalLinks().serializer())) {
            producer.send(new ProducerRecord<>(Topics.PRINCIPAL_LINKS, credential, PrincipalLink.newBuilder()
                    .setPrincipal(credential).setOwner(owner).setReason("it").setLinkedTimeUs(1).build())).get();
        }
    }

    private static void unlink(String credential) throws Exception {
        try (KafkaProducer<String, PrincipalLink> producer = producer(SERDES.principalLinks().serializer())) {
            producer.send(new ProducerRecord<>(Topics.PRINCIPAL_LINKS, credential, null)).get();
        }
    }

    private static <V> KafkaProducer<String, V> producer(Serializer<V> values) {
        Properties props = new Properties();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        props.put("linger.ms", "5");
        return new KafkaProducer<>(props, new StringSerializer(), values);
    }
}
