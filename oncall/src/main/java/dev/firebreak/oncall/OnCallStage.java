package dev.firebreak.oncall;

import dev.firebreak.config.Settings;
import dev.firebreak.stage.Health;
import dev.firebreak.stage.Readiness;
import dev.firebreak.stage.Stage;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The on-call notifier as a {@link Stage}: alerts pushed to Alertmanager. Paging is on only when
 * {@value OnCallConfig#ALERTMANAGER_URLS} is set: optional beside the other stages, required when
 * it runs as its own service.
 */
public final class OnCallStage implements Stage {
    /** The stage's name, as {@code service} spells it. */
    public static final String NAME = "oncall";
    private final OnCallConfig config;
    private final MeterRegistry meters;
    private OnCallService service;
    private boolean started;
    private boolean closed;

    private OnCallStage(OnCallConfig config, MeterRegistry meters) {
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
    public void start(Duration readiness) {
        synchronized (this) {
            if (started || closed) {
                throw new IllegalStateException("the on-call stage starts once");
            }
            started = true;
        }
        // built outside the lock: opening connections must not hold up a health probe
        OnCallService built = OnCallService.start(config, meters);
        boolean closedMeanwhile;
        synchronized (this) {
            service = built;
            closedMeanwhile = closed;
        }
        if (closedMeanwhile) {
            built.close();
            throw new IllegalStateException("on-call stage closed while starting");
        }
        try {
            Readiness.within(readiness).await("on-call notifier", this::health);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public synchronized Health health() {
        if (service == null) {
            return Health.starting("not started");
        }
        if (service.isRunning()) {
            return Health.up();
        }
        return service.hasStopped() ? Health.failed("on-call notifier stopped") : Health.starting("starting");
    }

    @Override
    public List<String> describe() {
        return List.of("paging through Alertmanager at " + config.alertmanagerUrls());
    }

    @Override
    public void close() {
        OnCallService running;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = service;
        }
        if (running != null) {
            running.close();
        }
    }
}
