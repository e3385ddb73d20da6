package dev.firebreak.launcher.service;

import dev.firebreak.ingest.guard.GuardConfig;
import dev.firebreak.launcher.pipeline.GuardRules;
import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.detect.DetectionService;
import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.pglog.ServerLogCapture;
import dev.firebreak.ingest.pglog.ServerLogConfig;
import dev.firebreak.ingest.postgres.PostgresCapture;
import dev.firebreak.ingest.agent.AgentActionConfig;
import dev.firebreak.ingest.agent.AgentActionEndpoint;
import dev.firebreak.ingest.preflight.PreflightConfig;
import dev.firebreak.ingest.preflight.PreflightRuntime;
import dev.firebreak.ingest.preflight.PreflightService;
import dev.firebreak.ingest.classify.ActionClassifier;
import dev.firebreak.ingest.classify.RulesActionClassifier;
import dev.firebreak.ingest.agent.AuditEventSink;
import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.export.ocsf.OcsfExportConfig;
import dev.firebreak.export.ocsf.OcsfExporter;
import dev.firebreak.oncall.OnCallConfig;
import dev.firebreak.oncall.OnCallService;
import dev.firebreak.killswitch.KillSwitchService;
import dev.firebreak.launcher.Lifecycle;
import dev.firebreak.launcher.metrics.MetricsServer;
import dev.firebreak.schema.registry.RegistryOutage;
import dev.firebreak.schema.registry.SchemaRegistries;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Runs one stage of the pipeline as its own process, for production: {@code ingest},
 * {@code detection} or {@code killswitch}, configured by a properties file (the same keys the
 * demo uses), with its metrics on a Prometheus endpoint. Stops cleanly on SIGTERM or Ctrl-C.
 */
@Command(name = "service", mixinStandardHelpOptions = true,
        description = "Run one pipeline stage (ingest, detection, killswitch, oncall or export) from a properties file until stopped.")
public final class ServiceCommand implements Callable<Integer> {
    /** The stages that run as a service. */
    public enum Stage { ingest, detection, killswitch, oncall, export }

    @Parameters(index = "0", description = "Stage to run: ${COMPLETION-CANDIDATES}.")
    Stage stage;

    @Option(names = "--config", required = true, description = "Properties file with firebreak.* and kafka.* settings.")
    Path config;

    @Option(names = "--metrics-address", defaultValue = "127.0.0.1:0",
            description = "host:port of the Prometheus endpoint (default ${DEFAULT-VALUE}: loopback, a free port).")
    String metricsAddress;

    @Override
    public Integer call() throws Exception {
        Map<String, String> settings = read(config);
        SchemaRegistries.configure(settings);
        Lifecycle lifecycle = new Lifecycle();
        String[] hostPort = metricsAddress.split(":", 2);
        MetricsServer metrics = lifecycle.own(new MetricsServer(hostPort[0], Integer.parseInt(hostPort[1])));
        Supplier<String> failure = switch (stage) {
            case ingest -> startIngest(settings, lifecycle, metrics);
            case detection -> startDetection(settings, lifecycle, metrics);
            case killswitch -> {
                KillSwitchService service = lifecycle.own(KillSwitchService.start(KillSwitchConfig.fromMap(settings), metrics.registry()));
                yield () -> service.isRunning() ? null : "kill switch stopped consuming commands";
            }
            case oncall -> {
                OnCallConfig onCall = OnCallConfig.fromMap(settings).orElseThrow(() -> new IllegalArgumentException(
                        OnCallConfig.ALERTMANAGER_URLS + " is required for the oncall service: http(s)://<alertmanager>[,...]"));
                OnCallService service = lifecycle.own(OnCallService.start(onCall, metrics.registry()));
                yield () -> service.isRunning() ? null : "on-call notifier stopped";
            }
            case export -> {
                OcsfExportConfig export = OcsfExportConfig.fromMap(settings).orElseThrow(() -> new IllegalArgumentException(
                        OcsfExportConfig.ENABLED + "=true is required for the export service"));
                OcsfExporter service = lifecycle.own(OcsfExporter.start(export, metrics.registry()));
                yield () -> service.isRunning() ? null : "OCSF export stopped";
            }
        };
        System.out.println("FIREBREAK_SERVICE_READY " + stage + " metrics=" + metrics.url());
        System.out.flush();
        // Until SIGTERM/Ctrl-C (the lifecycle's shutdown hook stops everything), or until the stage
        // fails: then exit non-zero so the supervisor restarts it, rather than sit there deaf.
        while (true) {
            Thread.sleep(1000);
            String problem = failure.get();
            if (problem != null) {
                System.err.println("firebreak " + stage + " failed: " + problem);
                lifecycle.close();
                return 1;
            }
        }
    }

    private static Supplier<String> startIngest(Map<String, String> settings, Lifecycle lifecycle, MetricsServer metrics) {
        IngestConfig ingest = IngestConfig.fromMap(settings);
        ServerLogConfig serverLog = ServerLogConfig.fromMap(settings);
        // An unavailable registry is waited for (WARN while it lasts), not a failed start.
        SchemaRegistries.registerPipelineSchemas(ingest.registryUrl(), new RegistryOutage("start-up"),
                SchemaRegistries.UNTIL_AVAILABLE);
        AgentActionConfig agents = AgentActionConfig.fromMap(settings);
        ActionClassifier classifier = RulesActionClassifier.defaults();
        PostgresCapture capture = lifecycle.own(new PostgresCapture(ingest, agents, classifier,
                GuardConfig.fromMap(settings), GuardRules.load(settings), metrics.registry()));
        capture.start(Duration.ofSeconds(60));
        GuardRules.watch(settings, capture::applyGuardPolicy).ifPresent(lifecycle::own);
        if (serverLog != null) {
            lifecycle.own(new ServerLogCapture(serverLog, metrics.registry()).start());
        }
        if (agents.httpEnabled()) {
            PreflightConfig preflight = PreflightConfig.fromMap(settings);
            PreflightService decisions = preflight.enabled() ? lifecycle.own(PreflightRuntime.start(preflight,
                    ingest.clientProperties(), ingest.registryUrl(), capture.sink()::sendDecision)).service() : null;
            lifecycle.own(new AgentActionEndpoint(agents, ingest.cluster(), classifier, AuditEventSink.of(capture.sink()),
                    metrics.registry(), decisions).start());
        }
        return () -> capture.failure() == null ? null : "capture engine stopped: " + capture.failure().getMessage();
    }

    private static Supplier<String> startDetection(Map<String, String> settings, Lifecycle lifecycle, MetricsServer metrics) {
        DetectionConfig detection = DetectionConfig.fromMap(settings);
        // An unavailable registry is waited for (WARN while it lasts), not a failed start.
        SchemaRegistries.registerPipelineSchemas(detection.schemaRegistryUrl(), new RegistryOutage("start-up"),
                SchemaRegistries.UNTIL_AVAILABLE);
        DetectionService service = lifecycle.own(new DetectionService(detection, metrics.registry()));
        service.start();
        return () -> switch (service.state()) {
            case ERROR, PENDING_SHUTDOWN, NOT_RUNNING -> "detection is " + service.state();
            default -> null;
        };
    }

    /**
     * Reads a properties file into trimmed key-value pairs, with {@code ${env:..}}, {@code ${file:..}}
     * and {@code ${dir:..}} secrets resolved ({@link dev.firebreak.config.Settings#load}).
     */
    public static Map<String, String> read(Path file) throws IOException {
        return new HashMap<>(dev.firebreak.config.Settings.load(file));
    }
}
