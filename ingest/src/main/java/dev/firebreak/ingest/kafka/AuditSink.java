package dev.firebreak.ingest.kafka;

import dev.firebreak.ingest.metrics.DeadLetterReason;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.RowChange;
import dev.firebreak.schema.TopicDurability;
import dev.firebreak.schema.Topics;
import dev.firebreak.metrics.RegistryOutageMeters;
import dev.firebreak.schema.registry.RegistryOutage;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.schema.serde.RegistryRetryingSerializer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes audit events (keyed by principal) and dead letters to Kafka through one idempotent
 * producer tuned for latency. Callers wait on the returned futures before committing source
 * offsets, so nothing is acknowledged upstream that Kafka has not stored.
 */
public final class AuditSink implements AutoCloseable {
    /** Largest serialised event sent as such; well under Kafka's default max.request.size of 1 MiB. */
    public static final int MAX_EVENT_BYTES = 512 * 1024;
    /** Largest dead-letter payload: enough to see what the input was, small enough to always fit. */
    public static final int MAX_DEAD_LETTER_PAYLOAD = 64 * 1024;
    private static final int MAX_REASON_CHARS = 2_000;
    private static final Logger LOG = LoggerFactory.getLogger(AuditSink.class);
    private final KafkaProducer<String, byte[]> producer;
    private final Serializer<AuditEvent> events;
    private final Serializer<DeadLetter> deadLetters;
    private final Serializer<RowChange> rowChanges;
    private final Serializer<dev.firebreak.schema.PreflightDecision> decisions;
    private final KafkaClientMetrics metrics;
    private final RegistryOutage outage = new RegistryOutage("ingest");
    private static final Duration WAIT_FOR_REGISTRY = Duration.ofDays(36_500);

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
        Map<String, Object> settings = new java.util.HashMap<>();
        props.forEach((k, v) -> settings.put(String.valueOf(k), v));
        TopicDurability.require(TopicDurability.Requirement.of("ingest", List.of(Topics.AUDIT_EVENTS, Topics.AUDIT_DLQ),
                Map.of(String.valueOf(props.get(ProducerConfig.CLIENT_ID_CONFIG)), settings)), settings);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        var registry = SchemaRegistries.forUrl(registryUrl);
        // The serializers ask the registry only for a schema not yet registered by this process. While
        // it is unavailable they wait, retrying with back-off (a WARN, metric
        // firebreak.registry.unavailable{stage="ingest"}): an event is never dead-lettered or dropped for
        // it, and nothing after it is sent first. close() ends the wait with the outage, which fails the
        // batch uncommitted, so a restart replays it.
        this.events = waitingOut(new RegistryAvroSerializer<>(AuditEvent.class, registry, false));
        this.deadLetters = waitingOut(new RegistryAvroSerializer<>(DeadLetter.class, registry, false));
        this.rowChanges = waitingOut(new RegistryAvroSerializer<>(RowChange.class, registry, false));
        this.decisions = waitingOut(new RegistryAvroSerializer<>(dev.firebreak.schema.PreflightDecision.class, registry, false));
        // Fetch topic metadata now: the first send would otherwise wait for it mid-burst.
        producer.partitionsFor(Topics.AUDIT_EVENTS);
        producer.partitionsFor(Topics.AUDIT_DLQ);
        this.metrics = new KafkaClientMetrics(producer);
        metrics.bindTo(meters);
        RegistryOutageMeters.bind(meters, "ingest", outage);
    }

    /**
     * Sends the event, or, when it would not fit in a Kafka request, a dead letter in its place: a
     * record the broker refuses would fail the batch, and a restart would replay it forever.
     */
    // Ingest waits for the registry as long as it runs: an outage only ever delays capture.
    private <T> Serializer<T> waitingOut(Serializer<T> serializer) {
        return new RegistryRetryingSerializer<>(serializer, outage, WAIT_FOR_REGISTRY);
    }

    public Future<RecordMetadata> send(AuditEvent event) {
        byte[] value = events.serialize(Topics.AUDIT_EVENTS, event);
        if (value.length > MAX_EVENT_BYTES) {
            LOG.warn("event {} of {} is {} bytes, over the {} byte limit: sent to {} instead",
                    event.getEventId(), event.getPrincipal(), value.length, MAX_EVENT_BYTES, Topics.AUDIT_DLQ);
            return sendDeadLetter(event.getPrincipal(), DeadLetter.newBuilder()
                    .setSource("ingest")
                    .setReason(DeadLetterReason.OVERSIZED.code() + ": event of " + value.length + " bytes exceeds "
                            + MAX_EVENT_BYTES + " bytes")
                    .setOrigin(event.getEventId())
                    .setPayload(ByteBuffer.wrap(value))
                    .setCapturedTimeUs(event.getCapturedTimeUs())
                    .build());
        }
        return producer.send(new ProducerRecord<>(Topics.AUDIT_EVENTS, event.getPrincipal(), value));
    }

    /** Records a pre-flight decision (deny or ask) on {@code firebreak.preflight.decisions.v1}, keyed by principal. */
    public Future<RecordMetadata> sendDecision(dev.firebreak.schema.PreflightDecision decision) {
        return producer.send(new ProducerRecord<>(Topics.PREFLIGHT_DECISIONS, decision.getPrincipal(),
                decisions.serialize(Topics.PREFLIGHT_DECISIONS, decision)));
    }

    /** Sends the dead letter with its payload cut to {@link #MAX_DEAD_LETTER_PAYLOAD} bytes (the reason says so). */
    public Future<RecordMetadata> sendDeadLetter(String key, DeadLetter letter) {
        return producer.send(new ProducerRecord<>(Topics.AUDIT_DLQ, key,
                deadLetters.serialize(Topics.AUDIT_DLQ, bounded(letter))));
    }

    static DeadLetter bounded(DeadLetter letter) {
        ByteBuffer payload = letter.getPayload();
        String reason = letter.getReason().length() > MAX_REASON_CHARS
                ? letter.getReason().substring(0, MAX_REASON_CHARS) : letter.getReason();
        if (payload.remaining() <= MAX_DEAD_LETTER_PAYLOAD && reason.equals(letter.getReason())) {
            return letter;
        }
        ByteBuffer stub = payload;
        if (payload.remaining() > MAX_DEAD_LETTER_PAYLOAD) {
            byte[] head = new byte[MAX_DEAD_LETTER_PAYLOAD];
            payload.duplicate().get(head);
            stub = ByteBuffer.wrap(head);
            reason = reason + " [payload cut to the first " + MAX_DEAD_LETTER_PAYLOAD + " of " + payload.remaining() + " bytes]";
        }
        return DeadLetter.newBuilder(letter).setPayload(stub).setReason(reason).build();
    }

    /** A row image to its table's own topic, keyed by the row's primary key. */
    public Future<RecordMetadata> sendRowChange(String topic, String key, RowChange change) {
        return producer.send(new ProducerRecord<>(topic, key, rowChanges.serialize(topic, change)));
    }

    /**
     * A liveness probe of capture to {@link Topics#INGEST_HEARTBEAT}, through the same producer as
     * the events: its acknowledgement shows that this producer's writes are taken now.
     */
    public Future<RecordMetadata> sendHeartbeat(String cluster, String probe) {
        return producer.send(new ProducerRecord<>(Topics.INGEST_HEARTBEAT, cluster,
                probe.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Override
    public void close() {
        outage.stop();
        metrics.close();
        producer.close(Duration.ofSeconds(10));
    }
}
