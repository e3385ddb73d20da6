package dev.firebreak.stack;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a script of {@code testing/node} with node, feeding it JSON on stdin: how tests reach the
 * reference verifiers published on npm (pinned in {@code testing/node/package-lock.json}). Fails
 * loudly, never skips, when node or the packages are missing: {@code .ci/install-tools} installs both.
 */
public final class ReferenceNode {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Exit code and output (stdout and stderr) of one run. */
    public record Run(int exitCode, String out) {
    }

    private ReferenceNode() {
    }

    /** {@code testing/node} of the checkout, found from the working directory (a module or the root). */
    public static Path dir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("testing/node");
            if (Files.isRegularFile(candidate.resolve("package.json"))) {
                if (!Files.isDirectory(candidate.resolve("node_modules"))) {
                    throw new IllegalStateException(candidate + "/node_modules is missing: run .ci/install-tools "
                            + "(it runs npm ci there)");
                }
                return candidate;
            }
        }
        throw new IllegalStateException("no testing/node/package.json above " + Path.of("").toAbsolutePath());
    }

    /** Runs {@code node <script> <args...>} in {@link #dir()} with {@code input} as JSON on stdin. */
    public static Run run(String script, Object input, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("node", script));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir().toFile()).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(JSON.writeValueAsBytes(input));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("node " + script + " did not finish within 60 s");
        }
        return new Run(p.exitValue(), out.strip());
    }
}
