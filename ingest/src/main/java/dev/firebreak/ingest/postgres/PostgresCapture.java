package dev.firebreak.ingest.postgres;

import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.kafka.AuditSink;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.Topics;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captures Firebreak's logical decoding messages from one PostgreSQL database with the Debezium
 * embedded engine (pgoutput), normalises them and produces them to Kafka. A batch's offsets are
 * marked processed only after Kafka acknowledged every record of it, and offsets live in a Kafka
 * topic, so a restart replays from the last acknowledged position and never skips.
 */
public final class PostgresCapture implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresCapture.class);
    private static final String SOURCE_NAME = "postgres-event-trigger";

    private final IngestConfig config;
    private final AuditSink sink;
    private final AuditMessageNormalizer normalizer;
    private final ExecutorService executor;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Counter captured;
    private final Counter deadLettered;
    private final Timer captureLag;
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;

    public PostgresCapture(IngestConfig config, MeterRegistry meters) {
        this.config = config;
        this.sink = new AuditSink(config.bootstrapServers(), config.registryUrl(), config.producer());
        this.normalizer = new AuditMessageNormalizer(config.cluster());
        this.executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "firebreak-ingest-" + config.cluster()));
        this.captured = Counter.builder("firebreak.ingest.events").tag("source", SOURCE_NAME)
                .description("Audit events produced to Kafka").register(meters);
        this.deadLettered = Counter.builder("firebreak.ingest.dead.letters").tag("source", SOURCE_NAME)
                .description("Captured messages that could not be parsed and went to the DLQ").register(meters);
        this.captureLag = Timer.builder("firebreak.ingest.capture.lag")
                .description("Database clock at the statement to Kafka acknowledgement of its event")
                .publishPercentileHistogram().register(meters);
    }

    /** Installs the triggers when configured, starts the engine and waits until the slot streams. */
    public void start(Duration readyTimeout) {
        if (config.installTriggers()) {
            try (Connection c = connect()) {
                new TriggerInstaller(config.messagePrefix(), config.publication(), config.statementMaxChars()).install(c);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot install Firebreak's capture objects into " + config.pgDatabase()
                        + ": " + e.getMessage(), e);
            }
        }
        engine = DebeziumEngine.create(ChangeEventFormat.of(io.debezium.embedded.Connect.class))
                .using(engineProperties())
                .notifying(this::handleBatch)
                .using((success, message, error) -> {
                    if (!success) {
                        failure.set(error != null ? error : new IllegalStateException(message));
                        LOG.error("capture engine stopped: {}", message, error);
                    } else {
                        LOG.info("capture engine stopped: {}", message);
                    }
                })
                .build();
        executor.execute(engine);
        awaitStreaming(readyTimeout);
    }

    Properties engineProperties() {
        Properties p = new Properties();
        p.setProperty("name", "firebreak-ingest-" + config.cluster());
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("database.hostname", config.pgHost());
        p.setProperty("database.port", Integer.toString(config.pgPort()));
        p.setProperty("database.dbname", config.pgDatabase());
        p.setProperty("database.user", config.pgUser());
        if (config.pgPassword() != null) {
            p.setProperty("database.password", config.pgPassword());
        }
        p.setProperty("topic.prefix", "firebreak_" + config.cluster().replace('-', '_'));
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", config.slotName());
        p.setProperty("publication.name", config.publication());
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("snapshot.mode", "no_data");
        p.setProperty("message.prefix.include.list", java.util.regex.Pattern.quote(config.messagePrefix()));
        p.setProperty("poll.interval.ms", Long.toString(config.pollIntervalMs()));
        p.setProperty("max.batch.size", "2048");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.KafkaOffsetBackingStore");
        p.setProperty("offset.storage.topic", Topics.INGEST_OFFSETS);
        p.setProperty("offset.storage.partitions", "1");
        p.setProperty("offset.storage.replication.factor", Integer.toString(config.offsetsReplicationFactor()));
        p.setProperty("offset.flush.interval.ms", Long.toString(config.offsetFlushIntervalMs()));
        p.setProperty("bootstrap.servers", config.bootstrapServers());
        p.putAll(config.debezium());
        return p;
    }

    private void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                             DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
        List<AuditEvent> sent = new ArrayList<>(records.size());
        for (RecordChangeEvent<SourceRecord> change : records) {
            SourceRecord record = change.record();
            if (record.value() instanceof Struct value && value.schema().field("message") != null) {
                acks.add(route(value, sent));
            }
        }
        awaitAcks(acks);
        long nowUs = nowMicros();
        for (AuditEvent event : sent) {
            captureLag.record(Math.max(0, nowUs - event.getEventTimeUs()), TimeUnit.MICROSECONDS);
        }
        captured.increment(sent.size());
        for (RecordChangeEvent<SourceRecord> change : records) {
            committer.markProcessed(change);
        }
        committer.markBatchFinished();
    }

    private Future<RecordMetadata> route(Struct value, List<AuditEvent> sent) {
        Struct message = value.getStruct("message");
        Struct source = value.getStruct("source");
        long lsn = source.getInt64("lsn");
        byte[] content = bytes(message.get("content"));
        try {
            AuditEvent event = normalizer.normalize(content, lsn, nowMicros());
            sent.add(event);
            return sink.send(event);
        } catch (MalformedMessageException e) {
            deadLettered.increment();
            LOG.warn("message at LSN {} sent to {}: {}", lsn, Topics.AUDIT_DLQ, e.getMessage());
            return sink.sendDeadLetter(SOURCE_NAME, DeadLetter.newBuilder()
                    .setSource(SOURCE_NAME)
                    .setReason(e.getMessage())
                    .setOrigin("cluster=" + config.cluster() + " lsn=" + Long.toUnsignedString(lsn, 16))
                    .setPayload(ByteBuffer.wrap(content == null ? new byte[0] : content))
                    .setCapturedTimeUs(nowMicros())
                    .build());
        }
    }

    private static byte[] bytes(Object content) {
        if (content instanceof byte[] b) {
            return b;
        }
        if (content instanceof ByteBuffer buffer) {
            byte[] b = new byte[buffer.remaining()];
            buffer.duplicate().get(b);
            return b;
        }
        return null;
    }

    private static void awaitAcks(List<Future<RecordMetadata>> acks) throws InterruptedException {
        for (Future<RecordMetadata> ack : acks) {
            try {
                ack.get();
            } catch (ExecutionException e) {
                // Not acknowledged: fail the batch so its offsets are never committed; a restart replays it.
                throw new IllegalStateException("Kafka did not acknowledge a captured event: " + e.getCause(), e.getCause());
            }
        }
    }

    private void awaitStreaming(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection c = connect();
             PreparedStatement st = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
            st.setString(1, config.slotName());
            while (System.nanoTime() < deadline) {
                if (failure.get() != null) {
                    throw new IllegalStateException("capture engine failed to start: " + failure.get().getMessage(), failure.get());
                }
                try (ResultSet rs = st.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        LOG.info("capturing {} from slot {}", config.pgDatabase(), config.slotName());
                        return;
                    }
                }
                Thread.sleep(50);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot check replication slot " + config.slotName() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the capture to stream", e);
        }
        throw new IllegalStateException("replication slot " + config.slotName() + " not streaming after " + timeout);
    }

    /** The failure that stopped the engine, if any. */
    public Throwable failure() {
        return failure.get();
    }

    private Connection connect() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", config.pgUser());
        if (config.pgPassword() != null) {
            props.setProperty("password", config.pgPassword());
        }
        return DriverManager.getConnection(
                "jdbc:postgresql://" + config.pgHost() + ":" + config.pgPort() + "/" + config.pgDatabase(), props);
    }

    private static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    }

    @Override
    public void close() {
        if (engine != null) {
            try {
                engine.close();
            } catch (IOException e) {
                LOG.warn("capture engine did not close cleanly", e);
            }
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
        sink.close();
    }
}
