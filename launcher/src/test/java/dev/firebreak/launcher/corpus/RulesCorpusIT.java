package dev.firebreak.launcher.corpus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.launcher.corpus.ConfusionTable.Verdict;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code firebreak rules corpus} with the repository's rules ({@code rules/}) on the real in-JVM
 * stack: every benign and attack case, CI-sized. The report goes to the surefire output and to
 * {@code target/rules-corpus.txt}.
 *
 * <p>Strict by default: the run must work (every case ran, pgbench included, and the pipeline's
 * decisions were read back), the exit code must agree with the table, and the verdicts themselves
 * are asserted: no false revocation or block, no missed attack. The bundled rules pass it since
 * they judge by what is destroyed. {@code -Dfirebreak.corpus.strict=false} only reports the
 * verdicts, for trying rules that do not pass yet.
 */
class RulesCorpusIT {
    private static final boolean STRICT = Boolean.parseBoolean(System.getProperty("firebreak.corpus.strict", "true"));
    /** Comma-separated case globs, e.g. {@code -Dfirebreak.corpus.cases='benign/*'}; default every case. */
    private static final List<String> CASES = System.getProperty("firebreak.corpus.cases", "").isBlank() ? List.of()
            : List.of(System.getProperty("firebreak.corpus.cases").split(","));

    @Test
    void repositoryRulesAgainstTheWholeCorpus() throws Exception {
        Path rules = repoRules();
        ConfusionTable table = CorpusRunner.run(new CorpusRunner.Settings(List.of(rules), CASES, Duration.ofSeconds(5)),
                line -> { });
        String report = table.render("rules corpus (" + rules + ")" + (STRICT ? "" : ", reporting mode"));
        System.out.print(report);
        if (Files.isDirectory(Path.of("target"))) {
            Files.writeString(Path.of("target", "rules-corpus.txt"), report, StandardCharsets.UTF_8);
        }

        assertThat(table.rows()).hasSameSizeAs(CorpusRunner.select(CorpusRunner.corpus(), CASES)).isNotEmpty();
        assertThat(table.errors()).as("cases that failed to run\n" + report).isEmpty();
        assertThat(table.rows()).as("skipped cases (pgbench must be installed)\n" + report)
                .noneMatch(r -> r.verdict() == Verdict.SKIPPED);
        assertThat(table.rows()).as("every case acted as at least one principal")
                .allMatch(r -> !r.run().principals().isEmpty());
        assertThat(table.exitCode()).isEqualTo(table.missedAttacks().isEmpty() && table.falseStops().isEmpty() ? 0 : 1);
        if (STRICT) {
            assertThat(table.falseStops()).as("false revocations/blocks\n" + report).isEmpty();
            assertThat(table.missedAttacks()).as("missed attacks\n" + report).isEmpty();
        }
    }

    private static Path repoRules() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isRegularFile(dir.resolve("rules").resolve("firebreak.yaml"))) {
                return dir.resolve("rules");
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("rules/ not found above " + Path.of("").toAbsolutePath());
    }
}
