package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The detection process is SIGKILLed after two drops of a burst and restarted: its window state
 * comes back from the changelog, so the third drop still trips the rule, exactly once.
 */
class DetectionRestartIT {
    private static final String GROUP = "firebreak-detection";
    private static LocalStack stack;
    private static Path config;

    @BeforeAll
    static void start() throws Exception {
        stack = LocalStack.start(1, m -> { });
        Properties props = new Properties();
        props.putAll(PipelineSettings.stackMap(stack, "restart", List.of()));
        config = Files.createTempFile("firebreak-detection", ".properties");
        try (Writer out = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
            props.store(out, "detection restart test");
        }
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void theRestOfABurstStillTripsTheRuleAfterAKill() throws Exception {
        String principal = "pg:restart/agent_" + UUID.randomUUID().toString().substring(0, 8);
        long t0 = Micros.now();
        ServiceProcess detection = ServiceProcess.start("detection", config);
        try (KafkaProducer<String, byte[]> producer = producer()) {
            send(producer, drop(principal, "e1", t0, "a"));
            send(producer, drop(principal, "e2", t0 + 200_000, "b"));
            awaitCommitted(2);
            detection.kill();
            assertThat(commandsFor(principal, Duration.ofSeconds(1))).as("two drops trip nothing").isEmpty();

            detection = ServiceProcess.start("detection", config);
            // the third drop arrives seconds later by the wall clock, but 0.5 s after the first by database time
            send(producer, drop(principal, "e3", t0 + 500_000, "c"));
            List<RevokeCommand> commands = commandsFor(principal, Duration.ofSeconds(30));
            assertThat(commands).hasSize(1);
            assertThat(commands.get(0).getTriggerEventId()).isEqualTo("e3-" + principal);
            assertThat(detection.probe("/health/live")).as("the running service's liveness probe").isEqualTo(200);
            assertThat(detection.probe("/health/ready")).as("the running service's readiness probe").isEqualTo(200);
            assertThat(detection.scrapeMetrics()).as("the service's /metrics").contains(
                    "firebreak_detection_episodes_total{response=\"revoke\",rule=\"pg-drop-table-burst\"",
                    "firebreak_detection_events_total{outcome=\"evaluated\"}", "kafka_stream_thread_process_total{",
                    "jvm_threads_live_threads ");
        } finally {
            detection.close();
        }
    }

    private static AuditEvent drop(String principal, String id, long timeUs, String table) {
        return AuditEvent.newBuilder()
                .setEventId(id + "-" + principal)
                .setPrincipal(principal)
                .setSource(AuditSource.POSTGRES_EVENT_TRIGGER)
                .setAction("DROP TABLE")
                .setEventTimeUs(timeUs)
                .setCapturedTimeUs(timeUs + 1_000)
                .setCluster("restart")
                .setStatement("DROP TABLE public." + table)
                .setObjects(List.of(AffectedObject.newBuilder().setObjectType("table").setSchemaName("public")
                        .setObjectName(table).setIdentity("public." + table).setOriginal(true).build()))
                .setDestructive(true)
                .setAttributes(Map.of("trigger", "sql_drop"))
                .build();
    }

    private static KafkaProducer<String, byte[]> producer() {
        Properties props = new Properties();
        props.putAll(stack.adminClientProperties());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(props, new StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer());
    }

    private static void send(KafkaProducer<String, byte[]> producer, AuditEvent event) throws Exception {
        var serializer = new RegistryAvroSerializer<>(AuditEvent.class, SchemaRegistries.forUrl(stack.registryUrl()), false);
        producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, event.getPrincipal(),
                serializer.serialize(Topics.AUDIT_EVENTS, event))).get();
    }

    /** Waits until detection committed past {@code records} input records: their state is in the changelog. */
    private static void awaitCommitted(long records) {
        // The audit events have several partitions: the committed offsets of all of them add up to
        // the records read, since this stack holds this test's events alone.
        try (Admin admin = stack.kafka().admin()) {
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                Map<TopicPartition, OffsetAndMetadata> offsets =
                        admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get();
                long committed = offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(Topics.AUDIT_EVENTS))
                        .filter(e -> e.getValue() != null).mapToLong(e -> e.getValue().offset()).sum();
                return committed >= records;
            });
        }
    }

    private static List<RevokeCommand> commandsFor(String principal, Duration wait) {
        Properties props = new Properties();
        props.putAll(stack.adminClientProperties());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<RevokeCommand> found = new ArrayList<>();
        try (KafkaConsumer<String, RevokeCommand> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new RegistryAvroDeserializer<>(RevokeCommand.class, SchemaRegistries.forUrl(stack.registryUrl())))) {
            consumer.subscribe(List.of(Topics.KILLSWITCH_COMMANDS));
            long deadline = System.nanoTime() + wait.toNanos();
            while (System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.value().getPrincipal().equals(principal)) {
                        found.add(r.value());
                    }
                });
                if (!found.isEmpty()) {
                    // keep reading a little: a second command for the same burst would be a bug
                    consumer.poll(Duration.ofSeconds(2)).forEach(r -> {
                        if (r.value().getPrincipal().equals(principal)) {
                            found.add(r.value());
                        }
                    });
                    break;
                }
            }
        }
        return found;
    }
}
