package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.detect.DetectionService;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.schema.signing.RecordSignatures;
import dev.firebreak.schema.signing.SigningKey;
import dev.firebreak.stack.EmbeddedKafka;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A burst whose revoke command could not be written still gets its command once the fault is
 * fixed and detection restarted, under exactly-once; under at-least-once the same fault loses it.
 *
 * <p>The fault is a real broker refusal: the commands topic's {@code max.message.bytes} is smaller
 * than any command, so the send fails (RecordTooLargeException) and detection's stream thread
 * dies, after the window state saying "episode open, command sent" was already written to the
 * changelog. Under exactly-once that write belongs to the aborted transaction, so the replacement
 * thread and the restarted service restore the state without it and trip the rule again. Under
 * at-least-once the write stays, the replayed events only extend an episode that looks handled,
 * the input offsets are committed, and the command is gone for good. (With the record cache
 * off, so that the state write precedes the send; see the settings below.)
 *
 * <p>And a revocation the kill switch reports FAILED is re-issued while the burst goes on.
 */
class DetectionCommandLossIT {
    private static final String SECRET = "command-loss-it-signing-secret-0123456789";
    private static final String RESULT_SECRET = "command-loss-it-result-secret-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(90);

    @Test
    void exactlyOnceIssuesTheCommandAfterTheRestart() throws Exception {
        List<RevokeCommand> commands = commandsAfterAFailedSendAndARestart(StreamsConfig.EXACTLY_ONCE_V2);
        assertThat(commands).hasSize(1);
        RevokeCommand command = commands.get(0);
        assertThat(RecordSignatures.verify(command, SigningKey.of(SECRET))).isEqualTo(RecordSignatures.Verification.VALID);
        assertThat(command.getCommandId()).endsWith("/e0").startsWith("pg-drop-table-burst/");
        assertThat(command.getTriggerEventId()).isEqualTo("e2");
    }

    @Test
    void atLeastOnceLosesIt() throws Exception {
        assertThat(commandsAfterAFailedSendAndARestart(StreamsConfig.AT_LEAST_ONCE))
                .as("the changelog says the episode was handled; no command ever reached Kafka").isEmpty();
    }

