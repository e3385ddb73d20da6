package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.detect.DetectionService;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.FakeSchemaRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Detection on real Kafka Streams with the schema registry refusing connections: the events wait
 * in the stream thread (none reaches the dead-letter topic) and the burst is detected once the
 * registry is back on the same port.
 */
class DetectionRegistryOutageIT {

    @Test
    void eventsReadDuringAnOutageAreDetectedOnceTheRegistryIsBackAndNeverDeadLettered() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1); FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            kafka.createTopics(List.of(Topics.AUDIT_EVENTS, Topics.DETECTION_OWNER_EVENTS, Topics.AUDIT_DLQ, Topics.ALERTS,
                    Topics.KILLSWITCH_COMMANDS, Topics.PRINCIPAL_LINKS), Map.of());
            // The test's clients and detection use different base URLs: no cache shared in this JVM.
            String testUrl = registry.confluentUrl() + "/test";
            String principal = "pg:outage/rogue_" + UUID.randomUUID().toString().substring(0, 6);
            try (KafkaProducer<String, byte[]> producer = producer(kafka)) {
                burst(producer, testUrl, principal);
            }
            registry.stop();

            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            try (DetectionService detection = new DetectionService(DetectionConfig.fromMap(Map.of(
                    DetectionConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                    DetectionConfig.SCHEMA_REGISTRY_URL, registry.confluentUrl() + "/detection",
                    DetectionConfig.STATE_DIR, Files.createTempDirectory("firebreak-outage-it").toString(),
                    DetectionConfig.COMMAND_SIGNING_SECRET, "outage-it-command-signing-secret-0123456789")), meters)) {
                detection.start();
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> meters.get("firebreak.registry.unavailable")
                        .tag("stage", "detection").gauge().value() == 1
                        && meters.get("firebreak.registry.retries").tag("stage", "detection").functionCounter().count() >= 3);

                registry.restart();
                assertThat(commandsFor(kafka, testUrl, principal, Duration.ofSeconds(60))).hasSize(1);
                assertThat(meters.get("firebreak.registry.unavailable").tag("stage", "detection").gauge().value()).isZero();
            }
            assertThat(endOffset(kafka, Topics.AUDIT_DLQ)).as("dead letters").isZero();
        }
    }

    private static void burst(KafkaProducer<String, byte[]> producer, String url, String principal) throws Exception {
        var serializer = new RegistryAvroSerializer<>(AuditEvent.class, SchemaRegistries.forUrl(url), false);
        long t0 = Micros.now();
        for (int i = 0; i < 3; i++) {
            AuditEvent event = AuditEvent.newBuilder()
                    .setEventId(principal + "/" + i).setPrincipal(principal).setSource(AuditSource.POSTGRES_EVENT_TRIGGER)
                    .setAction("DROP TABLE").setEventTimeUs(t0 + i * 100_000L).setCapturedTimeUs(t0 + i * 100_000L + 1_000)
                    .setCluster("outage").setStatement("DROP TABLE t" + i)
                    .setObjects(List.of(AffectedObject.newBuilder().setObjectType("table").setIdentity("public.t" + i)
                            .setOriginal(true).build()))
                    .setDestructive(true).setAttributes(Map.of("trigger", "sql_drop")).build();
            producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, principal, serializer.serialize(Topics.AUDIT_EVENTS, event))).get();
        }
    }

    private static KafkaProducer<String, byte[]> producer(EmbeddedKafka kafka) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private static List<RevokeCommand> commandsFor(EmbeddedKafka kafka, String url, String principal, Duration wait) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<RevokeCommand> found = new ArrayList<>();
        try (KafkaConsumer<String, RevokeCommand> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new RegistryAvroDeserializer<>(RevokeCommand.class, SchemaRegistries.forUrl(url)))) {
            consumer.subscribe(List.of(Topics.KILLSWITCH_COMMANDS));
            long deadline = System.nanoTime() + wait.toNanos();
            while (System.nanoTime() < deadline && found.isEmpty()) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.value().getPrincipal().equals(principal)) {
                        found.add(r.value());
                    }
                });
            }
        }
        return found;
    }

    private static long endOffset(EmbeddedKafka kafka, String topic) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            return consumer.endOffsets(List.of(tp)).get(tp);
        }
    }
}
