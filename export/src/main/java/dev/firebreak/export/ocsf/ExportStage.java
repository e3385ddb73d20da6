package dev.firebreak.export.ocsf;

import dev.firebreak.config.Settings;
import dev.firebreak.schema.Topics;
import dev.firebreak.stage.Health;
import dev.firebreak.stage.Readiness;
import dev.firebreak.stage.ServiceStage;
import dev.firebreak.stage.Stage;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The OCSF export as a {@link Stage}: audit events and alerts copied to {@value Topics#OCSF}. On only
 * with {@value OcsfExportConfig#ENABLED}{@code =true}: optional beside the other stages, required
 * when it runs as its own service.
 */
public final class ExportStage extends ServiceStage<OcsfExporter> {
    /** The stage's name, as {@code service} spells it. */
    public static final String NAME = "export";
    private final OcsfExportConfig config;
    private final MeterRegistry meters;

    private ExportStage(OcsfExportConfig config, MeterRegistry meters) {
        super("OCSF export");
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
    protected OcsfExporter open(Readiness deadline) {
        return OcsfExporter.start(config, meters);
    }

    @Override
    protected Health healthOf(OcsfExporter running) {
        return loopHealth(running.isRunning(), running.hasStopped(), "OCSF export stopped");
    }

    @Override
    public List<String> describe() {
        return List.of("exporting audit events and alerts as OCSF to " + Topics.OCSF);
    }
}
