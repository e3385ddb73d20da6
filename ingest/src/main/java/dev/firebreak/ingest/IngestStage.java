package dev.firebreak.ingest;

import dev.firebreak.config.Settings;
import dev.firebreak.guard.GuardPolicy;
import dev.firebreak.ingest.agent.AgentActionConfig;
import dev.firebreak.ingest.agent.AgentActionEndpoint;
import dev.firebreak.ingest.agent.AuditEventSink;
import dev.firebreak.ingest.classify.RulesActionClassifier;
import dev.firebreak.ingest.guard.GuardConfig;
import dev.firebreak.ingest.guard.GuardRules;
import dev.firebreak.ingest.pglog.ServerLogCapture;
import dev.firebreak.ingest.pglog.ServerLogConfig;
import dev.firebreak.ingest.postgres.PostgresCapture;
import dev.firebreak.ingest.preflight.PreflightConfig;
import dev.firebreak.ingest.preflight.PreflightRuntime;
import dev.firebreak.schema.registry.RegistryOutage;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.stage.Closer;
import dev.firebreak.stage.Health;
import dev.firebreak.stage.Readiness;
import dev.firebreak.stage.Stage;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Ingest as a {@link Stage}: every capture path of one watched PostgreSQL cluster and its agents,
 * started in this order: the pipeline's schemas registered, the trigger capture (Debezium) streaming
 * with the guard policy compiled in, the server-log capture when on, the pre-flight decisions and
 * the agent action endpoint when on (both through the capture's producer), and the watcher that
 * keeps the guard policy in step with edits of the rule files. Ready once the slot streams. The one
 * place that assembles ingest from settings.
 */
public final class IngestStage implements Stage {
    /** The stage's name, as {@code service} spells it. */
    public static final String NAME = "ingest";
    /** Bound of the capture engine's start: a slot that does not stream by then is a failure, not a wait. */
    static final Duration CAPTURE_START = Duration.ofSeconds(60);

    private final Map<String, String> settings;
    private final MeterRegistry meters;
    private final IngestConfig ingest;
    private final AgentActionConfig agents;
    private final ServerLogConfig serverLog;
    private final GuardConfig guard;
    private final GuardPolicy guardPolicy;
    private final PreflightConfig preflight;
    private final RulesActionClassifier classifier;
    private final Closer parts = new Closer();
    private PostgresCapture capture;
    private AgentActionEndpoint endpoint;
    private boolean serverLogOn;
    private boolean ready;
    private boolean started;
    private boolean closed;

    private IngestStage(Map<String, String> settings, MeterRegistry meters) {
        this.settings = Map.copyOf(settings);
        this.meters = meters;
        this.ingest = IngestConfig.fromMap(settings);
        this.agents = AgentActionConfig.fromMap(settings);
        this.serverLog = ServerLogConfig.fromMap(settings);
        this.guard = GuardConfig.fromMap(settings);
        this.guardPolicy = GuardRules.load(settings);
        this.preflight = PreflightConfig.fromMap(settings);
        this.classifier = RulesActionClassifier.fromSettings(settings);
    }

    /** Reads {@code firebreak.ingest.*} and the guard rules; connects to nothing yet. */
    public static IngestStage create(Map<String, String> settings, MeterRegistry meters) {
        // Once per stage, before anything starts: a misspelled key would leave a default silently in force.
        Settings.check(settings);
        return new IngestStage(settings, meters);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void start(Duration readiness) {
        Readiness deadline = Readiness.within(readiness);
        synchronized (this) {
            if (started || closed) {
                throw new IllegalStateException("the ingest stage starts once");
            }
            started = true;
        }
        try {
            // An unavailable registry is waited for (WARN while it lasts), not a failed start.
            SchemaRegistries.registerPipelineSchemas(ingest.registryUrl(), new RegistryOutage("start-up"), deadline.remaining());
            PostgresCapture pg = own(new PostgresCapture(ingest, agents, classifier, guard, guardPolicy, meters));
            synchronized (this) {
                capture = pg;
            }
            pg.start(deadline.atMost(CAPTURE_START));
            if (serverLog != null) {
                // shares the capture's producer: owned after it, so closed before it
                own(new ServerLogCapture(serverLog, pg.sink(), meters).start());
                serverLogOn = true;
            }
            if (agents.httpEnabled()) {
                PreflightRuntime decisions = preflight.enabled() ? own(PreflightRuntime.start(preflight,
                        ingest.clientProperties(), ingest.registryUrl(), pg.sink()::sendDecision)) : null;
                // shares the capture's producer: owned after it, so closed before it
                AgentActionEndpoint serving = own(new AgentActionEndpoint(agents, ingest.cluster(), classifier,
                        AuditEventSink.of(pg.sink()), meters, decisions == null ? null : decisions.service()).start());
                synchronized (this) {
                    endpoint = serving;
                }
            }
            own(GuardRules.watch(settings, pg::applyGuardPolicy).orElse(null));
            own(classifier.watch().orElse(null));
            synchronized (this) {
                ready = true;
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private <T extends AutoCloseable> T own(T part) {
        synchronized (this) {
            if (closed) {
                closeQuietly(part);
                throw new IllegalStateException("ingest closed while starting");
            }
        }
        return parts.own(part);
    }

    private static void closeQuietly(AutoCloseable part) {
        try (Closer once = new Closer()) {
            once.own(part);
        }
    }

    /** Live while the capture engine runs; ready once every path started. */
    @Override
    public synchronized Health health() {
        if (capture == null) {
            return Health.starting("not started");
        }
        Throwable failure = capture.failure();
        if (failure != null) {
            return Health.failed("capture engine stopped: " + failure.getMessage());
        }
        if (closed) {
            return Health.failed("closed");
        }
        return ready ? Health.up() : Health.starting("capture starting on slot " + ingest.slotName());
    }

    @Override
    public synchronized List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("capture streaming from slot " + ingest.slotName()
                + " (Debezium pgoutput, poll.interval.ms=" + ingest.pollIntervalMs() + ")");
        if (serverLogOn) {
            lines.add("following the server log for DROP DATABASE, roles and tablespaces");
        }
        agentBaseUrl().ifPresent(url -> lines.add("agent actions accepted at " + url + AgentActionEndpoint.ACTIONS_PATH));
        lines.add("guard: " + guardPolicy.rules().size() + " rules enforced inside PostgreSQL for " + guard.scope());
        return lines;
    }

    /** The port the agent action endpoint listens on, once started with {@code http.enabled}. */
    public synchronized OptionalInt agentEndpointPort() {
        return endpoint == null ? OptionalInt.empty() : OptionalInt.of(endpoint.port());
    }

    /** {@code http://127.0.0.1:<port>} of the agent endpoint ({@code /v1/actions}, {@code /v1/decisions}), when on. */
    public Optional<String> agentBaseUrl() {
        OptionalInt port = agentEndpointPort();
        return port.isPresent() ? Optional.of("http://127.0.0.1:" + port.getAsInt()) : Optional.empty();
    }

    /** Closes the paths newest first: the guard watcher, the endpoint, decisions, server log, capture. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        parts.close();
    }
}
