package dev.firebreak.launcher.config;

import dev.firebreak.config.Settings;
import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.ingest.preflight.PreflightConfig;
import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.launcher.service.ServiceCommand;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.firebreak.schema.registry.RegistryClientConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code firebreak check-config --config F [--stage S]}: reads the file as {@code service} would
 * (secrets resolved), refuses unknown keys, and builds the stage's typed configs, without connecting
 * to anything. Prints {@code ok}, or the first problem naming the key; exit {@value #OK} or
 * {@value #INVALID}.
 */
@Command(name = "check-config", mixinStandardHelpOptions = true,
        description = "Check a properties file for a stage (all stages without --stage): unknown keys, bad values, unreadable secrets.")
public final class CheckConfigCommand implements Callable<Integer> {
    /** Exit code: the file is good. */
    public static final int OK = 0;
    /** Exit code: the file is bad (the first problem is printed). */
    public static final int INVALID = dev.firebreak.launcher.CliErrors.CONFIG;

    /**
     * The stages a file may be checked for. Each builds what {@code service <stage>} builds at
     * start-up, through the same factory, plus what the stage checks only when it starts (signing
     * keys, the pre-flight rules).
     */
    public enum Stage {
        ingest(CheckConfigCommand::ingest),
        detection(s -> DetectionConfig.fromMap(s).requireCommandSigningKey()),
        killswitch(CheckConfigCommand::killSwitch),
        oncall(s -> { }),
        export(s -> { });

        private final Consumer<Map<String, String>> onStart;

        Stage(Consumer<Map<String, String>> onStart) {
            this.onStart = onStart;
        }

        void check(Map<String, String> settings) {
            // create reads and checks the settings and connects to nothing; close releases what it holds
            ServiceCommand.factory(ServiceCommand.StageName.valueOf(name())).create(settings, new SimpleMeterRegistry()).close();
            onStart.accept(settings);
        }
    }

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The properties file to check.")
    Path config;

    @Option(names = "--stage", paramLabel = "STAGE", description = "Check for this stage only: ${COMPLETION-CANDIDATES}.")
    Stage stage;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String problem = problem(config, stage == null ? List.of(Stage.values()) : List.of(stage));
        if (problem == null) {
            out.println("ok");
            out.flush();
            return OK;
        }
        err.println("check-config: " + config + ": " + problem);
        err.flush();
        return INVALID;
    }

    /** The first problem of {@code file} for {@code stages}, or null when there is none. */
    public static String problem(Path file, List<Stage> stages) {
        Map<String, String> settings;
        try {
            settings = Settings.load(file);
            Settings.check(settings);
            RegistryClientConfig.fromMap(settings);
        } catch (IOException e) {
            return "cannot read the file: " + e;
        } catch (ConfigException | IllegalArgumentException | UncheckedIOException e) {
            return e.getMessage();
        }
        for (Stage s : stages) {
            try {
                s.check(settings);
            } catch (ConfigException | IllegalArgumentException | UncheckedIOException e) {
                return (stages.size() > 1 ? s + ": " : "") + e.getMessage();
            }
        }
        return null;
    }

    private static void ingest(Map<String, String> settings) {
        PreflightConfig preflight = PreflightConfig.fromMap(settings);
        if (preflight.enabled()) {
            preflight.loadRules();
        }
    }

    private static void killSwitch(Map<String, String> settings) {
        KillSwitchConfig config = KillSwitchConfig.fromMap(settings);
        config.requireCommandVerificationKey();
        config.requireResultSigningKey();
    }
}
