package dev.firebreak.launcher.reinstate;

import dev.firebreak.config.Settings;
import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.killswitch.reinstate.ReinstateService;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.firebreak.schema.registry.SchemaRegistries;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Undoes the kill switch for one principal across all its targets: restores the state each target
 * had before its first revocation, and records who did it and why on the results topic.
 * Exit code 0 when every target is back, 1 when any failed, 2 when there was nothing to restore.
 */
@Command(name = "reinstate", mixinStandardHelpOptions = true,
        description = "Restore a revoked principal's previous state on every target; needs an operator and a reason.")
public final class ReinstateCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "The kill switch's properties file (same keys, same revokers).")
    Path config;

    @Option(names = "--set", description = "Override one setting, key=value; repeatable.")
    Map<String, String> overrides = new HashMap<>();

    @Option(names = "--principal", required = true,
            description = "The principal whose revocations to undo (as in the alert, e.g. agent:deployer or pg:main/app_rw).")
    String principal;

    @Option(names = "--operator", required = true, description = "Who is reinstating (recorded on the results topic).")
    String operator;

    @Option(names = "--reason", required = true, description = "Why (recorded on the results topic).")
    String reason;

    @Option(names = "--dry-run", description = "Show what would be restored, change nothing.")
    boolean dryRun;

    @Option(names = "--timeout-ms", defaultValue = "10000", description = "Time budget for all targets (default ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Override
    public Integer call() throws Exception {
        Map<String, String> settings = new HashMap<>(Settings.load(config));
        settings.putAll(overrides);
        settings = Settings.resolve(settings);
        SchemaRegistries.configure(settings);
        KillSwitchConfig killSwitch = KillSwitchConfig.fromMap(settings);
        // After the typed config, whose messages name its own keys; this refuses every other misspelled key.
        Settings.check(settings);
        ReinstateService.Report report = ReinstateService.reinstate(killSwitch, principal,
                operator, reason, dryRun, Duration.ofMillis(timeoutMs), new SimpleMeterRegistry());
        // Not trusted, not used: whoever could write them could choose what gets restored.
        report.unverified().forEach(u -> System.out.printf("%-10s %-40s %s result of %s ignored: %s%n", "IGNORED",
                u.result().getTarget(), u.result().getAction(), u.result().getCommandId(), u.verification().problem()));
        if (report.results().isEmpty()) {
            System.out.println(report.resultsSeen() == 0
                    ? "nothing to reinstate: the kill switch never revoked " + principal
                    : "nothing to reinstate: every target of " + principal + " is already reinstated or was never changed");
            return 2;
        }
        boolean ok = true;
        for (RevocationResult r : report.results()) {
            System.out.printf("%-10s %-40s %s%n", r.getOutcome(), r.getTarget(), r.getDetail());
            ok &= r.getOutcome() == RevocationOutcome.REINSTATED || r.getOutcome() == RevocationOutcome.DRY_RUN;
        }
        System.out.println((dryRun ? "dry run " : "") + report.reinstateId() + " by " + operator + ": " + reason);
        return ok ? 0 : 1;
    }
}
