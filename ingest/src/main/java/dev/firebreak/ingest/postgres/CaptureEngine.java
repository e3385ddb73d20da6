package dev.firebreak.ingest.postgres;

import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.metrics.DebeziumStreamingMetrics;
import dev.firebreak.ingest.metrics.IngestMetrics;
import dev.firebreak.ingest.postgres.engine.PromptPostgresConnector;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.Topics;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the Debezium embedded engine (pgoutput) over one database's replication slot: its properties,
 * its offsets, its thread. Each batch is handed to the {@link CaptureRoute routes}; the batch's offsets
 * are marked processed only after Kafka acknowledged every record the routes sent, and offsets live
 * in a Kafka topic, so a restart replays from the last acknowledged position and never skips.
 */
final class CaptureEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureEngine.class);

    private final IngestConfig config;
    private final List<String> tables;
    private final CaptureRoutes routes;
    private final IngestMetrics metrics;
    private final DebeziumStreamingMetrics debeziumMetrics = new DebeziumStreamingMetrics();
    private final ExecutorService executor;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;

    /**
     * @param tables  Debezium {@code table.include.list} entries of the tables whose rows some route takes
     * @param routes  take every record
     * @param metrics where acknowledged events are counted
     */
    CaptureEngine(IngestConfig config, List<String> tables, CaptureRoutes routes, IngestMetrics metrics,
                  MeterRegistry meters) {
        this.config = config;
        this.tables = List.copyOf(tables);
        this.routes = routes;
        this.metrics = metrics;
        this.executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "firebreak-ingest-" + config.cluster()));
        debeziumMetrics.bindTo(meters);
    }

    /** Hands the resume position to the slot ({@link #forgetStoredOffset}) and starts the engine's thread. */
    void start() {
        forgetStoredOffset();
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties())
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
    }

    /** The failure that stopped the engine, if any. */
    Throwable failure() {
        return failure.get();
    }

    Properties properties() {
        Properties p = new Properties();
        p.setProperty("name", engineName(config));
        p.setProperty("connector.class", PromptPostgresConnector.class.getName());
        p.setProperty("database.hostname", config.pgHost());
        p.setProperty("database.port", Integer.toString(config.pgPort()));
        p.setProperty("database.dbname", config.pgDatabase());
        p.setProperty("database.user", config.pgUser());
        if (config.pgPassword() != null) {
            p.setProperty("database.password", config.pgPassword());
        }
        p.setProperty("topic.prefix", topicPrefix(config));
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", config.slotName());
        p.setProperty("publication.name", config.publication());
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("snapshot.mode", "no_data");
        p.setProperty("message.prefix.include.list", Pattern.quote(config.messagePrefix()) + ","
                + Pattern.quote(HeartbeatRoute.PREFIX));
        // A transactional message now and then puts a COMMIT into the stream; after a restart
        // Debezium looks for one to find where to resume, and non-transactional audit messages
        // alone never provide it.
        p.setProperty("heartbeat.interval.ms", "10000");
        p.setProperty("heartbeat.action.query", HeartbeatRoute.EMIT_SQL.replace("?", "'periodic'"));
        if (!tables.isEmpty()) {
            p.setProperty("table.include.list", String.join(",", tables));
            // Debezium skips TRUNCATE by default; erasing the agent action log or a table kept for
            // restores must not go unseen.
            p.setProperty("skipped.operations", "none");
        }
        p.setProperty("poll.interval.ms", Long.toString(config.pollIntervalMs()));
        // one change fills a batch, so Debezium's queue wakes the task at once; the task then takes
        // everything queued in one batch (PromptPostgresConnectorTask)
        p.setProperty("max.batch.size", "1");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.KafkaOffsetBackingStore");
        p.setProperty("offset.storage.topic", Topics.INGEST_OFFSETS);
        p.setProperty("offset.storage.partitions", "1");
        p.setProperty("offset.storage.replication.factor", Integer.toString(config.offsetsReplicationFactor()));
        p.setProperty("offset.flush.interval.ms", Long.toString(config.offsetFlushIntervalMs()));
        // The offset store's producer, consumer and admin take the engine's top-level settings: ingest's
        // own credentials, so they authenticate as ingest.
        p.putAll(config.client());
        p.setProperty("bootstrap.servers", config.bootstrapServers());
        p.putAll(config.debezium());
        return p;
    }

    private void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                             DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        CaptureBatch batch = new CaptureBatch();
        for (RecordChangeEvent<SourceRecord> change : records) {
            routes.dispatch(change.record(), batch);
        }
        batch.awaitAcks();
        metrics.acknowledged(batch.sentEvents(), Micros.now());
        batch.runAfterAcks();
        for (RecordChangeEvent<SourceRecord> change : records) {
            committer.markProcessed(change);
        }
        committer.markBatchFinished();
    }

    /**
     * Waits until the engine delivers a heartbeat written after start-up: only then is it really
     * streaming. Polling the slot's "active" flag is not enough: after a crash the flag can still
     * belong to the dead process's walsender, and a restarted engine searching for its resume
     * position delivers nothing until a COMMIT comes by, which each heartbeat provides.
     */
    void awaitStreaming(Duration timeout, CaptureHealth.ConnectionFactory database, HeartbeatRoute heartbeats) {
        String nonce = UUID.randomUUID().toString();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection c = database.open(); PreparedStatement st = c.prepareStatement(HeartbeatRoute.EMIT_SQL)) {
            st.setString(1, nonce);
            while (System.nanoTime() < deadline) {
                if (failure.get() != null) {
                    throw new IllegalStateException("capture engine failed to start: " + failure.get().getMessage(), failure.get());
                }
                st.execute();
                long wait = System.nanoTime() + 250_000_000L;
                while (System.nanoTime() < wait) {
                    if (nonce.equals(heartbeats.last())) {
                        LOG.info("capturing {} from slot {}", config.pgDatabase(), config.slotName());
                        return;
                    }
                    Thread.sleep(5);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot write a heartbeat into " + config.pgDatabase() + " as "
                    + config.pgUser() + " (it needs EXECUTE on pg_logical_emit_message): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the capture to stream", e);
        }
        throw new IllegalStateException("capture from slot " + config.slotName() + " delivered no heartbeat within " + timeout);
    }

    /**
     * Hands the resume position to the replication slot. Debezium resumes from a stored offset by
     * searching the stream for the next COMMIT and restarting at that transaction, which silently
     * skips every non-transactional audit message in between (a kill mid-burst lost 40 of them in
     * IngestRestartIT). The slot's confirmed position is safe instead: Debezium advances it only
     * after offsets were stored, which happens only after Kafka acknowledged the events. So the
     * stored offset is cleared (a tombstone) and the engine streams from the slot; events after
     * the confirmed position are replayed with their LSN-based ids, none are skipped.
     */
    private void forgetStoredOffset() {
        String key = offsetKey(config);
        Map<String, Object> props = config.clientProperties();
        props.put("acks", "all");
        try (Admin admin = Admin.create(config.clientProperties())) {
            if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(Topics.INGEST_OFFSETS)) {
                return; // first start: nothing stored yet
            }
            try (var producer = new KafkaProducer<byte[], byte[]>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(Topics.INGEST_OFFSETS, key.getBytes(StandardCharsets.UTF_8), null))
                        .get(30, TimeUnit.SECONDS);
            }
            LOG.info("resuming {} from the confirmed position of replication slot {}", config.pgDatabase(), config.slotName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while preparing the resume position", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot clear the stored offset in " + Topics.INGEST_OFFSETS + ": " + e, e);
        }
    }

    /**
     * The engine's name, which keys its stored offset: one per database, so two databases of one cluster
     * (same {@code cluster}, their own slots) never read each other's offset. The slot names the database
     * (a slot belongs to one database, and slot names are unique in a cluster). Renaming is safe: the stored
     * offset is cleared at every start anyway ({@link #forgetStoredOffset}).
     */
    static String engineName(IngestConfig config) {
        return "firebreak-ingest-" + config.cluster() + "-" + config.slotName();
    }

    /** The key of the engine's offset in {@link Topics#INGEST_OFFSETS}, as Kafka Connect's offset store writes it. */
    static String offsetKey(IngestConfig config) {
        return "[\"" + engineName(config) + "\",{\"server\":\"" + topicPrefix(config) + "\"}]";
    }

    /** Debezium's {@code topic.prefix}, the {@code server} of the offset key. */
    static String topicPrefix(IngestConfig config) {
        return "firebreak_" + config.cluster().replace('-', '_');
    }

    /** Stops the engine, then its thread (within 30 s), then its metrics. */
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
        debeziumMetrics.close();
    }
}
