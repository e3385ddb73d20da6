package dev.firebreak.ingest.postgres;

import dev.firebreak.guard.GuardPolicy;
import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.agent.AgentActionConfig;
import dev.firebreak.ingest.agent.AgentActionTableRouter;
import dev.firebreak.ingest.agent.AuditEventSink;
import dev.firebreak.ingest.classify.ActionClassifier;
import dev.firebreak.ingest.guard.GuardConfig;
import dev.firebreak.ingest.kafka.AuditSink;
import dev.firebreak.ingest.metrics.CaptureSource;
import dev.firebreak.ingest.metrics.IngestMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Captures one PostgreSQL database: Firebreak's logical decoding messages, normalised to audit
 * events, and with them the agent action table and the row-image tables when configured. It wires
 * the parts and runs them in order:
 * <ol>
 *   <li>{@link CaptureSetup} installs the capture objects, the guard policy, the agent action table
 *       and the row-image tables ({@link CaptureTopics} creates their topics);</li>
 *   <li>{@link CaptureEngine} runs the Debezium engine and hands every record to the first route
 *       that takes it: {@link HeartbeatRoute}, {@link AuditMessageRoute}, {@link RowImageRoute},
 *       {@link AgentActionRowRoute};</li>
 *   <li>then the slot's health checks, the routine DML summaries and strict mode's beats start.</li>
 * </ol>
 * Snapshot reads and tombstones are dropped: they are not actions happening now and must never count
 * toward a burst.
 */
public final class PostgresCapture implements AutoCloseable {
    private final IngestConfig config;
    private final AuditSink sink;
    private final CaptureSetup setup;
    private final CaptureEngine engine;
    private final HeartbeatRoute heartbeats;
    private final CaptureDatabase database;
    private final CaptureHealth health;
    private final Duration healthInterval;
    private final RoutineDmlSummarizer summarizer;
    private final CaptureTopics topics;
    private final CaptureBeat beat;

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
        this.database = new CaptureDatabase(config);
        this.topics = new CaptureTopics(config);
        this.health = new CaptureHealth(database, config.slotName(), meters);
        this.healthInterval = Duration.ofMillis(guard.integrityIntervalMs());
        this.summarizer = config.routineSummarized() ? new RoutineDmlSummarizer(database, meters) : null;
        this.sink = new AuditSink(config.bootstrapServers(), config.registryUrl(), config.producerSettings(), meters);
        RowImages rowImages = new RowImages(config.cluster(), config.rowImageTables(), sink);
        this.setup = new CaptureSetup(config, database, guard, guardPolicy, agentActions, rowImages, topics, meters);
        IngestMetrics metrics = new IngestMetrics(meters, CaptureSource.POSTGRES);
        this.beat = new CaptureBeat(database, sink, config.cluster(), Duration.ofMillis(guard.heartbeatIntervalMs()), meters);
        this.heartbeats = new HeartbeatRoute(beat::returned, metrics);

        List<CaptureRoute> routes = new ArrayList<>();
        routes.add(heartbeats);
        routes.add(new AuditMessageRoute(config.cluster(), new AuditMessageNormalizer(config.cluster(), guard.environment()),
                sink, metrics));
        routes.add(new RowImageRoute(rowImages));
        List<String> tables = new ArrayList<>(rowImages.includeListEntries());
        if (agentActions.tableEnabled()) {
            routes.add(new AgentActionRowRoute(new AgentActionTableRouter(config.cluster(), agentActions, classifier,
                    AuditEventSink.of(sink), meters)));
            tables.add(AgentActionTableRouter.INCLUDE_LIST_ENTRY);
        }
        this.engine = new CaptureEngine(config, tables, new CaptureRoutes(routes), metrics, meters);
    }

    /**
     * Compiles a new guard policy into the database (a rule edit): sessions keep running and see it
     * from their next statement.
     */
    public void applyGuardPolicy(GuardPolicy policy) {
        setup.applyGuardPolicy(policy);
    }

    /** Installs what is configured, starts the engine and waits until the slot streams. */
    public void start(Duration readyTimeout) {
        setup.install();
        engine.start();
        engine.awaitStreaming(readyTimeout, database, heartbeats);
        health.start(healthInterval);
        if (summarizer != null) {
            summarizer.start(Duration.ofMillis(config.dmlSummaryIntervalMs()));
        }
        topics.ensureHeartbeatTopic();
        beat.start();
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
        return engine.failure();
    }

    /** Successful capture heartbeats since start (strict mode's liveness beats). */
    public long heartbeats() {
        return beat.beats();
    }

    @Override
    public void close() {
        beat.close();
        health.close();
        if (summarizer != null) {
            summarizer.close();
        }
        engine.close();
        sink.close();
    }
}
