package dev.firebreak.launcher.service;

import dev.firebreak.detect.DetectionStage;
import dev.firebreak.export.ocsf.ExportStage;
import dev.firebreak.ingest.IngestStage;
import dev.firebreak.killswitch.KillSwitchStage;
import dev.firebreak.launcher.Lifecycle;
import dev.firebreak.launcher.metrics.MetricsServer;
import dev.firebreak.oncall.OnCallStage;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.stage.Health;
import dev.firebreak.stage.Readiness;
import dev.firebreak.stage.Stage;
import dev.firebreak.stage.StageFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Runs one stage of the pipeline as its own process, for production: {@code ingest},
 * {@code detection}, {@code killswitch}, {@code oncall} or {@code export}, built by the stage's own
 * factory (the same the demo's pipeline uses) from a properties file (the same keys the demo
 * uses), with its metrics on a Prometheus endpoint and its health at {@code /health/live} and
 * {@code /health/ready}. Stops cleanly on SIGTERM or Ctrl-C.
 */
@Command(name = "service", mixinStandardHelpOptions = true,
        description = "Run one pipeline stage (ingest, detection, killswitch, oncall or export) from a properties file until stopped.")
public final class ServiceCommand implements Callable<Integer> {
    /** The stages that run as a service. */
    public enum StageName { ingest, detection, killswitch, oncall, export }

    /** Each stage's factory, in its own module. */
    static final Map<StageName, StageFactory> FACTORIES = factories();

    /** The factory {@code service <stage>} runs; {@code check-config} builds the same. */
    public static StageFactory factory(StageName stage) {
        return FACTORIES.get(stage);
    }

    @Parameters(index = "0", description = "Stage to run: ${COMPLETION-CANDIDATES}.")
    StageName stage;

    @Option(names = "--config", required = true, description = "Properties file of the stage's settings (docs/settings-reference.md); values may be ${env:..}, ${file:..} or ${dir:..} secrets.")
    Path config;

    @Option(names = "--metrics-address", defaultValue = "127.0.0.1:0",
            description = "host:port of the Prometheus endpoint and of /health/live and /health/ready"
                    + " (default ${DEFAULT-VALUE}: loopback, a free port).")
    String metricsAddress;

    private static Map<StageName, StageFactory> factories() {
        Map<StageName, StageFactory> m = new EnumMap<>(StageName.class);
        m.put(StageName.ingest, IngestStage::create);
        m.put(StageName.detection, DetectionStage::create);
        m.put(StageName.killswitch, KillSwitchStage::create);
        m.put(StageName.oncall, OnCallStage::create);
        m.put(StageName.export, ExportStage::create);
        return Map.copyOf(m);
    }

    @Override
    public Integer call() throws Exception {
        Map<String, String> settings = read(config);
        SchemaRegistries.configure(settings);
        Lifecycle lifecycle = new Lifecycle();
        String[] hostPort = metricsAddress.split(":", 2);
        MetricsServer metrics = lifecycle.own(new MetricsServer(hostPort[0], Integer.parseInt(hostPort[1])));
        Stage running = lifecycle.own(FACTORIES.get(stage).create(settings, metrics.registry()));
        metrics.health(running::health);
        // As long as it takes: an unavailable registry or a long state restore is waited for (WARN
        // while it lasts; /health/ready answers 503 meanwhile), a stage that fails exits.
        running.start(Readiness.UNBOUNDED);
        System.out.println("FIREBREAK_SERVICE_READY " + stage + " metrics=" + metrics.url());
        System.out.flush();
        // Until SIGTERM/Ctrl-C (the lifecycle's shutdown hook stops everything), or until the stage
        // fails: then exit non-zero so the supervisor restarts it, rather than sit there deaf.
        while (true) {
            Thread.sleep(1000);
            Health health = running.health();
            if (!health.live()) {
                System.err.println("firebreak " + stage + " failed: " + health.detail());
                lifecycle.close();
                return 1;
            }
        }
    }

    /**
     * Reads a properties file into trimmed key-value pairs, with {@code ${env:..}}, {@code ${file:..}}
     * and {@code ${dir:..}} secrets resolved ({@link dev.firebreak.config.Settings#load}).
     */
    public static Map<String, String> read(Path file) throws IOException {
        return new HashMap<>(dev.firebreak.config.Settings.load(file));
    }
}
