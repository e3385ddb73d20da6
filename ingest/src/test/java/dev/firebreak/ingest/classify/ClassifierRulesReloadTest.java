package dev.firebreak.ingest.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.firebreak.rules.RulesFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The classifier's rules as operator data: the path key, reload on a valid edit, the old rules kept on a bad one. */
class ClassifierRulesReloadTest {

    private static final String HEADER = """
            version: 1
            tools: {sql: [sql], shell: [bash], http: [http]}
            rules:
            """;

    @TempDir
    Path dir;

    private static String rules(String category) {
        return HEADER + "  - {id: drops, description: d, kind: sql, match: {statement: [drop]}, category: " + category
                + ", destructive: true}\n";
    }

    @Test
    void unsetOrBlankMeansTheBundledRules() {
        assertThat(RulesActionClassifier.fromSettings(Map.of()).source())
                .isEqualTo("classpath:" + RulesActionClassifier.BUNDLED_RULES);
        RulesActionClassifier blank = RulesActionClassifier.fromSettings(Map.of(RulesActionClassifier.RULES_PATH, "  "));
        assertThat(blank.source()).isEqualTo("classpath:" + RulesActionClassifier.BUNDLED_RULES);
        assertThat(blank.watch()).isEmpty();
        assertThat(blank.reload()).isFalse();
    }

    @Test
    void theKeyNamesAFileOrAFolderHoldingOne() throws Exception {
        Path file = Files.writeString(dir.resolve("mine.yaml"), rules("sql.mine"));
        RulesActionClassifier fromFile = RulesActionClassifier.fromSettings(
                Map.of(RulesActionClassifier.RULES_PATH, file.toString()));
        assertThat(fromFile.source()).isEqualTo(file.toString());
        assertThat(fromFile.classifySql("DROP TABLE t").category()).isEqualTo("sql.mine");

        Files.writeString(dir.resolve("README.txt"), "not read");
        RulesActionClassifier fromFolder = RulesActionClassifier.fromSettings(
                Map.of(RulesActionClassifier.RULES_PATH, dir.toString()));
        assertThat(fromFolder.classifySql("DROP TABLE t").category()).isEqualTo("sql.mine");
    }

    @Test
    void aBadPathFailsAtStartUpNamingTheKey() throws Exception {
        assertThatThrownBy(() -> RulesActionClassifier.fromSettings(
                Map.of(RulesActionClassifier.RULES_PATH, dir.resolve("nope.yaml").toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(RulesActionClassifier.RULES_PATH).hasMessageContaining("nope.yaml");
        Files.writeString(dir.resolve("a.yaml"), rules("sql.a"));
        Files.writeString(dir.resolve("b.yml"), rules("sql.b"));
        assertThatThrownBy(() -> RulesActionClassifier.fromSettings(Map.of(RulesActionClassifier.RULES_PATH, dir.toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(RulesActionClassifier.RULES_PATH).hasMessageContaining("holds 2");
    }

    @Test
    void invalidRulesFailAtStartUpWithFileRuleAndLine() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.yaml"), HEADER
                + "  - {id: ok, description: d, kind: sql, match: {statement: [drop]}, category: sql.x, destructive: true}\n"
                + "  - {id: bad, description: d, kind: sql, match: {statement: [drpo]}, category: sql.x, destructive: true}\n");
        assertThatThrownBy(() -> RulesActionClassifier.fromSettings(Map.of(RulesActionClassifier.RULES_PATH, file.toString())))
                .isInstanceOf(RulesFileException.class)
                .satisfies(e -> assertThat(((RulesFileException) e).located()).singleElement().satisfies(p -> {
                    assertThat(p.file()).isEqualTo(file.toString());
                    assertThat(p.line()).isEqualTo(5);
                    assertThat(p.text()).startsWith(file + ": rule 'bad': unknown statement type 'drpo'")
                            .endsWith("(line 5)");
                }));
    }

    @Test
    void reloadSwapsValidRulesAndKeepsTheOldOnesOnAnInvalidEdit() throws Exception {
        Path file = Files.writeString(dir.resolve("mine.yaml"), rules("sql.first"));
        RulesActionClassifier classifier = RulesActionClassifier.fromSettings(
                Map.of(RulesActionClassifier.RULES_PATH, file.toString()));

        Files.writeString(file, rules("sql.second"));
        assertThat(classifier.reload()).isTrue();
        assertThat(classifier.classifySql("DROP TABLE t").category()).isEqualTo("sql.second");

        Files.writeString(file, rules("Not A Category"));
        assertThat(classifier.reload()).isFalse();
        assertThat(classifier.classifySql("DROP TABLE t").category()).isEqualTo("sql.second");

        Files.delete(file);
        assertThat(classifier.reload()).isFalse();
        assertThat(classifier.classifySql("DROP TABLE t").category()).isEqualTo("sql.second");
    }

    @Test
    void theWatcherPicksUpEditsWhileRunning() throws Exception {
        Path file = Files.writeString(dir.resolve("mine.yaml"), rules("sql.first"));
        RulesActionClassifier classifier = RulesActionClassifier.fromSettings(
                Map.of(RulesActionClassifier.RULES_PATH, file.toString()));
        try (AutoCloseable watcher = classifier.watch(Duration.ofMillis(20)).orElseThrow()) {
            Files.writeString(file, rules("sql.second") + "# longer, so the edit shows even within one mtime tick\n");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> classifier.classifySql("DROP TABLE t").category().equals("sql.second"));
            Files.writeString(file, "rules: [ {id: x\n");
            Thread.sleep(200);
            assertThat(classifier.classifySql("DROP TABLE t").category()).isEqualTo("sql.second");
        }
    }

    @Test
    void aClassificationInFlightSeesOneRuleSetOrTheOther() throws Exception {
        Path file = Files.writeString(dir.resolve("mine.yaml"), rules("sql.first"));
        RulesActionClassifier classifier = RulesActionClassifier.load(file);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicBoolean done = new AtomicBoolean();
        Thread reader = new Thread(() -> {
            while (!done.get()) {
                seen.add(classifier.classify("sql", "DROP TABLE t").category());
            }
        });
        reader.start();
        for (int i = 0; i < 20; i++) {
            Files.writeString(file, rules(i % 2 == 0 ? "sql.second" : "sql.first"));
            assertThat(classifier.reload()).isTrue();
        }
        done.set(true);
        reader.join();
        assertThat(seen).isNotEmpty().isSubsetOf("sql.first", "sql.second");
    }
}
