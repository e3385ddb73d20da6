package dev.firebreak.ingest.postgres;

import dev.firebreak.schema.Micros;

import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.agent.AgentActionConfig;
import dev.firebreak.ingest.postgres.engine.PromptPostgresConnector;
import dev.firebreak.ingest.agent.AgentActionTableInstaller;
import dev.firebreak.ingest.agent.AgentActionTableRouter;
import dev.firebreak.ingest.agent.AuditEventSink;
import dev.firebreak.ingest.classify.ActionClassifier;
import dev.firebreak.ingest.kafka.AuditSink;
import dev.firebreak.ingest.metrics.CaptureSource;
import dev.firebreak.ingest.metrics.DebeziumStreamingMetrics;
import dev.firebreak.ingest.metrics.IngestMetrics;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.guard.GuardPolicy;
import dev.firebreak.ingest.guard.GuardConfig;
import dev.firebreak.ingest.guard.GuardPolicyInstaller;
import io.micrometer.core.instrument.Gauge;
import java.util.concurrent.atomic.AtomicInteger;
import dev.firebreak.schema.Topics;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
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
 *
 * <p>With agent action capture enabled, the same engine also reads row changes of
 * {@code firebreak.agent_actions} and hands them to {@link AgentActionTableRouter}. Snapshot reads
 * and tombstones are dropped: they are not actions happening now and must never count toward a burst.
 */
