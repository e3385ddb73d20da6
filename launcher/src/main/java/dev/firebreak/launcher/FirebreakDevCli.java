package dev.firebreak.launcher;

import dev.firebreak.launcher.bench.BenchCommand;
import dev.firebreak.launcher.bench.CaptureBenchCommand;
import dev.firebreak.launcher.bench.CaptureCostBenchCommand;
import dev.firebreak.launcher.bench.DecisionBenchCommand;
import dev.firebreak.launcher.bench.DetectionBenchCommand;
import dev.firebreak.launcher.bench.KillSwitchBenchCommand;
import dev.firebreak.launcher.demo.DemoCommand;
import dev.firebreak.launcher.demo.LocalCommand;
import dev.firebreak.launcher.rules.CorpusCommand;
import picocli.CommandLine;

/**
 * {@code java -jar firebreak-dev.jar <command>} ({@code ./firebreak}): the production command line
 * ({@link FirebreakCli}) plus what needs the embedded stack, which the production jar does not carry:
 * {@code demo}, {@code local}, the benchmarks and {@code rules corpus}.
 */
public final class FirebreakDevCli {

    private FirebreakDevCli() {
    }

    public static void main(String[] args) {
        System.exit(FirebreakCli.run(commandLine(), args));
    }

    /** The production command line with the dev commands added. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new FirebreakCli());
        for (Object command : new Object[] {new DemoCommand(), new LocalCommand(), new BenchCommand(),
                new CaptureBenchCommand(), new KillSwitchBenchCommand(), new CaptureCostBenchCommand(),
                new DecisionBenchCommand(), new DetectionBenchCommand()}) {
            cli.addSubcommand(command);
        }
        cli.getSubcommands().get("rules").addSubcommand(new CorpusCommand());
        return cli;
    }
}
