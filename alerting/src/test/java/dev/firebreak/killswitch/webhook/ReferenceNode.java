package dev.firebreak.killswitch.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a script of {@code src/test/node} with node, feeding it JSON on stdin: how tests reach the
 * reference libraries published on npm. Fails loudly (never skips) when node or the packages are
 * missing: {@code .ci/install-tools} installs both.
 */
final class ReferenceNode {
    static final Path DIR = Path.of("src/test/node");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Exit code and stdout of one run. */
    record Run(int exitCode, String out) {
    }

    private ReferenceNode() {
    }

    static Run run(String script, Map<String, ?> input) throws IOException, InterruptedException {
        if (!Files.isDirectory(DIR.resolve("node_modules"))) {
            throw new IllegalStateException(DIR.toAbsolutePath() + "/node_modules is missing: run .ci/install-tools "
                    + "(it runs npm ci there)");
        }
        Process p = new ProcessBuilder("node", script).directory(DIR.toFile()).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(JSON.writeValueAsBytes(input));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("node " + script + " did not finish within 30 s");
        }
        return new Run(p.exitValue(), out.strip());
    }
}
