package dev.firebreak.oncall;

import dev.firebreak.config.Settings;
import dev.firebreak.stage.Health;
import dev.firebreak.stage.Readiness;
import dev.firebreak.stage.ServiceStage;
import dev.firebreak.stage.Stage;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The on-call notifier as a {@link Stage}: alerts pushed to Alertmanager. Paging is on only when
 * {@value OnCallConfig#ALERTMANAGER_URLS} is set: optional beside the other stages, required when
 * it runs as its own service.
 */
public final class OnCallStage extends ServiceStage<OnCallService> {
    /** The stage's name, as {@code service} spells it. */
    public static final String NAME = "oncall";
    private final OnCallConfig config;
    private final MeterRegistry meters;

    private OnCallStage(OnCallConfig config, MeterRegistry meters) {
        super("on-call notifier");
        this.config = config;
        this.meters = meters;
    }

    /**
     * The stage, for {@code service oncall}.
     *
     * @throws IllegalArgumentException when {@value OnCallConfig#ALERTMANAGER_URLS} is unset
     */
    public static OnCallStage create(Map<String, String> settings, MeterRegistry meters) {
        return optional(settings, meters).orElseThrow(() -> new IllegalArgumentException(
                OnCallConfig.ALERTMANAGER_URLS + " is required for the oncall service: http(s)://<alertmanager>[,...]"));
    }

    /** The stage when paging is configured; empty otherwise. */
    public static Optional<OnCallStage> optional(Map<String, String> settings, MeterRegistry meters) {
        // Once per stage, before anything starts: a misspelled key would leave a default silently in force.
        Settings.check(settings);
        return OnCallConfig.fromMap(settings).map(c -> new OnCallStage(c, meters));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected OnCallService open(Readiness deadline) {
        return OnCallService.start(config, meters);
    }

    @Override
    protected Health healthOf(OnCallService running) {
        return loopHealth(running.isRunning(), running.hasStopped(), "on-call notifier stopped");
    }

    @Override
    public List<String> describe() {
        return List.of("paging through Alertmanager at " + config.alertmanagerUrls());
    }
}
