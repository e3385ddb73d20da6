package dev.firebreak.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rules reload while running: a valid edit hands over the new set, an invalid one changes nothing. */
class RulesWatcherTest {
    @TempDir
    Path dir;

    @Test
    void validEditsArriveAndInvalidOnesAreReportedWithFileAndLine() throws Exception {
        String bundled = bundled();
        Path file = dir.resolve("firebreak.yaml");
        Files.writeString(file, bundled, StandardCharsets.UTF_8);
        BlockingQueue<Object> seen = new LinkedBlockingQueue<>();
        try (RulesWatcher watcher = new RulesWatcher(dir, Duration.ofMillis(50), new RulesWatcher.Listener() {
            @Override
            public void onRules(List<DetectionRule> rules) {
                seen.add(rules);
            }

            @Override
            public void onInvalid(RulesFileException problem) {
                seen.add(problem);
            }
        }).start()) {
            Thread.sleep(150);
            Files.writeString(file, bundled.replaceFirst("threshold: 3", "threshold: 4"), StandardCharsets.UTF_8);
            Object first = seen.poll(5, TimeUnit.SECONDS);
            assertThat(first).isInstanceOf(List.class);
            @SuppressWarnings("unchecked")
            List<DetectionRule> rules = (List<DetectionRule>) first;
            assertThat(rules.stream().filter(r -> r.id().equals(DetectionRule.DEFAULT_ID)).findFirst().orElseThrow()
                    .threshold()).isEqualTo(4);

            Files.writeString(file, bundled.replaceFirst("threshold: 4", "threshold: lots"), StandardCharsets.UTF_8);
            Thread.sleep(20);
            Files.writeString(file, bundled.replaceFirst("threshold: 3", "threshold: lots") + "\n", StandardCharsets.UTF_8);
            Object second = seen.poll(5, TimeUnit.SECONDS);
            assertThat(second).isInstanceOf(RulesFileException.class);
            assertThat(((RulesFileException) second).getMessage()).contains("firebreak.yaml:").contains("threshold");
        }
    }

    @Test
    void theDiffNamesAddedChangedAndRemovedIds() {
        DetectionRule drop = DetectionRule.defaults();
        DetectionRule stricter = TestRules.drops(DetectionRule.DEFAULT_ID, java.util.Set.of("table"), 2,
                Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(2),
                dev.firebreak.schema.Severity.CRITICAL, dev.firebreak.schema.Response.REVOKE, 10_000);
        DetectionRule other = TestRules.drops("pg-drop-index-burst", java.util.Set.of("index"), 10,
                Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(2),
                dev.firebreak.schema.Severity.HIGH, dev.firebreak.schema.Response.ALERT_ONLY, 10_000);
        RulesWatcher.Diff diff = RulesWatcher.Diff.between(List.of(drop, other), List.of(stricter));
        assertThat(diff.changed()).containsExactly(DetectionRule.DEFAULT_ID);
        assertThat(diff.removed()).containsExactly("pg-drop-index-burst");
        assertThat(diff.added()).isEmpty();
        assertThat(RulesWatcher.Diff.between(List.of(drop), List.of(drop)).isEmpty()).isTrue();
    }

    private static String bundled() throws Exception {
        try (InputStream in = RulesWatcherTest.class.getResourceAsStream(RulesLoader.BUNDLED_FOLDER + "firebreak.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
