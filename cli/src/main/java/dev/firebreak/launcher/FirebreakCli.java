package dev.firebreak.launcher;

import dev.firebreak.launcher.config.CheckConfigCommand;
import dev.firebreak.launcher.config.SettingsReferenceCommand;
import dev.firebreak.launcher.preflight.AnswerCommand;
import dev.firebreak.launcher.preflight.CheckCommand;
import dev.firebreak.launcher.preflight.HookCommand;
import dev.firebreak.launcher.reinstate.ReinstateCommand;
import dev.firebreak.launcher.revoke.ManualRevokeCommand;
import dev.firebreak.launcher.rules.RulesCommand;
import dev.firebreak.launcher.service.ServiceCommand;
import dev.firebreak.launcher.setup.InstallRoleCommand;
import dev.firebreak.launcher.topics.TopicsCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar firebreak.jar <command>}: the production executable of Firebreak, what the image
 * runs. It carries the stages and the operator commands, and no embedded stack: the demo, the local
 * stack and the benchmarks are in the {@code launcher} module's {@code firebreak-dev.jar}, which adds
 * them to this command line ({@code FirebreakDevCli}).
 */
@Command(name = "firebreak", mixinStandardHelpOptions = true, version = "firebreak 0.1.0",
        description = "Cuts off a principal that starts destroying things, while the burst is still running.",
        subcommands = {ServiceCommand.class, ReinstateCommand.class, InstallRoleCommand.class,
                RulesCommand.class, TopicsCommand.class, ManualRevokeCommand.class,
                // settings: check a file before deploying it; the generated reference
                CheckConfigCommand.class, SettingsReferenceCommand.class,
                // pre-flight: agents ask before they act
                HookCommand.class, CheckCommand.class, AnswerCommand.Approve.class, AnswerCommand.Reject.class})
public final class FirebreakCli implements Runnable {

    public static void main(String[] args) {
        System.exit(run(new CommandLine(new FirebreakCli()), args));
    }

    /**
     * Runs {@code cli} as the process's command line: one-line errors and exit codes for user
     * mistakes ({@link CliErrors}).
     */
    public static int run(CommandLine cli, String[] args) {
        // The agent endpoint answers pre-flight decisions in milliseconds: with Nagle on, the JDK HTTP
        // server's separate header and body writes wait for the client's delayed ACK (about 40 ms).
        // Read once, when the first server starts, so it is set before anything else runs.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        return CliErrors.install(cli).execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
