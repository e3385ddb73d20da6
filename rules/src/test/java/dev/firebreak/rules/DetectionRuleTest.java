package dev.firebreak.rules;

import static dev.firebreak.rules.AuditEvents.at;
import static dev.firebreak.rules.AuditEvents.dropSchemaCascade;
import static dev.firebreak.rules.AuditEvents.dropTables;
import static dev.firebreak.rules.AuditEvents.event;
import static dev.firebreak.rules.AuditEvents.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.rules.DetectionRule.Measure;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DetectionRuleTest {

    @Test
    void defaultsAreThreeTablesInOneSecond() {
        DetectionRule rule = DetectionRule.defaults();
        assertThat(rule.id()).isEqualTo("pg-drop-table-burst");
        assertThat(rule.objectTypes()).containsExactly("table");
        assertThat(rule.measure()).isEqualTo(Measure.OBJECTS);
        assertThat(rule.threshold()).isEqualTo(3);
        assertThat(rule.window()).isEqualTo(Duration.ofSeconds(1));
        assertThat(rule.episodeQuiet()).isEqualTo(Duration.ofSeconds(30));
        assertThat(rule.grace()).isEqualTo(Duration.ofSeconds(2));
        assertThat(rule.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(rule.response()).isEqualTo(Response.REVOKE);
        assertThat(rule.shadow()).isFalse();
        assertThat(rule.maxTrackedEvents()).isEqualTo(10_000);
    }

    @Test
    void defaultRuleCountsOnlyTablesOfDropCommands() {
        DetectionRule rule = DetectionRule.defaults();
        assertThat(rule.weight(dropTables("pg:prod/a", "e1", at(0), "a", "b"))).isEqualTo(2);
        assertThat(rule.weight(dropSchemaCascade("pg:prod/a", "e2", at(0), "s", 7))).isEqualTo(7);
        assertThat(rule.weight(event("pg:prod/a", "e3", at(0), "CREATE TABLE", "CREATE TABLE a",
                List.of(object("table", "public.a", true))))).isZero();
        assertThat(rule.weight(event("pg:prod/a", "e4", at(0), "drop owned", "drop owned by a",
                List.of(object("TABLE", "public.a", false))))).as("case-insensitive").isEqualTo(1);
        assertThat(rule.weight(event("pg:prod/a", "e5", at(0), "DROPPED", "?",
                List.of(object("table", "public.a", true))))).as("DROP and a space, as before").isZero();
    }

    @Test
    void objectTypesMatchWhateverTheCase() {
        DetectionRule rule = rule("r", Set.of(" Table ", "VIEW"), 3, Duration.ofSeconds(1), Duration.ofSeconds(30));
        assertThat(rule.objectTypes()).containsExactlyInAnyOrder("table", "view");
        assertThat(rule.counts("TABLE")).isTrue();
        assertThat(rule.counts("index")).isFalse();
        assertThat(rule.counts(null)).isFalse();
    }

    @Test
    void matchConditionsAllHold() {
        RuleMatch match = RuleMatch.builder().sources(Set.of(AuditSource.AGENT_ACTION_HTTP))
                .actionRegex("http\\..*").destructive(true).classifications(Set.of("HTTP.GraphQL_Delete"))
                .statementRegex("volumeDelete").attribute("target_environment", Set.of("Production")).build();
        AuditEvent agent = AuditEvent.newBuilder(event("agent:bot", "e1", at(0), "http.delete", "mutation { volumeDelete }",
                        List.of())).setSource(AuditSource.AGENT_ACTION_HTTP).setDestructive(true)
                .setClassification("http.graphql_delete").setAttributes(Map.of("target_environment", "production")).build();
        assertThat(match.matches(agent)).isTrue();
        assertThat(match.matches(AuditEvent.newBuilder(agent).setSource(AuditSource.AGENT_ACTION_TABLE).build())).isFalse();
        assertThat(match.matches(AuditEvent.newBuilder(agent).setDestructive(false).build())).isFalse();
        assertThat(match.matches(AuditEvent.newBuilder(agent).setAction("bash").build())).isFalse();
        assertThat(match.matches(AuditEvent.newBuilder(agent).setClassification(null).build())).isFalse();
        assertThat(match.matches(AuditEvent.newBuilder(agent).setStatement("ls").build())).isFalse();
        assertThat(match.matches(AuditEvent.newBuilder(agent).setAttributes(Map.of("target_environment", "staging"))
                .build())).isFalse();
        assertThat(match.matches(AuditEvent.newBuilder(agent).setAttributes(Map.of()).build())).isFalse();
    }

    @Test
    void macrosMustMatchTooAndNarrowTheCountedTypes() {
        RuleMatch drops = RuleMatch.builder().actionRegex("DROP .*").build();
        RuleMatch relations = RuleMatch.builder().objectTypes(Set.of("table", "view")).build();
        RuleMatch match = RuleMatch.builder().objectTypes(Set.of("table", "index")).and(drops).and(relations).build();
        assertThat(match.objectTypes()).containsExactly("table");
        assertThat(match.matches(dropTables("pg:prod/a", "e1", at(0), "a"))).isTrue();
        assertThat(match.matches(event("pg:prod/a", "e2", at(0), "ALTER TABLE", "?",
                List.of(object("table", "a", true))))).isFalse();
        assertThat(match).isEqualTo(RuleMatch.builder().objectTypes(Set.of("INDEX", "table")).and(drops)
                .and(relations).build());
    }

    @Test
    void shadowRulesOnlyEverAlert() {
        DetectionRule rule = TestRules.rule("s", RuleMatch.builder().build(), Measure.EVENTS, 1, Duration.ofSeconds(1),
                Response.REVOKE, true);
        assertThat(rule.response()).isEqualTo(Response.REVOKE);
        assertThat(rule.effectiveResponse()).isEqualTo(Response.ALERT_ONLY);
    }

    @Test
    void invalidValuesAreNamed() {
        assertThatThrownBy(() -> rule("bad id!", Set.of("table"), 3, Duration.ofSeconds(1), Duration.ofSeconds(30)))
                .hasMessageStartingWith("id=bad id! is invalid");
        assertThatThrownBy(() -> rule("r", Set.of("table"), 0, Duration.ofSeconds(1), Duration.ofSeconds(30)))
                .hasMessageStartingWith("threshold=0 is invalid");
        assertThatThrownBy(() -> rule("r", Set.of("table"), 3, Duration.ZERO, Duration.ofSeconds(30)))
                .hasMessageStartingWith("window=PT0S is invalid");
        assertThatThrownBy(() -> rule("r", Set.of("table"), 3, Duration.ofSeconds(5), Duration.ofSeconds(1)))
                .hasMessageStartingWith("episode_quiet=PT1S is invalid").hasMessageContaining("from PT5S");
        assertThatThrownBy(() -> TestRules.drops("r", Set.of("table"), 5, Duration.ofSeconds(1),
                Duration.ofSeconds(30), Duration.ZERO, Severity.HIGH, Response.REVOKE, 4))
                .hasMessageStartingWith("max_tracked_events=4 is invalid");
    }

    private static DetectionRule rule(String id, Set<String> types, int threshold, Duration window, Duration quiet) {
        return TestRules.drops(id, types, threshold, window, quiet, Duration.ofSeconds(2), Severity.HIGH,
                Response.REVOKE, 10_000);
    }
}
