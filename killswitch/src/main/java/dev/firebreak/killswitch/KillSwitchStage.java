package dev.firebreak.killswitch;

import dev.firebreak.config.Settings;
import dev.firebreak.stage.Health;
import dev.firebreak.stage.Readiness;
import dev.firebreak.stage.Stage;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The kill switch as a {@link Stage}: its revokers' connections and its command loop, ready once
 * the loop consumes. The one place that builds a {@link KillSwitchService} from settings.
 */
public final class KillSwitchStage implements Stage {
    /** The stage's name, as {@code service} spells it. */
    public static final String NAME = "killswitch";
    private final KillSwitchConfig config;
    private final MeterRegistry meters;
    private KillSwitchService service;
    private boolean started;
    private boolean closed;

    private KillSwitchStage(KillSwitchConfig config, MeterRegistry meters) {
        this.config = config;
        this.meters = meters;
    }

    /** Reads {@code firebreak.killswitch.*}; connects to nothing yet. */
    public static KillSwitchStage create(Map<String, String> settings, MeterRegistry meters) {
        // Once per stage, before anything starts: a misspelled key would leave a default silently in force.
        Settings.check(settings);
        return new KillSwitchStage(KillSwitchConfig.fromMap(settings), meters);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Opens the revokers and starts the command loop; needs no registry (it waits for one per record). */
    @Override
    public void start(Duration readiness) {
        synchronized (this) {
            if (started || closed) {
                throw new IllegalStateException("the kill switch stage starts once");
            }
            started = true;
        }
        // built outside the lock: opening connections must not hold up a health probe
        KillSwitchService built = KillSwitchService.start(config, meters);
        boolean closedMeanwhile;
        synchronized (this) {
            service = built;
            closedMeanwhile = closed;
        }
        if (closedMeanwhile) {
            built.close();
            throw new IllegalStateException("kill switch stage closed while starting");
        }
        try {
            Readiness.within(readiness).await("kill switch", this::health);
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
        return service.hasStopped() ? Health.failed("kill switch stopped consuming commands") : Health.starting("starting");
    }

    @Override
    public List<String> describe() {
        return List.of("kill switch consuming commands, holding a connection to " + config.jdbcUrl());
    }

    @Override
    public void close() {
        KillSwitchService running;
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
