package dev.firebreak.launcher.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

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
 * own broker file) and every {@code properties} block in {@code docs/} must pass the check.
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
            }
        }
        assertThat(blocks).as("properties blocks found in docs/").isPositive();
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