public final class PostgresCapture implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresCapture.class);
    private static final String SOURCE_NAME = "postgres-event-trigger";
    /** Prefix of the transactional heartbeat messages ingest writes itself; never audit events. */
    static final String HEARTBEAT_PREFIX = "firebreak.heartbeat.v1";
    private static final String HEARTBEAT_SQL = "SELECT pg_catalog.pg_logical_emit_message(true, '" + HEARTBEAT_PREFIX + "', ?)";

    private final IngestConfig config;
    private final AuditSink sink;
    private final AuditMessageNormalizer normalizer;
    private final AgentActionConfig agentActions;
    private final AgentActionTableRouter agentRows;
    private final RowImages rowImages;
    private final ExecutorService executor;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicReference<String> lastHeartbeat = new AtomicReference<>();
    private final IngestMetrics metrics;
    private final DebeziumStreamingMetrics debeziumMetrics = new DebeziumStreamingMetrics();
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private final GuardPolicyInstaller guard;
    private final AtomicReference<GuardPolicy> guardPolicy = new AtomicReference<>();
    private final AtomicInteger unguardable = new AtomicInteger();
    private final AtomicInteger guardRules = new AtomicInteger();
    private final CaptureHealth health;
    private final Duration healthInterval;
    private final RoutineDmlSummarizer summarizer;
    private final CaptureBeat beat;
    /** Probes of {@link CaptureBeat} read in the batch being handled; engine thread only. */
    private final List<ReturnedProbe> returnedProbes = new ArrayList<>();

    /** Captures the event-trigger messages only, as before agent actions existed. */
    public PostgresCapture(IngestConfig config, MeterRegistry meters) {
        this(config, AgentActionConfig.disabled(), null, meters);
    }

    /**
     * Captures the event-trigger messages and, when {@code agentActions.tableEnabled()}, the agent
     * action table too.
     *
     * @param classifier judges agent actions; required when the table is captured
     */
    public PostgresCapture(IngestConfig config, AgentActionConfig agentActions, ActionClassifier classifier,
                           MeterRegistry meters) {
        this(config, agentActions, classifier, GuardConfig.defaults(), GuardPolicy.NONE, meters);
    }

    /**
     * Also compiles {@code guardPolicy} into the database at start, for the sessions
     * {@code guard.scope()} names.
     */
    public PostgresCapture(IngestConfig config, AgentActionConfig agentActions, ActionClassifier classifier,
                           GuardConfig guard, GuardPolicy guardPolicy, MeterRegistry meters) {
        if (agentActions.tableEnabled() && classifier == null) {
            throw new IllegalArgumentException("capturing the agent action table needs an ActionClassifier");
        }
        this.config = config;
        this.guard = new GuardPolicyInstaller(guard, config.cluster());
        this.health = new CaptureHealth(this::connect, config.slotName(), meters);
        this.healthInterval = Duration.ofMillis(guard.integrityIntervalMs());
        this.summarizer = config.routineSummarized() ? new RoutineDmlSummarizer(this::connect, meters) : null;
        this.guardPolicy.set(guardPolicy);
        this.agentActions = agentActions;
        this.sink = new AuditSink(config.bootstrapServers(), config.registryUrl(), config.producerSettings(), meters);
        this.normalizer = new AuditMessageNormalizer(config.cluster(), guard.environment());
        this.agentRows = agentActions.tableEnabled()
                ? new AgentActionTableRouter(config.cluster(), agentActions, classifier, AuditEventSink.of(sink), meters)
                : null;
        this.rowImages = new RowImages(config.cluster(), config.rowImageTables(), sink);
        this.executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "firebreak-ingest-" + config.cluster()));
        this.metrics = new IngestMetrics(meters, CaptureSource.POSTGRES);
        this.beat = new CaptureBeat(this::connect, sink, config.cluster(), Duration.ofMillis(guard.heartbeatIntervalMs()), meters);
        debeziumMetrics.bindTo(meters);
        Gauge.builder("firebreak_guard_unguardable_superusers", unguardable, AtomicInteger::get)
                .description("Superuser login roles the guard cannot judge, other than those expected (guard.expected.superusers)")
                .register(meters);
        Gauge.builder("firebreak_guard_rules", guardRules, AtomicInteger::get)
                .description("Guard rules in force in the watched database")
                .register(meters);
    }

    /**
     * Compiles a new guard policy into the database (a rule edit): sessions keep running and see it
     * from their next statement.
     */
    public void applyGuardPolicy(GuardPolicy policy) {
        try (Connection c = connect()) {
            guardRules.set(guard.apply(c, policy));
            guardPolicy.set(policy);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot apply the guard policy to " + config.pgDatabase() + ": " + e.getMessage(), e);
        }
    }

    /** Installs the triggers when configured, starts the engine and waits until the slot streams. */
    public void start(Duration readyTimeout) {
        if (config.installTriggers()) {
            try (Connection c = connect()) {
                TriggerInstaller.forConfig(config).install(c);
                guardRules.set(guard.apply(c, guardPolicy.get()));
                TriggerInstaller.setRoutineCapture(c, config.dmlRoutine());
                unguardable.set(guard.unguardableSuperusers(c).size());
            } catch (SQLException e) {
                throw new IllegalStateException("cannot install Firebreak's capture objects into " + config.pgDatabase()
                        + ": " + e.getMessage(), e);
            }
        }
        installAgentActionTable();
        installRowImages();
        forgetStoredOffset();
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
        health.start(healthInterval);
        if (summarizer != null) {
            summarizer.start(Duration.ofMillis(config.dmlSummaryIntervalMs()));
        }
        ensureHeartbeatTopic();
        beat.start();
    }

    /**
     * Creates the heartbeat topic when it is missing (compacted, one partition). A failure is only
     * logged: the beats then miss, which strict mode, when on, turns into refusals.
     */
    private void ensureHeartbeatTopic() {
        var topic = new org.apache.kafka.clients.admin.NewTopic(Topics.INGEST_HEARTBEAT, java.util.Optional.of(1),
                java.util.Optional.of((short) config.offsetsReplicationFactor()))
                .configs(java.util.Map.of("cleanup.policy", "compact"));
        try {
            createMissingTopics(List.of(topic));
        } catch (IllegalStateException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw e;
            }
            LOG.warn("{}; capture cannot beat until {} exists", e.getMessage(), Topics.INGEST_HEARTBEAT);
        }
    }

    /** Creates the topics that do not exist yet, within 30 s each; any other failure is thrown. */
    private void createMissingTopics(List<org.apache.kafka.clients.admin.NewTopic> topics) {
        try (var admin = org.apache.kafka.clients.admin.Admin.create(config.clientProperties())) {
            for (var result : admin.createTopics(topics).values().entrySet()) {
                try {
                    result.getValue().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + result.getKey() + ": " + e.getCause(), e);
                    }
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new IllegalStateException("topic " + result.getKey() + " not created within 30 s", e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics " + topics, e);
        }
    }

    // After the capture objects (the publication must exist), before the slot streams: rows
    // inserted from here on are published.
    private void installAgentActionTable() {
        if (!agentActions.tableEnabled() || !agentActions.tableInstall()) {
            return;
        }
        try (Connection c = connect()) {
            new AgentActionTableInstaller(config.publication()).install(c);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot install the agent action table into " + config.pgDatabase()
                    + ": " + e.getMessage(), e);
        }
    }

    Properties engineProperties() {
        Properties p = new Properties();
        p.setProperty("name", engineName());
        p.setProperty("connector.class", PromptPostgresConnector.class.getName());
        p.setProperty("database.hostname", config.pgHost());
        p.setProperty("database.port", Integer.toString(config.pgPort()));
        p.setProperty("database.dbname", config.pgDatabase());
        p.setProperty("database.user", config.pgUser());
        if (config.pgPassword() != null) {
            p.setProperty("database.password", config.pgPassword());
        }
        p.setProperty("topic.prefix", topicPrefix());
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", config.slotName());
        p.setProperty("publication.name", config.publication());
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("snapshot.mode", "no_data");
        p.setProperty("message.prefix.include.list", java.util.regex.Pattern.quote(config.messagePrefix()) + ","
                + java.util.regex.Pattern.quote(HEARTBEAT_PREFIX));
        // A transactional message now and then puts a COMMIT into the stream; after a restart
        // Debezium looks for one to find where to resume, and non-transactional audit messages
        // alone never provide it.
        p.setProperty("heartbeat.interval.ms", "10000");
        p.setProperty("heartbeat.action.query", HEARTBEAT_SQL.replace("?", "'periodic'"));
        List<String> tables = new ArrayList<>(rowImages.includeListEntries());
        if (agentActions.tableEnabled()) {
            tables.add(AgentActionTableRouter.INCLUDE_LIST_ENTRY);
        }
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
        List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
        List<AuditEvent> sent = new ArrayList<>(records.size());
        returnedProbes.clear();
        for (RecordChangeEvent<SourceRecord> change : records) {
            Future<RecordMetadata> ack = dispatch(change.record(), sent);
            if (ack != null) {
                acks.add(ack);
            }
        }
        awaitAcks(acks);
        metrics.acknowledged(sent, Micros.now());
        // every event read before a probe is in Kafka now: the probe made the trip
        returnedProbes.forEach(p -> beat.returned(p.content(), p.lsn()));
        for (RecordChangeEvent<SourceRecord> change : records) {
            committer.markProcessed(change);
        }
        committer.markBatchFinished();
    }

    /**
     * Produces what one record stands for and returns the acknowledgement to wait for, or null when
     * it stands for nothing: tombstones (null value), snapshot reads, heartbeats and tables nobody routes.
     */
    private Future<RecordMetadata> dispatch(SourceRecord record, List<AuditEvent> sent) {
        if (!(record.value() instanceof Struct value)) {
            return null;
        }
        if (value.schema().field("message") != null) {
            return route(value, sent);
        }
        if (rowImages.enabled() && rowImages.handles(value)) {
            return rowImages.route(record, value);
        }
        if (agentRows != null && value.schema().field("op") != null && AgentActionTableRouter.isActionTable(value)
                && !AgentActionTableRouter.isSnapshotRead(value)) {
            return agentRows.route(value);
        }
        return null;
    }

    private Future<RecordMetadata> route(Struct value, List<AuditEvent> sent) {
        Struct message = value.getStruct("message");
        Struct source = value.getStruct("source");
        long lsn = source.getInt64("lsn");
        byte[] content = bytes(message.get("content"));
        if (HEARTBEAT_PREFIX.equals(message.getString("prefix"))) {
            String text = content == null ? "" : new String(content, java.nio.charset.StandardCharsets.UTF_8);
            if (text.startsWith(CaptureBeat.PROBE)) {
                returnedProbes.add(new ReturnedProbe(text, lsn));
            } else {
                lastHeartbeat.set(text);
            }
            metrics.heartbeat(System.currentTimeMillis());
            return null;
        }
        try {
            AuditEvent event = normalizer.normalize(content, lsn, Micros.now());
            sent.add(event);
            return sink.send(event);
        } catch (MalformedMessageException e) {
            metrics.deadLetter(e.code());
            LOG.warn("message at LSN {} sent to {}: {}", lsn, Topics.AUDIT_DLQ, e.getMessage());
            return sink.sendDeadLetter(SOURCE_NAME, DeadLetter.newBuilder()
                    .setSource(SOURCE_NAME)
                    .setReason(e.getMessage())
                    .setOrigin("cluster=" + config.cluster() + " lsn=" + Long.toUnsignedString(lsn, 16))
                    .setPayload(ByteBuffer.wrap(content == null ? new byte[0] : content))
                    .setCapturedTimeUs(Micros.now())
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

    private void installRowImages() {
        if (!rowImages.enabled()) {
            return;
        }
        try (Connection c = connect()) {
            rowImages.install(c, config.publication());
        } catch (SQLException e) {
            throw new IllegalStateException("cannot prepare the row-image tables " + config.rowImageTables() + ": "
                    + e.getMessage(), e);
        }
        createMissingTopics(rowImages.topics().stream().map(t -> new org.apache.kafka.clients.admin.NewTopic(t,
                java.util.Optional.of(1), java.util.Optional.of((short) config.offsetsReplicationFactor()))).toList());
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
        java.util.Map<String, Object> props = config.clientProperties();
        props.put("acks", "all");
        try (var admin = org.apache.kafka.clients.admin.Admin.create(config.clientProperties())) {
            if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(Topics.INGEST_OFFSETS)) {
                return; // first start: nothing stored yet
            }
            try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(props,
                    new org.apache.kafka.common.serialization.ByteArraySerializer(),
                    new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.INGEST_OFFSETS,
                        key.getBytes(java.nio.charset.StandardCharsets.UTF_8), null)).get(30, TimeUnit.SECONDS);
            }
            LOG.info("resuming {} from the confirmed position of replication slot {}", config.pgDatabase(), config.slotName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while preparing the resume position", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
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

    private String engineName() {
        return engineName(config);
    }

    private String topicPrefix() {
        return topicPrefix(config);
    }

    /** Debezium's {@code topic.prefix}, the {@code server} of the offset key. */
    static String topicPrefix(IngestConfig config) {
        return "firebreak_" + config.cluster().replace('-', '_');
    }

    /**
     * Waits until the engine delivers a heartbeat written after start-up: only then is it really
     * streaming. Polling the slot's "active" flag is not enough: after a crash the flag can still
     * belong to the dead process's walsender, and a restarted engine searching for its resume
     * position delivers nothing until a COMMIT comes by, which each heartbeat provides.
     */
    private void awaitStreaming(Duration timeout) {
        String nonce = java.util.UUID.randomUUID().toString();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection c = connect(); PreparedStatement st = c.prepareStatement(HEARTBEAT_SQL)) {
            st.setString(1, nonce);
            while (System.nanoTime() < deadline) {
                if (failure.get() != null) {
                    throw new IllegalStateException("capture engine failed to start: " + failure.get().getMessage(), failure.get());
                }
                st.execute();
                long wait = System.nanoTime() + 250_000_000L;
                while (System.nanoTime() < wait) {
                    if (nonce.equals(lastHeartbeat.get())) {
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
     * The Kafka sink this capture produces through, so the agent action endpoint can share its
     * producer ({@code AuditEventSink.of(capture.sink())}). Closed by {@link #close()}: close the
     * endpoint first.
     */
    public AuditSink sink() {
        return sink;
    }

    /** The failure that stopped the engine, if any. */
    public Throwable failure() {
        return failure.get();
    }

    /** Successful capture heartbeats since start (strict mode's liveness beats). */
    public long heartbeats() {
        return beat.beats();
    }

    /** A strict-mode probe read from the slot, with where it was read. */
    private record ReturnedProbe(String content, long lsn) {
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


    @Override
    public void close() {
        beat.close();
        health.close();
        if (summarizer != null) {
            summarizer.close();
        }
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
        sink.close();
    }
}
