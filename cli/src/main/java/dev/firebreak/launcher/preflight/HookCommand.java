package dev.firebreak.launcher.preflight;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * Agent hooks. {@code hook claude-code} is a Claude Code {@code PreToolUse} command hook: it reads the
 * hook's JSON on stdin, asks Firebreak, and exits 0 to let the tool run or 2 to block it, with the
 * reason on stderr (Claude Code shows it to the model). A Bash call is asked as tool {@code bash}
 * with its command; an MCP tool whose input carries {@code sql} or {@code query} text as tool
 * {@code sql}; any other tool by its name with its input as JSON (the classifier judges what it knows).
 */
@Command(name = "hook", mixinStandardHelpOptions = true, description = "Pre-flight hooks for agent frameworks.",
        subcommands = HookCommand.ClaudeCode.class)
public final class HookCommand implements Runnable {
    /** Exit code that makes Claude Code block the tool call and show stderr to the model. */
    public static final int BLOCK = 2;
    /** Longest input sent; a tool input beyond it is cut (the endpoint bounds it too). */
    static final int MAX_INPUT_CHARS = 60_000;

    @Override
    public void run() {
        System.err.println("choose a hook: claude-code");
    }

    /** Claude Code's PreToolUse hook. */
    @Command(name = "claude-code", mixinStandardHelpOptions = true,
            description = "Claude Code PreToolUse hook: JSON on stdin; exit 0 allows the tool call, exit 2 blocks it "
                    + "(reason on stderr).")
    public static final class ClaudeCode implements Callable<Integer> {
        @Mixin
        ClientOptions options = new ClientOptions();

        @Override
        public Integer call() throws Exception {
            return run(System.in, System.err);
        }

        /** The hook on the given streams; the exit code. */
        public int run(InputStream in, PrintStream err) throws InterruptedException {
            Gate gate;
            ObjectNode record;
            try {
                gate = options.gate(err);
                record = record(ClientOptions.JSON.readTree(in.readNBytes(4 << 20)));
            } catch (IOException | IllegalArgumentException e) {
                // A hook that cannot judge must not let the call through unjudged.
                err.println("firebreak hook: " + e.getMessage() + "; blocking the tool call");
                return BLOCK;
            }
            Gate.Result result = gate.check(record);
            if (!result.message().isEmpty()) {
                err.println(result.message());
            }
            return result.allowed() ? 0 : BLOCK;
        }

        ObjectNode record(JsonNode hook) {
            if (hook == null || !hook.isObject() || !hook.path("tool_name").isTextual()) {
                throw new IllegalArgumentException("stdin is not a PreToolUse hook input (no tool_name)");
            }
            String toolName = hook.get("tool_name").asText();
            JsonNode input = hook.path("tool_input");
            String runId = hook.path("session_id").asText(null);
            if (toolName.equals("Bash")) {
                return options.record("bash", cut(input.path("command").asText("")), runId);
            }
            if (toolName.startsWith("mcp__")) {
                String sql = sqlOf(input);
                if (sql != null) {
                    return options.record("sql", cut(sql), runId);
                }
            }
            return options.record(toolName.toLowerCase(Locale.ROOT), cut(input.toString()), runId);
        }

        private static String sqlOf(JsonNode input) {
            for (Iterator<String> names = input.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if ((name.equalsIgnoreCase("sql") || name.equalsIgnoreCase("query")) && input.get(name).isTextual()) {
                    return input.get(name).asText();
                }
            }
            return null;
        }

        private static String cut(String text) {
            String t = text.isEmpty() ? "(empty)" : text;
            return t.length() > MAX_INPUT_CHARS ? t.substring(0, MAX_INPUT_CHARS) : t;
        }
    }
}
