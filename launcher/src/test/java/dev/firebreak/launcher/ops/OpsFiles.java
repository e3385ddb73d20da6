package dev.firebreak.launcher.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The operator-facing files at the repository root (prometheus/, grafana/, docker-compose.yml,
 * deploy/) and the command-line tools that validate them, for the tests of this package.
 */
final class OpsFiles {
    private OpsFiles() {
    }

    /** The repository root: the first ancestor of the working directory (the module) holding the parent pom. */
    static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isRegularFile(dir.resolve("launcher/pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no Firebreak repository root above " + Path.of("").toAbsolutePath());
    }

    /** A YAML file as maps and lists (anchors and merge keys resolved, as compose resolves them). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node) {
        return node == null ? Map.of() : (Map<String, Object>) node;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object node) {
        return node == null ? List.of() : (List<Object>) node;
    }

    /**
     * Runs {@code command} in the repository root and asserts it exits 0; a missing tool fails
     * with the Debian package that provides it, since CI images install tools that way.
     */
    static String run(String debianPackage, String... command) throws IOException, InterruptedException {
        requireTool(command[0], debianPackage);
        Path output = Files.createTempFile("firebreak-ops", ".out");
        try {
            Process process = new ProcessBuilder(command).directory(root().toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(String.join(" ", command) + " did not finish within 120 s");
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            assertThat(process.exitValue()).as("%s exit code; output:%n%s", String.join(" ", command), text).isZero();
            return text;
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static void requireTool(String tool, String debianPackage) {
        List<Path> candidates = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            candidates.add(Path.of(dir, tool));
        }
        if (candidates.stream().noneMatch(Files::isExecutable)) {
            fail(tool + " is not on the PATH; install the Debian package '" + debianPackage
                    + "' (apt-get install " + debianPackage + ")");
        }
    }
}
