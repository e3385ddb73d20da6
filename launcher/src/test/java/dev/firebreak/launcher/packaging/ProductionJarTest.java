package dev.firebreak.launcher.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * The production jar ({@code cli/target/firebreak.jar}, what the image runs) carries the stages and
 * the operator commands and none of the embedded stack: no Kafka broker or test kit, no PostgreSQL
 * binaries, no demo or benchmarks. Reads the jar the reactor packaged before this module's tests.
 */
class ProductionJarTest {
    private static final Path PRODUCTION = Path.of("..", "cli", "target", "firebreak.jar");
    private static final Path DEV = Path.of("target", "firebreak-dev.jar");
    private static final List<String> FORBIDDEN = List.of(
            "org/apache/kafka/common/test/",      // KafkaClusterTestKit
            "kafka/server/",                       // the broker
            "org/apache/kafka/controller/",       // the KRaft controller
            "io/zonky/",                           // embedded PostgreSQL
            "dev/firebreak/stack/",                // the embedded stack
            "dev/firebreak/launcher/demo/",
            "dev/firebreak/launcher/bench/",
            "dev/firebreak/launcher/corpus/");

    @Test
    void carriesTheStagesAndOperatorCommandsWithoutTheEmbeddedStack() throws IOException {
        assertThat(PRODUCTION).as("run the reactor build: mvn -pl launcher -am verify packages cli first").exists();
        try (JarFile jar = new JarFile(PRODUCTION.toFile())) {
            List<String> names = jar.stream().map(ZipEntry::getName).toList();
            assertThat(names).contains("dev/firebreak/launcher/FirebreakCli.class",
                    "dev/firebreak/launcher/service/ServiceCommand.class", "dev/firebreak/ingest/IngestConfig.class",
                    "dev/firebreak/detect/DetectionTopology.class", "dev/firebreak/killswitch/KillSwitch.class");
            for (String prefix : FORBIDDEN) {
                assertThat(names).as("entries under %s", prefix).noneMatch(n -> n.startsWith(prefix));
            }
            assertThat(names).as("PostgreSQL binary archives").noneMatch(n -> n.endsWith(".txz"));
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
                    .isEqualTo("dev.firebreak.launcher.FirebreakCli");
        }
        System.out.printf("production jar %s: %.1f MB%n", PRODUCTION, Files.size(PRODUCTION) / 1e6);
    }

    @Test
    void runsItsHelpListingTheStagesButNotTheDemo() throws Exception {
        assertThat(PRODUCTION).exists();
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", PRODUCTION.toString(), "--help").redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        assertThat(out).contains("service", "topics", "revoke", "rules").doesNotContain("demo", "bench");
    }
}
