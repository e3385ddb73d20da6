package dev.firebreak.launcher.preflight;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code firebreak check -- <command> [args...]}: the generic wrapper for shell-driven agents. Asks
 * Firebreak about the command line (tool {@code bash}), runs it only when allowed (or approved),
 * with this process's stdin, stdout and stderr, and exits with its exit code; a blocked command is
 * not run and the wrapper exits {@value #BLOCKED} with the reason on stderr.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Ask Firebreak before running a command; run it only when allowed (exit 126 when blocked).")
public final class CheckCommand implements Callable<Integer> {
    /** The shell's "found but cannot execute": the command was not run. */
    public static final int BLOCKED = 126;
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    @Mixin
    ClientOptions options = new ClientOptions();

    @Option(names = "--run-id", defaultValue = "${env:FIREBREAK_RUN_ID:-}", description = "The agent run (env FIREBREAK_RUN_ID).")
    String runId;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command and its arguments, after --.")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Gate gate;
        try {
            gate = options.gate(System.err);
        } catch (IllegalArgumentException e) {
            System.err.println("firebreak check: " + e.getMessage() + "; not running the command");
            return BLOCKED;
        }
        Gate.Result result = gate.check(options.record("bash", commandLine(command), runId));
        if (!result.message().isEmpty()) {
            System.err.println(result.message());
        }
        if (!result.allowed()) {
            return BLOCKED;
        }
        return new ProcessBuilder(command).inheritIO().start().waitFor();
    }

    /** The argument vector as one shell line (single-quoted where needed), as the classifier reads commands. */
    static String commandLine(List<String> argv) {
        List<String> words = new ArrayList<>(argv.size());
        for (String a : argv) {
            words.add(PLAIN.matcher(a).matches() ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return String.join(" ", words);
    }
}
