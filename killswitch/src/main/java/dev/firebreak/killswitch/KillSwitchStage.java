package dev.firebreak.killswitch;

import dev.firebreak.config.Settings;
import dev.firebreak.stage.Health;
import dev.firebreak.stage.Readiness;
import dev.firebreak.stage.ServiceStage;
import dev.firebreak.stage.Stage;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;

/**
 * The kill switch as a {@link Stage}: its revokers' connections and its command loop, ready once
 * the loop consumes. The one place that builds a {@link KillSwitchService} from settings.
 */
public final class KillSwitchStage extends ServiceStage<KillSwitchService> {
    /** The stage's name, as {@code service} spells it. */
    public static final String NAME = "killswitch";
    private final KillSwitchConfig config;
    private final MeterRegistry meters;

    private KillSwitchStage(KillSwitchConfig config, MeterRegistry meters) {
        super("kill switch");
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
    protected KillSwitchService open(Readiness deadline) {
        return KillSwitchService.start(config, meters);
    }

    @Override
    protected Health healthOf(KillSwitchService running) {
        return loopHealth(running.isRunning(), running.hasStopped(), "kill switch stopped consuming commands");
    }

    @Override
    public List<String> describe() {
        return List.of("kill switch consuming commands, holding a connection to " + config.jdbcUrl());
    }
}
