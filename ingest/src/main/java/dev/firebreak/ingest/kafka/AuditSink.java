package dev.firebreak.ingest.kafka;

import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.RowChange;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes audit events (keyed by principal) and dead letters to Kafka through one idempotent
 * producer tuned for latency. Callers wait on the returned futures before committing source
 * offsets, so nothing is acknowledged upstream that Kafka has not stored.
 */
public final class AuditSink implements AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;
    private final RegistryAvroSerializer<AuditEvent> events;
    private final RegistryAvroSerializer<DeadLetter> deadLetters;
    private final RegistryAvroSerializer<RowChange> rowChanges;
    private final KafkaClientMetrics metrics;

    /**
     * @param overrides producer settings that win over Firebreak's defaults
     * @param meters    where the producer's own metrics ({@code kafka.producer.*}) are bound
     */
    public AuditSink(String bootstrapServers, String registryUrl, Map<String, String> overrides, MeterRegistry meters) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // Every event may be the one that crosses a threshold: never hold it back to batch.
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "firebreak-ingest");
        props.putAll(overrides);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        var registry = SchemaRegistries.forUrl(registryUrl);
        this.events = new RegistryAvroSerializer<>(AuditEvent.class, registry, false);
        this.deadLetters = new RegistryAvroSerializer<>(DeadLetter.class, registry, false);
        this.rowChanges = new RegistryAvroSerializer<>(RowChange.class, registry, false);
        // Fetch topic metadata now: the first send would otherwise wait for it mid-burst.
        producer.partitionsFor(Topics.AUDIT_EVENTS);
        producer.partitionsFor(Topics.AUDIT_DLQ);
        this.metrics = new KafkaClientMetrics(producer);
        metrics.bindTo(meters);
    }

    public Future<RecordMetadata> send(AuditEvent event) {
        return producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, event.getPrincipal(),
                events.serialize(Topics.AUDIT_EVENTS, event)));
    }

    public Future<RecordMetadata> sendDeadLetter(String key, DeadLetter letter) {
        return producer.send(new ProducerRecord<>(Topics.AUDIT_DLQ, key,
                deadLetters.serialize(Topics.AUDIT_DLQ, letter)));
    }

    /** A row image to its table's own topic, keyed by the row's primary key. */
    public Future<RecordMetadata> sendRowChange(String topic, String key, RowChange change) {
        return producer.send(new ProducerRecord<>(topic, key, rowChanges.serialize(topic, change)));
    }

    @Override
    public void close() {
        metrics.close();
        producer.close(Duration.ofSeconds(10));
    }
}
