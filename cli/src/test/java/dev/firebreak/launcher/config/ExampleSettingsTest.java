package dev.firebreak.launcher.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.firebreak.config.DeprecatedKeys;
import dev.firebreak.config.Settings;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Once every stage refuses unknown keys, a key the repository itself writes but no definition
 * declares would stop a real deployment: every properties file under {@code deploy/} (but Kafka's
 * own broker file) and every {@code properties} block in {@code docs/} must pass the check. Nor may
 * they write a deprecated spelling: it still works, but logs a warning, and readers copy it.
 */
class ExampleSettingsTest {
    private static final Pattern BLOCK = Pattern.compile("```properties\\n(.*?)```", Pattern.DOTALL);

    @Test
    void everyDeployFilePassesTheCheck() throws Exception {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(RepoFiles.root().resolve("deploy"))) {
            files = walk.filter(p -> p.toString().endsWith(".properties") && !p.startsWith(RepoFiles.root().resolve("deploy/kafka")))
                    .sorted().toList();
        }
        assertThat(files).extracting(p -> p.getFileName().toString()).contains("ingest.properties", "detection.properties");
        for (Path file : files) {
            assertThatCode(() -> Settings.check(Settings.load(file))).as(file.toString()).doesNotThrowAnyException();
            assertThat(deprecated(Settings.load(file).keySet())).as(file + ": deprecated spellings").isEmpty();
        }
    }

    @Test
    void everyPropertiesBlockOfTheDocsNamesKnownKeys() throws Exception {
        List<Path> pages;
        try (Stream<Path> walk = Files.list(RepoFiles.root().resolve("docs"))) {
            pages = walk.filter(p -> p.toString().endsWith(".md")).sorted().toList();
        }
        int blocks = 0;
        for (Path page : pages) {
            Matcher m = BLOCK.matcher(Files.readString(page));
            while (m.find()) {
                blocks++;
                Map<String, String> keys = keysOf(m.group(1));
                assertThatCode(() -> Settings.check(keys)).as(page + ": " + keys.keySet()).doesNotThrowAnyException();
                assertThat(deprecated(keys.keySet())).as(page + ": deprecated spellings").isEmpty();
            }
        }
        assertThat(blocks).as("properties blocks found in docs/").isPositive();
    }

    @Test
    void theDeprecatedSpellingsOfEveryStageAreRecognised() {
        assertThat(deprecated(List.of("kafka.consumer.session.timeout.ms", "kafka.producer.linger.ms", "kafka.poll.ms",
                "firebreak.ingest.kafka.bootstrap.servers", "firebreak.ingest.kafka.producer.acks",
                "firebreak.killswitch.consumer.session.timeout.ms", "firebreak.detection.streams.poll.ms")))
                .containsExactly("kafka.consumer.session.timeout.ms", "kafka.producer.linger.ms", "kafka.poll.ms",
                        "firebreak.ingest.kafka.bootstrap.servers", "firebreak.ingest.kafka.producer.acks");
    }

    /** The keys, in their order, that some stage reads as an old spelling of another key. */
    private static List<String> deprecated(java.util.Collection<String> keys) {
        return keys.stream().filter(k -> Settings.definitions().stream()
                .anyMatch(d -> DeprecatedKeys.rename(k, d.deprecatedAliases()) != null)).toList();
    }

    /** The keys of a block; values are examples ("...", trailing comments), so only the keys are checked. */
    private static Map<String, String> keysOf(String block) throws Exception {
        Properties props = new Properties();
        props.load(new StringReader(block));
        Map<String, String> keys = new HashMap<>();
        props.stringPropertyNames().forEach(k -> keys.put(k, "example"));
        return keys;
    }
}
