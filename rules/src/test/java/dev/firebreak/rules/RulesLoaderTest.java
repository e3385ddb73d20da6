package dev.firebreak.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.rules.DetectionRule.Maturity;
import dev.firebreak.rules.DetectionRule.Measure;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class RulesLoaderTest {
    private static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
    private static final String GOOD = """
            rules:
              - id: truncates
                description: truncate burst
                match: {action: [TRUNCATE]}
                threshold: 2
                window: 5s
                severity: high
                response: revoke
            """;

    @Test
    void readsEveryField() {
        DetectionRule rule = only("""
                lists:
                  envs: [production]
                macros:
                  prod: {target_environment: [$envs]}
                rules:
                  - id: full
                    description: every field
                    triage: look first here
                    match:
                      source: [agent_action_http]
                      action: [volumeDelete]
                      action_regex: "volume.*"
                      object_type: [volume]
                      destructive: true
                      classification: [http.graphql_delete]
                      statement_regex: mutation
                      attributes: {tool: [bash, curl]}
                      macros: [prod]
                    measure: distinct_objects
                    threshold: 4
                    window: 2m
                    episode_quiet: 1h
                    grace: 500ms
                    severity: critical
                    response: alert
                    shadow: true
                    tags: [agent, api]
                    maturity: sandbox
                    max_tracked_events: 1_000
                """);
        assertThat(rule.id()).isEqualTo("full");
        assertThat(rule.description()).isEqualTo("every field");
        assertThat(rule.triage()).isEqualTo("look first here");
        assertThat(rule.match().toString()).isEqualTo("{source=[AGENT_ACTION_HTTP], action=[VOLUMEDELETE], "
                + "action_regex=volume.*, object_type=[volume], destructive=true, classification=[http.graphql_delete], "
                + "statement_regex=mutation, attributes.tool=[bash, curl], macros=[{attributes.target_environment=[production]}]}");
        assertThat(rule.measure()).isEqualTo(Measure.DISTINCT_OBJECTS);
        assertThat(rule.threshold()).isEqualTo(4);
        assertThat(rule.window()).isEqualTo(Duration.ofMinutes(2));
        assertThat(rule.episodeQuiet()).isEqualTo(Duration.ofHours(1));
        assertThat(rule.grace()).isEqualTo(Duration.ofMillis(500));
        assertThat(rule.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(rule.response()).isEqualTo(Response.ALERT_ONLY);
        assertThat(rule.shadow()).isTrue();
        assertThat(rule.tags()).containsExactly("agent", "api");
        assertThat(rule.maturity()).isEqualTo(Maturity.SANDBOX);
        assertThat(rule.maxTrackedEvents()).isEqualTo(1000);
    }

    @Test
    void defaultsForOptionalFields() {
        DetectionRule rule = only(GOOD);
        assertThat(rule.measure()).isEqualTo(Measure.EVENTS);
        assertThat(rule.episodeQuiet()).isEqualTo(Duration.ofSeconds(30));
        assertThat(rule.grace()).isEqualTo(Duration.ofSeconds(2));
        assertThat(rule.shadow()).isFalse();
        assertThat(rule.maturity()).isEqualTo(Maturity.STABLE);
        assertThat(rule.maxTrackedEvents()).isEqualTo(10_000);
        assertThat(only(GOOD.replace("window: 5s", "window: 10m")).episodeQuiet()).as("at least the window")
                .isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void readsBlastConditionsAndTheDestroyedMeasures() {
        DetectionRule rule = only(GOOD.replace("{action: [TRUNCATE]}", "{action: [TRUNCATE], blast: {min_rows: 1_000, "
                + "min_bytes: 10MB, min_fraction: 0.5, min_age: 1h, created_by_same_principal: false, replaced: false, "
                + "partition: false, shape: [tautology, no_where]}}").replace("threshold: 2", "threshold: 2\n    measure: rows_destroyed"));
        assertThat(rule.measure()).isEqualTo(DetectionRule.Measure.ROWS_DESTROYED);
        assertThat(rule.match().toString()).contains("blast={min_rows=1000, min_bytes=10485760, min_fraction=0.5, "
                + "min_age=PT1H, created_by_same_principal=false, replaced=false, partition=false, shape=[no_where, tautology]}");
        assertThat(only(GOOD.replace("threshold: 2", "threshold: 2\n    measure: bytes_destroyed")).measure())
                .isEqualTo(DetectionRule.Measure.BYTES_DESTROYED);
        assertProblems(GOOD.replace("{action: [TRUNCATE]}", "{blast: {min_bytes: 10 parsecs}}"),
                "rules.yaml:4: rule 'truncates': match.blast.min_bytes=10 parsecs is invalid; allowed: a byte count such as "
                        + "1000000, 64kB, 10MB or 1GB");
        assertProblems(GOOD.replace("{action: [TRUNCATE]}", "{blast: {shape: [everything]}}"),
                "rules.yaml:4: rule 'truncates': match.blast.shape 'everything' is invalid; allowed: no_where, tautology, filtered");
        assertProblems(GOOD.replace("{action: [TRUNCATE]}", "{blast: {min_fraction: 2}}"),
                "rules.yaml:4: rule 'truncates': match.blast.min_fraction=2.0 is invalid; allowed: 0 to 1");
        assertProblems(GOOD.replace("{action: [TRUNCATE]}", "{blast: {rows: 1}}"),
                "rules.yaml:4: rule 'truncates': match.blast.unknown key 'rows'; allowed: created_by_same_principal, min_age, "
                        + "min_bytes, min_fraction, min_rows, partition, replaced, shape");
    }

    @Test
    void badValuesFailWithFileLineAndReason() {
        assertProblems(GOOD.replace("threshold: 2", "threshold: 0"),
                "rules.yaml:5: rule 'truncates': threshold=0 is invalid; allowed: an integer >= 1");
        assertProblems(GOOD.replace("threshold: 2", "threshold: two"),
                "rules.yaml:5: rule 'truncates': threshold=two is invalid; allowed: an integer");
        assertProblems(GOOD.replace("window: 5s", "window: 5 fortnights"),
                "rules.yaml:6: rule 'truncates': window=5 fortnights is invalid; allowed: a duration such as 500ms, 1s, 2m, 1h or PT1S");
        assertProblems(GOOD.replace("window: 5s", "window: 5s\n    episode_quiet: 1s"),
                "rules.yaml:7: rule 'truncates': episode_quiet=PT1S is invalid; allowed: a duration from PT5S to PT24H");
        assertProblems(GOOD.replace("severity: high", "severity: loud"),
                "rules.yaml:7: rule 'truncates': severity=loud is invalid; allowed: info, warning, high, critical");
        assertProblems(GOOD.replace("response: revoke", "response: kill"),
                "rules.yaml:8: rule 'truncates': response=kill is invalid; allowed: alert, revoke");
        assertProblems(GOOD.replace("threshold: 2", "threshold: 2\n    measure: bytes"),
                "rules.yaml:6: rule 'truncates': measure=bytes is invalid; allowed: events, objects, rows, distinct_objects, rows_destroyed, bytes_destroyed");
        assertProblems(GOOD.replace("{action: [TRUNCATE]}", "{action_regex: \"TRUNC(\"}"),
                "rules.yaml:4: rule 'truncates': match.action_regex is not a valid regular expression: Unclosed group near index 6");
        assertProblems(GOOD.replace("{action: [TRUNCATE]}", "{source: [KAFKA]}"),
                "rules.yaml:4: rule 'truncates': match.source 'KAFKA' is unknown; allowed: POSTGRES_EVENT_TRIGGER, "
                        + "POSTGRES_SERVER_LOG, POSTGRES_ROW_CHANGE, AGENT_ACTION_TABLE, AGENT_ACTION_HTTP, AGENT_PREFLIGHT, UNKNOWN");
        assertProblems(GOOD.replace("{action: [TRUNCATE]}", "{destructive: maybe}"),
                "rules.yaml:4: rule 'truncates': match.destructive=maybe is invalid; allowed: true, false");
        assertProblems(GOOD.replace("{action: [TRUNCATE]}", "{object_type: [\"\"]}"),
                "rules.yaml:4: rule 'truncates': match.object_type: values must not be empty");
        assertProblems(GOOD.replace("    description: truncate burst\n", ""),
                "rules.yaml:2: description is required");
    }

    @Test
    void unknownKeysAreRejected() {
        assertProblems(GOOD.replace("threshold: 2", "treshold: 2"),
                "rules.yaml:5: unknown key 'treshold'; allowed: description, episode_quiet, grace, id, match, "
                        + "maturity, max_tracked_events, measure, response, severity, shadow, tags, threshold, triage, window",
                "rules.yaml:2: rule 'truncates': threshold is required");
        assertProblems(GOOD.replace("{action: [TRUNCATE]}", "{action: [TRUNCATE], principal: x}"),
                "rules.yaml:4: rule 'truncates': match.unknown key 'principal'; allowed: action, action_regex, "
                        + "attributes, blast, classification, destructive, macros, object_type, source, statement_regex, target_environment");
        assertProblems("rule:\n" + GOOD.substring("rules:\n".length()),
                "rules.yaml:1: unknown key 'rule'; allowed: decisions, exceptions, guards, lists, macros, rules, version");
        assertProblems(GOOD.replace("threshold: 2", "threshold: 2\n    threshold: 3"),
                "rules.yaml:6: key 'threshold' is repeated");
    }

    @Test
    void duplicateIdsAreRejectedAcrossFiles() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("a.yaml", GOOD);
        files.put("b.yaml", "version: 1\n" + GOOD);
        assertThatThrownBy(() -> RulesLoader.load(files, NOW)).isInstanceOf(RulesFileException.class)
                .satisfies(e -> assertThat(((RulesFileException) e).problems()).containsExactly(
                        "b.yaml:3: rule 'truncates': duplicate id (first defined at a.yaml:2)"));
    }

    @Test
    void unknownListsAndMacrosAreRejected() {
        assertProblems(GOOD.replace("{action: [TRUNCATE]}", "{action: [$truncates]}"),
                "rules.yaml:4: rule 'truncates': match.action: unknown list 'truncates' (none defined)");
        assertProblems("lists:\n  a: [x]\n" + GOOD.replace("{action: [TRUNCATE]}", "{macros: [prod]}"),
                "rules.yaml:6: rule 'truncates': match.macros: unknown macro 'prod' (none defined)");
        assertProblems("macros:\n  a: {macros: [b]}\n  b: {macros: [a]}\n" + GOOD,
                "rules.yaml:2: macros.a: refers to itself through a -> b -> a");
        assertProblems("lists:\n  a: [$b]\n  b: [x, $c]\n" + GOOD,
                "rules.yaml:3: lists.b: unknown list 'c' (defined: a, b)");
        assertProblems("lists:\n  a: [$a]\n" + GOOD, "rules.yaml:2: lists.a: refers to itself through a -> a");
        assertProblems("lists:\n  a: [x]\n  a: [y]\n" + GOOD, "rules.yaml:3: lists.a: defined twice (first at rules.yaml:2)");
    }

    @Test
    void listsAndMacrosAreSharedByTheFilesOfAFolder(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("10-lists.yaml"), "lists:\n  cmds: [TRUNCATE]\nmacros:\n  t: {action: [$cmds]}\n");
        Files.writeString(dir.resolve("20-rules.yml"), GOOD.replace("{action: [TRUNCATE]}", "{macros: [t]}"));
        Files.writeString(dir.resolve("notes.txt"), "not read");
        RulesLoader.RuleSet set = RulesLoader.load(dir, NOW);
        assertThat(set.sources()).containsExactly(dir.resolve("10-lists.yaml").toString(), dir.resolve("20-rules.yml").toString());
        assertThat(set.rules()).singleElement().extracting(r -> r.match().toString())
                .isEqualTo("{macros=[{action=[TRUNCATE]}]}");
    }

    @Test
    void exceptionsAreValidated() {
        String base = GOOD + "exceptions:\n";
        assertProblems(base + "  - {rule: nope, principal: a, reason: r, expires: 2027-01-01T00:00:00Z}",
                "rules.yaml:10: exception for rule 'nope': unknown rule 'nope'; allowed: a rule id or *");
        assertProblems(base + "  - {rule: truncates, principal: a, expires: 2027-01-01T00:00:00Z}",
                "rules.yaml:10: reason is required");
        assertProblems(base + "  - {rule: truncates, principal: a, reason: r}",
                "rules.yaml:10: exception for rule 'truncates': expires is required; allowed: an ISO instant such as 2026-12-31T00:00:00Z");
        assertProblems(base + "  - {rule: truncates, principal: a, reason: r, expires: tomorrow}",
                "rules.yaml:10: exception for rule 'truncates': expires=tomorrow is invalid; allowed: an ISO instant such as 2026-12-31T00:00:00Z");
        assertProblems(base + "  - {rule: truncates, principal: a, reason: r, expires: 2027-01-01T00:00:00Z,\n"
                        + "     from: 2026-07-01T02:00:00Z, until: 2026-07-01T01:00:00Z}",
                "rules.yaml:11: exception for rule 'truncates': until=2026-07-01T01:00:00Z is invalid; allowed: an instant after from (2026-07-01T02:00:00Z)");
        assertProblems(base + "  - {rule: truncates, principal: a, reason: r, expires: 2027-01-01T00:00:00Z, owner: me}",
                "rules.yaml:10: exception: unknown key 'owner'; allowed: application_name, expires, from, principal, reason, rule, until");

        RulesLoader.RuleSet set = RulesLoader.load(Map.of("rules.yaml", base
                + "  - {rule: '*', principal: 'pg:prod/etl_*', reason: r, expires: 2027-01-01T00:00:00Z}\n"
                + "  - {rule: truncates, principal: a, reason: old, expires: 2026-01-01T00:00:00Z}\n"), NOW);
        assertThat(set.rules().get(0).exceptions()).extracting(RuleException::principal).containsExactly("pg:prod/etl_*");
        assertThat(set.warnings()).containsExactly("rules.yaml:11: exception for rule 'truncates' and principal 'a' "
                + "expired at 2026-01-01T00:00:00Z; ignored (reason was: old)");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        assertThatThrownBy(() -> RulesLoader.load(Map.of("rules.yaml", GOOD.replace("threshold: 2", "threshold: 0")
                .replace("severity: high", "severity: loud")), NOW))
                .isInstanceOf(RulesFileException.class)
                .hasMessage("invalid detection rules:\n"
                        + "  rules.yaml:7: rule 'truncates': severity=loud is invalid; allowed: info, warning, high, critical");
        // threshold=0 is judged by the rule itself, once its fields parse; two parse errors come together:
        assertProblems(GOOD.replace("threshold: 2", "threshold: x").replace("window: 5s", "window: y"),
                "rules.yaml:5: rule 'truncates': threshold=x is invalid; allowed: an integer",
                "rules.yaml:6: rule 'truncates': window=y is invalid; allowed: a duration such as 500ms, 1s, 2m, 1h or PT1S");
    }

    @Test
    void invalidYamlAndEmptySetsFail() {
        assertProblems("rules: [\n  - id: x\n", "rules.yaml:2: not valid YAML: expected the node content, but found '-'");
        assertProblems("", "rules.yaml: no rules defined; at least one rule is required");
        assertProblems("- a\n- b\n", "rules.yaml:1: expected a mapping with decisions, exceptions, guards, lists, macros, rules, version");
    }

    /** The repository's rules/ folder is what the jar bundles, file for file, and it loads. */
    @Test
    void bundledRulesAreTheRepositoryRulesFolder() throws IOException {
        Path folder = Path.of("..", "rules");
        try (Stream<Path> files = Files.list(folder)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")))
                    .containsExactlyInAnyOrderElementsOf(RulesLoader.BUNDLED_FILES);
        }
        RulesLoader.RuleSet fromFolder = RulesLoader.load(folder, NOW);
        RulesLoader.RuleSet bundled = RulesLoader.loadBundled(NOW);
        assertThat(bundled.rules()).isEqualTo(fromFolder.rules());
        assertThat(bundled.warnings()).isEmpty();
        assertThat(bundled.rules()).filteredOn(r -> !r.shadow() && r.effectiveResponse() == Response.REVOKE)
                .extracting(DetectionRule::id)
                .as("out of the box, the rules that judge by what is destroyed, a destructive attempt repeated after"
                        + " a pre-flight refusal and what the guard itself establishes revoke")
                .containsExactly("pg-drop-table-burst", "pg-drop-table-slow-burn", "pg-drop-database", "pg-mass-row-change",
                        "pg-whole-table-delete", "pg-truncate-burst", "pg-column-drop-burst", "agent-destructive-burst",
                        "agent-preflight-denied", "pg-guard-refusal-burst", "pg-capture-tampering");
        assertThat(bundled.guards()).isEqualTo(fromFolder.guards());
    }

    private static DetectionRule only(String yaml) {
        List<DetectionRule> rules = RulesLoader.load(Map.of("rules.yaml", yaml), NOW).rules();
        assertThat(rules).hasSize(1);
        return rules.get(0);
    }

    private static void assertProblems(String yaml, String... problems) {
        assertThatThrownBy(() -> RulesLoader.load(Map.of("rules.yaml", yaml), NOW))
                .isInstanceOf(RulesFileException.class)
                .satisfies(e -> assertThat(((RulesFileException) e).problems()).containsExactly(problems));
    }
}