    /**
     * The re-issue path on real Kafka Streams: the kill switch's signed FAILED result reaches the
     * global outcomes store, and the burst going on yields the command {@code <episode>#2}. Drops
     * keep coming until it does, since the store is updated by its own thread.
     */
    @Test
    void aFailedRevocationIsReissuedWhileTheBurstGoesOn() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1)) {
            kafka.createTopics(List.of(Topics.AUDIT_EVENTS, Topics.DETECTION_OWNER_EVENTS, Topics.AUDIT_DLQ, Topics.ALERTS,
                    Topics.KILLSWITCH_COMMANDS, Topics.KILLSWITCH_RESULTS, Topics.PRINCIPAL_LINKS), Map.of());
            String registry = "mem://command-loss-it-" + UUID.randomUUID();
            String principal = "pg:loss/rogue_" + UUID.randomUUID().toString().substring(0, 6);
            long t0 = Micros.now();
            burst(kafka, registry, principal, t0, 0, 3);
            Map<String, String> config = Map.of(
                    DetectionConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                    DetectionConfig.SCHEMA_REGISTRY_URL, registry,
                    DetectionConfig.STATE_DIR, Files.createTempDirectory("firebreak-reissue-it").toString(),
                    DetectionConfig.COMMAND_SIGNING_SECRET, SECRET,
                    DetectionConfig.RESULT_VERIFICATION_SECRET, RESULT_SECRET);
            try (DetectionService detection = new DetectionService(DetectionConfig.fromMap(config), new SimpleMeterRegistry())) {
                detection.start();
                awaitCommitted(kafka, 3);
                RevokeCommand first = commandsFor(kafka, registry, principal).get(0);
                failed(kafka, registry, first);
                int next = 3;
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (commandsFor(kafka, registry, principal).size() < 2 && System.nanoTime() < deadline) {
                    burst(kafka, registry, principal, t0, next, 1); // 100 ms apart by event time: well inside the episode
                    next++;
                    awaitCommitted(kafka, next);
                }
                List<RevokeCommand> commands = commandsFor(kafka, registry, principal);
                assertThat(commands).extracting(RevokeCommand::getCommandId)
                        .containsExactly(first.getCommandId(), first.getCommandId() + "#2");
                assertThat(RecordSignatures.verify(commands.get(1), SigningKey.of(SECRET)))
                        .isEqualTo(RecordSignatures.Verification.VALID);
            }
        }
    }

    private static void failed(EmbeddedKafka kafka, String registry, RevokeCommand command) throws Exception {
        RevocationResult result = RecordSignatures.sign(RevocationResult.newBuilder()
                .setCommandId(command.getCommandId()).setRuleId(command.getRuleId()).setPrincipal(command.getPrincipal())
                .setTarget(command.getPrincipal()).setOutcome(RevocationOutcome.FAILED).setDetail("target unreachable")
                .setWindowStartUs(command.getWindowStartUs()).setWindowEndUs(command.getWindowEndUs())
                .setTriggerEventTimeUs(command.getTriggerEventTimeUs()).setStartedTimeUs(Micros.now())
                .setCompletedTimeUs(Micros.now()).setAction(RevocationAction.REVOKE).setKind("postgres").build(),
                SigningKey.of(RESULT_SECRET));
        var serializer = new RegistryAvroSerializer<>(RevocationResult.class, SchemaRegistries.forUrl(registry), false);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.KILLSWITCH_RESULTS, result.getTarget(),
                    serializer.serialize(Topics.KILLSWITCH_RESULTS, result))).get();
        }
    }

    private static List<RevokeCommand> commandsAfterAFailedSendAndARestart(String guarantee) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1)) {
            kafka.createTopics(List.of(Topics.AUDIT_EVENTS, Topics.DETECTION_OWNER_EVENTS, Topics.AUDIT_DLQ, Topics.ALERTS,
                    Topics.KILLSWITCH_COMMANDS, Topics.PRINCIPAL_LINKS), Map.of());
            String registry = "mem://command-loss-it-" + UUID.randomUUID();
            String principal = "pg:loss/rogue_" + UUID.randomUUID().toString().substring(0, 6);
            commandsTopicLimit(kafka, "64");
            burst(kafka, registry, principal, Micros.now(), 0, 3);

            Map<String, String> config = Map.of(
                    DetectionConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                    DetectionConfig.SCHEMA_REGISTRY_URL, registry,
                    DetectionConfig.STATE_DIR, Files.createTempDirectory("firebreak-loss-it").toString(),
                    DetectionConfig.COMMAND_SIGNING_SECRET, SECRET,
                    DetectionConfig.PROCESSING_GUARANTEE, guarantee,
                    DetectionConfig.STREAMS_PREFIX + "consumer.session.timeout.ms", "6000",
                    DetectionConfig.STREAMS_PREFIX + "consumer.heartbeat.interval.ms", "1500",
                    // Without the record cache the state write goes to the changelog before the
                    // command is sent, every time. With it (the default) the cache is flushed at the
                    // commit the command asks for, and whether at-least-once then loses the command
                    // depends on whether the send's failure has come back by then: a race, not a test.
                    DetectionConfig.STREAMS_PREFIX + "statestore.cache.max.bytes", "0");
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            try (DetectionService detection = new DetectionService(DetectionConfig.fromMap(config), meters)) {
                detection.start();
                Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                        .until(() -> failedStreamThreads(meters) >= 1);
            }
            commandsTopicLimit(kafka, null);
            try (DetectionService detection = new DetectionService(DetectionConfig.fromMap(config), new SimpleMeterRegistry())) {
                detection.start();
                awaitCommitted(kafka, 3);
            }
            return commandsFor(kafka, registry, principal);
        }
    }

    /** Stream threads that died so far (Kafka Streams' client metric {@code failed-stream-threads}). */
    private static double failedStreamThreads(SimpleMeterRegistry meters) {
        return meters.getMeters().stream().filter(m -> m.getId().getName().endsWith("failed.stream.threads"))
                .flatMap(m -> java.util.stream.StreamSupport.stream(m.measure().spliterator(), false))
                .mapToDouble(io.micrometer.core.instrument.Measurement::getValue).max().orElse(0);
    }

    /** Sets (or, with null, removes) the commands topic's {@code max.message.bytes}. */
    private static void commandsTopicLimit(EmbeddedKafka kafka, String bytes) throws Exception {
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.KILLSWITCH_COMMANDS);
        ConfigEntry entry = new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, bytes);
        AlterConfigOp op = new AlterConfigOp(entry, bytes == null ? AlterConfigOp.OpType.DELETE : AlterConfigOp.OpType.SET);
        try (Admin admin = kafka.admin()) {
            admin.incrementalAlterConfigs(Map.of(topic, List.of(op))).all().get();
        }
    }

    /** Drops {@code e<from>} to {@code e<from+count-1>} by {@code principal}, drop i at t0 + i * 100 ms. */
    private static void burst(EmbeddedKafka kafka, String registry, String principal, long t0, int from, int count)
            throws Exception {
        var serializer = new RegistryAvroSerializer<>(AuditEvent.class, SchemaRegistries.forUrl(registry), false);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = from; i < from + count; i++) {
                AuditEvent event = AuditEvent.newBuilder()
                        .setEventId("e" + i).setPrincipal(principal).setSource(AuditSource.POSTGRES_EVENT_TRIGGER)
                        .setAction("DROP TABLE").setEventTimeUs(t0 + i * 100_000L).setCapturedTimeUs(t0 + i * 100_000L + 1_000)
                        .setCluster("loss").setStatement("DROP TABLE t" + i)
                        .setObjects(List.of(AffectedObject.newBuilder().setObjectType("table").setIdentity("public.t" + i)
                                .setOriginal(true).build()))
                        .setDestructive(true).setAttributes(Map.of("trigger", "sql_drop")).build();
                producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, principal, serializer.serialize(Topics.AUDIT_EVENTS, event))).get();
            }
        }
    }

    /** Waits until detection committed past {@code records} input records: their output is committed too. */
    private static void awaitCommitted(EmbeddedKafka kafka, long records) {
        TopicPartition input = new TopicPartition(Topics.AUDIT_EVENTS, 0);
        try (Admin admin = kafka.admin()) {
            Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(
                        DetectionConfig.DEFAULT_APPLICATION_ID).partitionsToOffsetAndMetadata().get();
                OffsetAndMetadata committed = offsets.get(input);
                return committed != null && committed.offset() >= records;
            });
        }
    }

    /** Every committed command for {@code principal}: the commands topic read to its end, as the kill switch reads it. */
    private static List<RevokeCommand> commandsFor(EmbeddedKafka kafka, String registry, String principal) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<RevokeCommand> found = new ArrayList<>();
        try (KafkaConsumer<String, RevokeCommand> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new RegistryAvroDeserializer<>(RevokeCommand.class, SchemaRegistries.forUrl(registry)))) {
            TopicPartition partition = new TopicPartition(Topics.KILLSWITCH_COMMANDS, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.value().getPrincipal().equals(principal)) {
                        found.add(r.value());
                    }
                });
            }
        }
        return found;
    }
}
