package dev.firebreak.launcher.pipeline;

import dev.firebreak.detect.DetectionService;
import dev.firebreak.rules.RulesWatcher;
import dev.firebreak.ingest.agent.AgentActionEndpoint;
import dev.firebreak.ingest.agent.AuditEventSink;
import dev.firebreak.ingest.classify.ActionClassifier;
import dev.firebreak.ingest.classify.RulesActionClassifier;
import dev.firebreak.ingest.pglog.ServerLogCapture;
import dev.firebreak.ingest.preflight.PreflightConfig;
import dev.firebreak.ingest.preflight.PreflightRuntime;
import dev.firebreak.ingest.postgres.PostgresCapture;
import dev.firebreak.killswitch.KillSwitchService;
import dev.firebreak.export.ocsf.OcsfExportConfig;
import dev.firebreak.schema.Topics;
import dev.firebreak.export.ocsf.OcsfExporter;
import dev.firebreak.oncall.OnCallService;
import dev.firebreak.schema.registry.RegistryOutage;
import dev.firebreak.schema.registry.SchemaRegistries;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The three stages of the data flow in one process: capture (ingest), detection (Kafka Streams)
 * and the kill switch. Started downstream first, so nothing captured waits for a consumer.
 */
public final class Pipeline implements AutoCloseable {
    private final KillSwitchService killSwitch;
    private final DetectionService detection;
    private final PostgresCapture capture;
    private final ServerLogCapture serverLog;
    private final AgentActionEndpoint agentEndpoint;
    private final OnCallService onCall;
    private final OcsfExporter export;
    private final RulesWatcher guardWatcher;
    private final PreflightRuntime preflight;

    private Pipeline(KillSwitchService killSwitch, DetectionService detection, PostgresCapture capture,
                     ServerLogCapture serverLog, AgentActionEndpoint agentEndpoint, OnCallService onCall,
                     OcsfExporter export, RulesWatcher guardWatcher, PreflightRuntime preflight) {
        this.preflight = preflight;
        this.guardWatcher = guardWatcher;
        this.export = export;
        this.onCall = onCall;
        this.killSwitch = killSwitch;
        this.detection = detection;
        this.capture = capture;
        this.serverLog = serverLog;
        this.agentEndpoint = agentEndpoint;
    }

    /** Base URL of the agent action endpoint ({@code POST <url>/v1/actions}), when it is on. */
    public java.util.Optional<String> agentActionsUrl() {
        return java.util.Optional.ofNullable(agentEndpoint)
                .map(e -> "http://127.0.0.1:" + e.port() + AgentActionEndpoint.ACTIONS_PATH);
    }

    /** Base URL of the agent endpoint ({@code <url>/v1/actions}, {@code <url>/v1/decisions}), when it is on. */
    public java.util.Optional<String> agentBaseUrl() {
        return java.util.Optional.ofNullable(agentEndpoint).map(e -> "http://127.0.0.1:" + e.port());
    }

