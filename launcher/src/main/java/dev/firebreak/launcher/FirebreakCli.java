package dev.firebreak.launcher;

import dev.firebreak.launcher.bench.BenchCommand;
import dev.firebreak.launcher.bench.CaptureBenchCommand;
import dev.firebreak.launcher.bench.CaptureCostBenchCommand;
import dev.firebreak.launcher.bench.KillSwitchBenchCommand;
import dev.firebreak.launcher.demo.DemoCommand;
import dev.firebreak.launcher.demo.LocalCommand;
import dev.firebreak.launcher.service.ServiceCommand;
import dev.firebreak.launcher.reinstate.ReinstateCommand;
import dev.firebreak.launcher.rules.RulesCommand;
import dev.firebreak.launcher.setup.InstallRoleCommand;
import dev.firebreak.launcher.revoke.ManualRevokeCommand;
import dev.firebreak.launcher.topics.TopicsCommand;
import dev.firebreak.launcher.bench.DecisionBenchCommand;
import dev.firebreak.launcher.bench.DetectionBenchCommand;
import dev.firebreak.launcher.preflight.AnswerCommand;
import dev.firebreak.launcher.preflight.CheckCommand;
import dev.firebreak.launcher.preflight.HookCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar firebreak.jar <command>}: the one executable of Firebreak. */
@Command(name = "firebreak", mixinStandardHelpOptions = true, version = "firebreak 0.1.0",
        description = "Cuts off a principal that starts destroying things, while the burst is still running.",
        subcommands = {DemoCommand.class, LocalCommand.class, BenchCommand.class, CaptureBenchCommand.class, ServiceCommand.class,
                ReinstateCommand.class, InstallRoleCommand.class, KillSwitchBenchCommand.class, CaptureCostBenchCommand.class,
                RulesCommand.class, TopicsCommand.class, ManualRevokeCommand.class,
                // pre-flight: agents ask before they act
                HookCommand.class, CheckCommand.class, AnswerCommand.Approve.class, AnswerCommand.Reject.class,
                DecisionBenchCommand.class, DetectionBenchCommand.class})
public final class FirebreakCli implements Runnable {

    public static void main(String[] args) {
        // The agent endpoint answers pre-flight decisions in milliseconds: with Nagle on, the JDK HTTP
        // server's separate header and body writes wait for the client's delayed ACK (about 40 ms).
        // Read once, when the first server starts, so it is set before anything else runs.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        System.exit(CliErrors.install(new CommandLine(new FirebreakCli())).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
