package dev.firebreak.ingest.metrics;

import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Micros;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * The ingest metrics of one capture path (names and labels fixed by the metric catalogue):
 * <ul>
 *   <li>{@code firebreak.ingest.events{source, action, destructive}}: events Kafka acknowledged;</li>
 *   <li>{@code firebreak.ingest.capture.lag{source}}: event time to acknowledgement (histogram);</li>
 *   <li>{@code firebreak.ingest.dead.letters{source, reason}};</li>
 *   <li>{@code firebreak.ingest.last.event.timestamp.seconds{source}}: when the last event was acknowledged;</li>
 *   <li>{@code firebreak.ingest.heartbeat.timestamp.seconds{source}}: when the last heartbeat came back
 *       from the replication stream (postgres only);</li>
 *   <li>{@code firebreak.ingest.guard.refusals{source}}: statements the guard refused inside PostgreSQL
 *       (events with {@code guard_outcome=blocked}; postgres only).</li>
 * </ul>
 * Every label is bounded: {@code action} is a PostgreSQL command tag from {@link #COMMAND_TAGS}, or
 * for agent actions the classifier rule id (bounded by the rules file), and {@code other} otherwise.
 */
public final class IngestMetrics {
    /** Label value of every action outside the allow-list. */
    public static final String OTHER_ACTION = "other";
    /** Command tags that keep their own {@code action} label value; the trigger and the server log emit these. */
    public static final Set<String> COMMAND_TAGS = Set.of(
            "DROP TABLE", "DROP SCHEMA", "DROP DATABASE", "DROP VIEW", "DROP MATERIALIZED VIEW", "DROP INDEX",
            "DROP SEQUENCE", "DROP FUNCTION", "DROP PROCEDURE", "DROP TRIGGER", "DROP TYPE", "DROP EXTENSION",
            "DROP ROLE", "DROP USER", "DROP GROUP", "DROP TABLESPACE", "DROP OWNED", "DROP POLICY", "DROP FOREIGN TABLE",
            "DROP PUBLICATION", "DROP SUBSCRIPTION", "DROP EVENT TRIGGER", "DROP RULE", "DROP DOMAIN",
            "CREATE TABLE", "CREATE TABLE AS", "SELECT INTO", "CREATE SCHEMA", "CREATE INDEX", "CREATE VIEW",
            "CREATE MATERIALIZED VIEW", "CREATE SEQUENCE", "CREATE FUNCTION", "CREATE PROCEDURE", "CREATE TRIGGER",
            "CREATE TYPE", "CREATE EXTENSION", "CREATE DATABASE", "CREATE ROLE", "CREATE USER", "CREATE GROUP",
            "CREATE TABLESPACE", "CREATE POLICY",
            "ALTER TABLE", "ALTER SCHEMA", "ALTER DATABASE", "ALTER ROLE", "ALTER USER", "ALTER GROUP",
            "ALTER TABLESPACE", "ALTER INDEX", "ALTER VIEW", "ALTER SEQUENCE", "ALTER FUNCTION", "ALTER TYPE",
            "ALTER DEFAULT PRIVILEGES", "ALTER POLICY",
            "GRANT", "REVOKE", "GRANT ROLE", "REVOKE ROLE", "REASSIGN OWNED", "COMMENT", "SECURITY LABEL",
            "DELETE", "UPDATE", "INSERT", "MERGE", "TRUNCATE", "TRUNCATE TABLE");
    // Classifier rule ids are data; the shape check keeps a hand-edited rules file from putting free text in a label.
    private static final Pattern RULE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,79}");

    private final MeterRegistry meters;
    private final CaptureSource source;
    private final Timer captureLag;
    private final AtomicLong lastEventMillis = new AtomicLong();
    private final AtomicLong heartbeatMillis = new AtomicLong();
    private final Map<String, Counter> events = new ConcurrentHashMap<>();
    private final Map<DeadLetterReason, Counter> deadLetters = new ConcurrentHashMap<>();
    private final Counter guardRefusals;

    public IngestMetrics(MeterRegistry meters, CaptureSource source) {
        this.meters = meters;
        this.source = source;
        this.captureLag = Timer.builder("firebreak.ingest.capture.lag").tag("source", source.label())
                .description("Source clock at the action to Kafka's acknowledgement of its event")
                .publishPercentileHistogram().register(meters);
        Gauge.builder("firebreak.ingest.last.event.timestamp.seconds", lastEventMillis, IngestMetrics::seconds)
                .tag("source", source.label()).description("Epoch seconds of the last event Kafka acknowledged (0: none yet)")
                .strongReference(true).register(meters);
        if (source == CaptureSource.POSTGRES) {
            Gauge.builder("firebreak.ingest.heartbeat.timestamp.seconds", heartbeatMillis, IngestMetrics::seconds)
                    .tag("source", source.label())
                    .description("Epoch seconds of the last heartbeat seen back from the replication stream (every 10 s)")
                    .strongReference(true).register(meters);
        }
        // At 0 from the start (postgres only: the guard lives in its triggers), so a dashboard's
        // increase() sees the first refusal.
        this.guardRefusals = source != CaptureSource.POSTGRES ? null : Counter.builder("firebreak.ingest.guard.refusals")
                .tag("source", source.label()).description("Statements the guard refused inside PostgreSQL")
                .register(meters);
        // Registered up front, so a rate over a never-seen reason is 0 rather than absent. The HTTP
        // path dead-letters nothing (it refuses with a 4xx, counted as rejected), so it gets none.
        if (source != CaptureSource.AGENT_HTTP) {
            for (DeadLetterReason reason : DeadLetterReason.values()) {
                deadLetterCounter(reason);
            }
        }
    }

    /** The {@code action} label value of {@code event}. */
    public static String actionLabel(AuditEvent event) {
        String action = event.getAction() == null ? "" : event.getAction().trim().toUpperCase(Locale.ROOT);
        if (COMMAND_TAGS.contains(action)) {
            return action;
        }
        String rule = event.getClassification();
        return rule != null && RULE_ID.matcher(rule).matches() ? rule : OTHER_ACTION;
    }

    /** Records events Kafka acknowledged at {@code nowUs} (epoch microseconds). */
    public void acknowledged(Iterable<AuditEvent> acked, long nowUs) {
        for (AuditEvent event : acked) {
            acknowledged(event, nowUs);
        }
    }

    /** Records one event Kafka acknowledged at {@code nowUs} (epoch microseconds). */
    public void acknowledged(AuditEvent event, long nowUs) {
        String action = actionLabel(event);
        boolean destructive = event.getDestructive();
        events.computeIfAbsent(action + '\u0000' + destructive, k -> Counter.builder("firebreak.ingest.events")
                .tag("source", source.label()).tag("action", action).tag("destructive", Boolean.toString(destructive))
                .description("Audit events Kafka acknowledged").register(meters)).increment();
        captureLag.record(Math.max(0, nowUs - event.getEventTimeUs()), TimeUnit.MICROSECONDS);
        lastEventMillis.accumulateAndGet(nowUs / 1_000, Math::max);
        if (guardRefusals != null && event.getAttributes() != null
                && "blocked".equals(event.getAttributes().get("guard_outcome"))) {
            guardRefusals.increment();
        }
    }

    /**
     * The acknowledgement of {@code event}, recording the event when a caller first sees it succeed:
     * the paths that hand their futures to someone else (the HTTP endpoint, the agent table router)
     * count exactly what was acknowledged, at the moment it was.
     */
    public Future<RecordMetadata> onAcknowledged(Future<RecordMetadata> ack, AuditEvent event) {
        return new RecordingFuture(ack, event);
    }

    /** Records one dead letter. */
    public void deadLetter(DeadLetterReason reason) {
        deadLetterCounter(reason).increment();
    }

    private Counter deadLetterCounter(DeadLetterReason reason) {
        return deadLetters.computeIfAbsent(reason, r -> Counter.builder("firebreak.ingest.dead.letters")
                .tag("source", source.label()).tag("reason", r.code())
                .description("Captured input that went to the DLQ, by reason").register(meters));
    }

    /** Records a heartbeat seen back from the replication stream at {@code nowMillis}. */
    public void heartbeat(long nowMillis) {
        heartbeatMillis.accumulateAndGet(nowMillis, Math::max);
    }

    public CaptureSource source() {
        return source;
    }

    private final class RecordingFuture implements Future<RecordMetadata> {
        private final Future<RecordMetadata> ack;
        private final AuditEvent event;
        private final AtomicBoolean recorded = new AtomicBoolean();

        RecordingFuture(Future<RecordMetadata> ack, AuditEvent event) {
            this.ack = ack;
            this.event = event;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return ack.cancel(mayInterruptIfRunning);
        }

        @Override
        public boolean isCancelled() {
            return ack.isCancelled();
        }

        @Override
        public boolean isDone() {
            return ack.isDone();
        }

        @Override
        public RecordMetadata get() throws InterruptedException, ExecutionException {
            return record(ack.get());
        }

        @Override
        public RecordMetadata get(long timeout, TimeUnit unit)
                throws InterruptedException, ExecutionException, TimeoutException {
            return record(ack.get(timeout, unit));
        }

        private RecordMetadata record(RecordMetadata metadata) {
            if (recorded.compareAndSet(false, true)) {
                acknowledged(event, Micros.now());
            }
            return metadata;
        }
    }

    private static double seconds(AtomicLong millis) {
        return millis.get() / 1000.0;
    }
}
