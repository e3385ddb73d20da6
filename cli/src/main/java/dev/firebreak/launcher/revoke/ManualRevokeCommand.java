package dev.firebreak.launcher.revoke;

import dev.firebreak.config.PassThrough;
import dev.firebreak.config.Settings;
import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.killswitch.ManualRevoke;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.registry.SchemaRegistries;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code firebreak revoke}: an operator revokes a principal by hand. Publishes a manual revoke
 * command signed with the operators' secret, which the kill switch executes like detection's, then
 * prints the kill switch's result per target. Exit code 0 when every target is revoked (or was
 * already, or a dry run), 1 when any failed or was refused, {@value #NO_RESULT} when some target got
 * no result in time (the command is published; the kill switch may be down or behind).
 */
@Command(name = "revoke", mixinStandardHelpOptions = true,
        description = "Revoke a principal by hand through the kill switch; needs an operator and a reason.")
public final class ManualRevokeCommand implements Callable<Integer> {
    /** Exit code when a target got no result before {@code --timeout-ms}. */
    public static final int NO_RESULT = 5;
    private static final Set<RevocationOutcome> DONE = Set.of(RevocationOutcome.REVOKED, RevocationOutcome.ALREADY_REVOKED,
            RevocationOutcome.DRY_RUN);

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true,
            description = "The kill switch's properties file: schema registry, Kafka, and the operator and result secrets.")
    Path config;

    @Option(names = "--set", description = "Override one setting, key=value; repeatable.")
    Map<String, String> overrides = new HashMap<>();

    @Option(names = "--kafka-config",
            description = "Kafka client properties of the operator's own Kafka user (needs Write on the commands topic, Read on"
                    + " the results topic); default: the kill switch's firebreak.killswitch.client.* settings.")
    Path kafkaConfig;

    @Option(names = "--principal", required = true, description = "The principal to revoke, e.g. pg:main/app_rw or agent:deployer.")
    String principal;

    @Option(names = "--target", description = "A credential to revoke (repeatable); default: the principal itself.")
    List<String> targets = new ArrayList<>();

    @Option(names = "--operator", required = true, description = "Who is revoking (recorded in the command and every result).")
    String operator;

    @Option(names = "--reason", required = true, description = "Why (recorded in the command and every result).")
    String reason;

    @Option(names = "--dry-run", description = "Ask the kill switch to report what it would do, changing nothing.")
    boolean dryRun;

    @Option(names = "--timeout-ms", defaultValue = "15000", description = "How long to wait for the results (default ${DEFAULT-VALUE}).")
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
        killSwitch.requireOperatorKey();
        RevokeCommand command = ManualRevoke.command(principal, targets, operator, reason, dryRun, ManualRevoke.nowUs());
        ManualRevoke.Report report = ManualRevoke.publishAndAwait(killSwitch, kafka(settings, killSwitch), command,
                Duration.ofMillis(timeoutMs));
        return print(report, spec.commandLine().getOut());
    }

    private Map<String, String> kafka(Map<String, String> settings, KillSwitchConfig killSwitch) throws Exception {
        Map<String, String> kafka = new HashMap<>(kafkaConfig == null
                ? PassThrough.clientSettings(settings, KillSwitchConfig.PREFIX) : Settings.load(kafkaConfig));
        kafka.putIfAbsent(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, killSwitch.bootstrapServers());
        return kafka;
    }

    private static int print(ManualRevoke.Report report, PrintWriter out) {
        RevokeCommand command = report.command();
        boolean ok = true;
        for (RevocationResult r : report.results()) {
            out.printf("%-16s %-40s %s%n", r.getOutcome(), r.getTarget(), r.getDetail());
            ok &= DONE.contains(r.getOutcome());
        }
        if (report.unverified() > 0) {
            out.printf("IGNORED          %d result(s) for this command whose signature did not verify%n", report.unverified());
        }
        List<String> missing = command.getTargets().stream()
                .filter(t -> report.results().stream().noneMatch(r -> r.getTarget().equals(t))).toList();
        missing.forEach(t -> out.printf("%-16s %-40s %s%n", "NO RESULT", t, "the kill switch did not answer in time"));
        out.println((command.getDryRun() ? "dry run " : "") + command.getCommandId() + " by " + command.getOperator()
                + ": " + command.getReason());
        out.flush();
        return !missing.isEmpty() ? NO_RESULT : ok ? 0 : 1;
    }
}