    /** Starts every stage and returns once each is ready. */
    public static Pipeline start(PipelineSettings settings, MeterRegistry meters, Consumer<String> progress) {
        // The kill switch first: it needs no registry to start (it waits for one per record).
        KillSwitchService killSwitch = KillSwitchService.start(settings.killSwitch(), meters);
        DetectionService detection = null;
        try {
            progress.accept("kill switch consuming commands, holding a connection to " + settings.killSwitch().jdbcUrl());
            // Detection and capture start with warm serializers; an unavailable registry is waited for.
            SchemaRegistries.registerPipelineSchemas(settings.detection().schemaRegistryUrl(),
                    new RegistryOutage("start-up"), Duration.ofMinutes(2));
            detection = new DetectionService(settings.detection(), meters);
            detection.start();
            awaitRunning(detection, Duration.ofSeconds(60));
            progress.accept("detection running " + settings.detection().rules().size() + " rules: "
                    + settings.detection().rules().stream().map(Pipeline::describe).collect(java.util.stream.Collectors.joining(", ")));
            ActionClassifier classifier = RulesActionClassifier.defaults();
            PostgresCapture capture = new PostgresCapture(settings.ingest(), settings.agentActions(), classifier,
                    settings.guard(), settings.guardPolicy(), meters);
            try {
                capture.start(Duration.ofSeconds(60));
            } catch (RuntimeException e) {
                capture.close();
                throw e;
            }
            progress.accept("capture streaming from slot " + settings.ingest().slotName()
                    + " (Debezium pgoutput, poll.interval.ms=" + settings.ingest().pollIntervalMs() + ")");
            ServerLogCapture serverLog = null;
            AgentActionEndpoint endpoint = null;
            PreflightRuntime preflight = null;
            try {
                serverLog = settings.serverLogCapture().map(c -> new ServerLogCapture(c, meters).start()).orElse(null);
                if (settings.agentActions().httpEnabled()) {
                    preflight = startPreflight(settings, capture);
                    endpoint = new AgentActionEndpoint(settings.agentActions(), settings.ingest().cluster(), classifier,
                            AuditEventSink.of(capture.sink()), meters, preflight == null ? null : preflight.service()).start();
                }
            } catch (RuntimeException e) {
                if (preflight != null) {
                    preflight.close();
                }
                if (serverLog != null) {
                    serverLog.close();
                }
                capture.close();
                throw e;
            }
            if (serverLog != null) {
                progress.accept("following the server log for DROP DATABASE, roles and tablespaces");
            }
            if (endpoint != null) {
                progress.accept("agent actions accepted at http://127.0.0.1:" + endpoint.port() + AgentActionEndpoint.ACTIONS_PATH);
            }
            OnCallService onCall = settings.onCallPaging().map(c -> OnCallService.start(c, meters)).orElse(null);
            if (onCall != null) {
                progress.accept("paging through Alertmanager at " + settings.onCall().alertmanagerUrls());
            }
            OcsfExporter export = OcsfExportConfig.fromMap(settings.flat()).map(c -> OcsfExporter.start(c, meters)).orElse(null);
            if (export != null) {
                progress.accept("exporting audit events and alerts as OCSF to " + Topics.OCSF);
            }
            progress.accept("guard: " + settings.guardPolicy().rules().size() + " rules enforced inside PostgreSQL for "
                    + settings.guard().scope());
            RulesWatcher guardWatcher = GuardRules.watch(settings.flat(), capture::applyGuardPolicy).orElse(null);
            return new Pipeline(killSwitch, detection, capture, serverLog, endpoint, onCall, export, guardWatcher, preflight);
        } catch (RuntimeException e) {
            if (detection != null) {
                detection.close();
            }
            killSwitch.close();
            throw e;
        }
    }

    /** The pre-flight decisions, when {@code firebreak.ingest.preflight.enabled}; recorded through capture's producer. */
    static PreflightRuntime startPreflight(PipelineSettings settings, PostgresCapture capture) {
        PreflightConfig config = PreflightConfig.fromMap(settings.flat());
        if (!config.enabled()) {
            return null;
        }
        return PreflightRuntime.start(config, settings.ingest().clientProperties(), settings.ingest().registryUrl(),
                capture.sink()::sendDecision);
    }

    private static String describe(dev.firebreak.rules.DetectionRule rule) {
        return rule.id() + (rule.shadow() ? " (shadow)" : rule.response() == dev.firebreak.schema.Response.REVOKE ? " (revoke)" : " (alert)");
    }

    private static void awaitRunning(DetectionService detection, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (detection.state() != KafkaStreams.State.RUNNING) {
            if (!detection.state().isRunningOrRebalancing() && detection.state() != KafkaStreams.State.CREATED) {
                throw new IllegalStateException("detection failed to start: " + detection.state());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("detection not RUNNING after " + timeout + ": " + detection.state());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    @Override
    public void close() {
        if (guardWatcher != null) {
            guardWatcher.close();
        }
        if (onCall != null) {
            onCall.close();
        }
        if (export != null) {
            export.close();
        }
        if (agentEndpoint != null) {
            agentEndpoint.close(); // shares the capture's producer
        }
        if (preflight != null) {
            preflight.close();
        }
        if (serverLog != null) {
            serverLog.close();
        }
        capture.close();
        detection.close();
        killSwitch.close();
    }
}
