package dev.firebreak.oncall;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The example Alertmanager configuration at the repository root is valid and routes by severity. */
class AlertmanagerConfigTest {
    static final String AMTOOL = System.getenv().getOrDefault("FIREBREAK_AMTOOL_BIN", "/usr/bin/amtool");

    @Test
    void exampleConfigurationPassesAmtoolCheckConfig() throws Exception {
        Result result = amtool("check-config", config().toString());
        assertThat(result.output()).contains("SUCCESS");
        assertThat(result.exitCode()).isZero();
    }

    @Test
    void severitiesReachTheirReceivers() throws Exception {
        assertThat(route("severity=critical", "alertname=FirebreakRevocationFailed")).isEqualTo("pager");
        assertThat(route("severity=high", "alertname=FirebreakRuleTriggered")).isEqualTo("oncall-chat");
        assertThat(route("severity=warning", "alertname=FirebreakRuleTriggered")).isEqualTo("ticket");
        assertThat(route("severity=info", "alertname=FirebreakRuleTriggered")).isEqualTo("ticket");
    }

    private static String route(String... labels) throws Exception {
        List<String> args = new ArrayList<>(List.of("config", "routes", "test", "--config.file=" + config()));
        args.addAll(List.of(labels));
        Result result = amtool(args.toArray(String[]::new));
        assertThat(result.exitCode()).as(result.output()).isZero();
        // stdout holds the receiver; warnings about flags go to stderr, merged here on their own lines
        return result.output().lines().filter(l -> !l.startsWith("Warning")).map(String::strip)
                .filter(l -> !l.isEmpty()).findFirst().orElse("");
    }

    /** alertmanager/alertmanager.yml, found by walking up from the module directory to the repository root. */
    static Path config() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("alertmanager").resolve("alertmanager.yml");
            if (Files.isRegularFile(candidate) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("alertmanager/alertmanager.yml not found above " + Path.of("").toAbsolutePath());
    }

    private record Result(int exitCode, String output) {
    }

    private static Result amtool(String... args) throws IOException, InterruptedException {
        assertThat(Path.of(AMTOOL)).as("amtool (Debian package prometheus-alertmanager)").isExecutable();
        List<String> command = new ArrayList<>(List.of(AMTOOL));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), output);
    }
}
