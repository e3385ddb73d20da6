package dev.firebreak.export.ocsf;

import dev.firebreak.config.Settings;
import dev.firebreak.schema.Topics;
import dev.firebreak.stage.Health;
import dev.firebreak.stage.Readiness;
import dev.firebreak.stage.Stage;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The OCSF export as a {@link Stage}: audit events and alerts copied to {@value Topics#OCSF}. On only
 * with {@value OcsfExportConfig#ENABLED}{@code =true}: optional beside the other stages, required
 * when it runs as its own service.
 */
public final class ExportStage implements Stage {
    /** The stage's name, as {@code service} spells it. */
    public static final String NAME = "export";
    private final OcsfExportConfig config;
    private final MeterRegistry meters;
    private OcsfExporter exporter;
    private boolean started;
    private boolean closed;

    private ExportStage(OcsfExportConfig config, MeterRegistry meters) {
        this.config = config;
        this.meters = meters;
    }

    /**
     * The stage, for {@code service export}.
     *
     * @throws IllegalArgumentException when the export is not enabled
     */
    public static ExportStage create(Map<String, String> settings, MeterRegistry meters) {
        return optional(settings, meters).orElseThrow(() -> new IllegalArgumentException(
                OcsfExportConfig.ENABLED + "=true is required for the export service"));
    }

    /** The stage when the export is enabled; empty otherwise. */
    public static Optional<ExportStage> optional(Map<String, String> settings, MeterRegistry meters) {
        // Once per stage, before anything starts: a misspelled key would leave a default silently in force.
        Settings.check(settings);
        return OcsfExportConfig.fromMap(settings).map(c -> new ExportStage(c, meters));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void start(Duration readiness) {
        synchronized (this) {
            if (started || closed) {
                throw new IllegalStateException("the export stage starts once");
            }
            started = true;
        }
        // built outside the lock: opening connections must not hold up a health probe
        OcsfExporter built = OcsfExporter.start(config, meters);
        boolean closedMeanwhile;
        synchronized (this) {
            exporter = built;
            closedMeanwhile = closed;
        }
        if (closedMeanwhile) {
            built.close();
            throw new IllegalStateException("export stage closed while starting");
        }
        try {
            Readiness.within(readiness).await("OCSF export", this::health);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public synchronized Health health() {
        if (exporter == null) {
            return Health.starting("not started");
        }
        if (exporter.isRunning()) {
            return Health.up();
        }
        return exporter.hasStopped() ? Health.failed("OCSF export stopped") : Health.starting("starting");
    }

    @Override
    public List<String> describe() {
        return List.of("exporting audit events and alerts as OCSF to " + Topics.OCSF);
    }

    @Override
    public void close() {
        OcsfExporter running;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = exporter;
        }
        if (running != null) {
            running.close();
        }
    }
}
