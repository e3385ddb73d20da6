package dev.firebreak.ingest.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.CachingSchemaRegistryClient;
import dev.firebreak.schema.registry.HttpSchemaRegistryClient;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.FakeSchemaRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Ingest with the schema registry refusing connections: the event waits, it is neither dead-lettered nor lost. */
class AuditSinkRegistryOutageTest {

    @Test
    void anEventSentWhileTheRegistryIsDownIsSentOnceItIsBack() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1); FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            kafka.createTopics(List.of(Topics.AUDIT_EVENTS, Topics.AUDIT_DLQ), Map.of());
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            try (AuditSink sink = new AuditSink(kafka.bootstrapServers(), registry.confluentUrl() + "/ingest", Map.of(), meters)) {
                registry.stop();
                CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                    try {
                        sink.send(event()).get();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> meters.get("firebreak.registry.retries")
                        .tag("stage", "ingest").functionCounter().count() >= 2);
                assertThat(meters.get("firebreak.registry.unavailable").tag("stage", "ingest").gauge().value()).isEqualTo(1);
                assertThat(sent).isNotDone();

                registry.restart();
                sent.get(20, TimeUnit.SECONDS);
                assertThat(meters.get("firebreak.registry.unavailable").tag("stage", "ingest").gauge().value()).isZero();
            }
            assertThat(read(kafka, Topics.AUDIT_EVENTS, registry)).singleElement()
                    .satisfies(e -> assertThat(e.getEventId()).isEqualTo("pg:it/1"));
            assertThat(endOffset(kafka, Topics.AUDIT_DLQ)).isZero();
        }
    }

    private static List<AuditEvent> read(EmbeddedKafka kafka, String topic, FakeSchemaRegistry registry) {
        var events = new RegistryAvroDeserializer<>(AuditEvent.class,
                new CachingSchemaRegistryClient(new HttpSchemaRegistryClient(registry.confluentUrl(), Duration.ofSeconds(5))));
        List<AuditEvent> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer(kafka)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(events.deserialize(topic, r.value()));
                }
            }
        }
        return out;
    }

    private static long endOffset(EmbeddedKafka kafka, String topic) {
        try (KafkaConsumer<String, byte[]> consumer = consumer(kafka)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            return consumer.endOffsets(List.of(tp)).get(tp);
        }
    }

    private static KafkaConsumer<String, byte[]> consumer(EmbeddedKafka kafka) {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static AuditEvent event() {
        long now = dev.firebreak.schema.Micros.now();
        return AuditEvent.newBuilder().setEventId("pg:it/1").setPrincipal("pg:it/alice")
                .setSource(AuditSource.POSTGRES_EVENT_TRIGGER).setAction("DROP TABLE").setEventTimeUs(now - 1_000)
                .setCapturedTimeUs(now).setCluster("it").setDestructive(true).build();
    }
}
