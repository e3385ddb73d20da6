package dev.firebreak.launcher.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.launcher.FirebreakDevCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code firebreak rules validate} and {@code firebreak rules test}, run as an operator runs them. */
class RulesCommandTest {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    @Test
    void bundledRulesPassTheirOwnUnitTests() {
        Run run = run("rules", "test", repoFile("rules/tests/firebreak.test.yaml").toString());
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("PASS").doesNotContain("FAIL").contains(" 0 failed");
    }

    @Test
    void aWrongExpectationFailsTheCaseAndTheExitCode() throws Exception {
        Path rules = Files.writeString(dir.resolve("rules.yaml"), """
                version: 1
                rules:
                  - id: drops
                    description: drops
                    match: {action_regex: "DROP .*", object_type: [table]}
                    measure: objects
                    threshold: 3
                    window: 1s
                    severity: critical
                    response: revoke
                """);
        Path tests = Files.writeString(dir.resolve("drops.test.yaml"), """
                rule_files: [%s]
                tests:
                  - name: burst revokes
                    events:
                      - {at: 0, principal: pg:prod/a, action: DROP TABLE, objects: ["table public.t{n}"], repeat: 3, every: 400ms}
                    expect:
                      - {rule: drops, principal: pg:prod/a, alerts: 1, revokes: 1}
                  - name: paced drops do not (the file claims they do)
                    events:
                      - {at: 0, principal: pg:prod/b, action: DROP TABLE, objects: ["table public.t{n}"], repeat: 3, every: 600ms}
                    expect:
                      - {rule: drops, principal: pg:prod/b, alerts: 1, revokes: 1}
                  - name: an unexpected revocation fails an empty expectation
                    events:
                      - {at: 0, principal: pg:prod/c, action: DROP TABLE, objects: ["table public.t{n}"], repeat: 4, every: 100ms}
                    expect: []
                """.formatted(rules.getFileName()));

        Run run = run("rules", "test", tests.toString());

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.out()).contains("PASS " + tests + ": burst revokes")
                .contains("FAIL " + tests + ": paced drops do not (the file claims they do)")
                .contains("rule drops for pg:prod/b: expected 1 alert(s), 1 revoke(s); got 0 alert(s), 0 revoke(s)")
                .contains("FAIL " + tests + ": an unexpected revocation fails an empty expectation")
                .contains("rule drops for pg:prod/c: not expected, got 1 alert(s), 1 revoke(s)")
                .contains("1 passed, 2 failed");
    }

    @Test
    void aMalformedTestFileNamesFileAndLine() throws Exception {
        Path tests = Files.writeString(dir.resolve("bad.test.yaml"), """
                rule_files: [rules.yaml]
                tests:
                  - name: typo
                    events: []
                    expcet: []
                    expect: []
                """);
        Run run = run("rules", "test", tests.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains(tests + ":5:").contains("expcet");
    }

    @Test
    void validateAcceptsTheBundledRulesAndPrintsFileLineErrorsOtherwise() throws Exception {
        Run ok = run("rules", "validate", repoFile("rules").toString());
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("ok: ").contains("rules").contains("guards");

        Path bad = Files.writeString(dir.resolve("bad.yaml"), """
                version: 1
                rules:
                  - id: drops
                    description: drops
                    match: {action: [DROP TABLE]}
                    measure: objects
                    threshold: 0
                    window: 1s
                    severity: critical
                    response: revoke
                """);
        Run failed = run("rules", "validate", bad.toString());
        assertThat(failed.exit()).isEqualTo(1);
        assertThat(failed.err()).contains(bad + ":7:").contains("threshold");
    }

    /**
     * Each language with its own loader: the classifier's file is no detection rule set, and a broken
     * pre-flight decision in the detection folder (which detection's loader skips) fails the check.
     */
    @Test
    void validateReadsClassifierAndDecisionFilesWithTheirOwnLoaders() throws Exception {
        Run bundled = run("rules", "validate", repoFile("rules").toString(), repoFile("rules/classifier").toString());
        assertThat(bundled.exit()).as(bundled.err()).isZero();
        assertThat(bundled.out()).contains("ok: action classifier rules in " + repoFile("rules/classifier/actions.yaml"))
                .containsPattern("ok: \\d+ pre-flight decision rules in " + Pattern.quote(repoFile("rules/decisions.yaml").toString()))
                .contains("guards from 2 files");

        Path decisions = Files.writeString(dir.resolve("decisions.yaml"), """
                version: 1
                decisions:
                  - id: deny-everything
                    description: no reason given
                    priority: 10
                    when:
                      no_such_condition: true
                """);
        Run broken = run("rules", "validate", decisions.toString());
        assertThat(broken.exit()).as(broken.out()).isEqualTo(1);
        assertThat(broken.err()).contains(decisions + ": decisions[0] (deny-everything): when: unknown key 'no_such_condition'")
                .as("a file of decisions alone is not read as detection rules").doesNotContain("no rules defined");

        Path classifier = Files.writeString(dir.resolve("actions.yaml"), """
                version: 1
                tools: {}
                rules:
                  - id: rm-broken
                    kind: shell
                    match: {words: '(unclosed'}
                """);
        Run badClassifier = run("rules", "validate", classifier.toString());
        assertThat(badClassifier.exit()).isEqualTo(1);
        assertThat(badClassifier.err()).contains("rm-broken").doesNotContain("window is required");
    }

    @Test
    void validateReadsSeveralPathsAsOneRuleSet() throws Exception {
        Path lists = Files.writeString(dir.resolve("lists.yaml"), """
                version: 1
                lists:
                  kinds: [table]
                """);
        Path rules = Files.writeString(dir.resolve("rules.yaml"), """
                version: 1
                rules:
                  - id: drops
                    description: drops
                    match: {action_regex: "DROP .*", object_type: [$kinds]}
                    measure: objects
                    threshold: 3
                    window: 1s
                    severity: critical
                    response: revoke
                """);
        assertThat(run("rules", "validate", rules.toString()).exit()).isEqualTo(1);
        Run both = run("rules", "validate", lists.toString(), rules.toString());
        assertThat(both.exit()).as(both.err()).isZero();
        assertThat(both.out()).contains("ok: 1 rules, 0 guards from 2 files");
    }

    @Test
    void corpusListsItsCasesAndRefusesBadRulesBeforeStartingAnything() throws Exception {
        Run list = run("rules", "corpus", "--list", "--case", "attack/drop-*");
        assertThat(list.exit()).isZero();
        assertThat(list.out()).contains("attack/drop-slow-25x1.5s").contains("attack/drop-database")
                .doesNotContain("benign/").doesNotContain("attack/set-role");

        Path bad = Files.writeString(dir.resolve("bad.yaml"), "version: 1\nrules:\n  - id: x\n    descripton: typo\n");
        Run refused = run("rules", "corpus", "--rules", bad.toString());
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains(bad + ":4:");
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exit = FirebreakDevCli.commandLine().execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    static Path repoFile(String relative) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.exists(dir.resolve(relative)) && Files.isDirectory(dir.resolve("rules"))) {
                return dir.resolve(relative);
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException(relative + " not found above " + Path.of("").toAbsolutePath());
    }
}
