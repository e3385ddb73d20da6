package dev.firebreak.ingest.preflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DecisionRulesTest {

    private static final PrincipalView CLEAN = view(false, false, 0);

    static PrincipalView view(boolean revoked, boolean criticalEpisode, int refused) {
        return new PrincipalView() {
            @Override
            public boolean revoked() {
                return revoked;
            }

            @Override
            public boolean openEpisode(Set<String> severities) {
                return criticalEpisode && severities.contains("critical");
            }

            @Override
            public int refusedAttempts(Duration window) {
                return refused;
            }
        };
    }

    static ActionFacts action(boolean destructive, String category, String environment) {
        return new ActionFacts("agent:bot", "token:railway/t1", "bash", "shell", destructive, category, "c", environment);
    }

    @Test
    void bundledRulesAskForDestructiveProductionAndDenyARepeat() {
        DecisionEngine engine = new DecisionEngine(DecisionRules.bundled());
        ActionFacts delete = action(true, "http.graphql_delete", "production");

        DecisionEngine.Outcome first = engine.decide(delete, CLEAN);
        assertThat(first.decision()).isEqualTo(Decision.ASK);
        assertThat(first.ruleId()).isEqualTo("preflight-destructive-production");
        assertThat(first.reason()).startsWith("http.graphql_delete against production");

        DecisionEngine.Outcome second = engine.decide(delete, view(false, false, 1));
        assertThat(second.decision()).isEqualTo(Decision.DENY);
        assertThat(second.ruleId()).isEqualTo("preflight-repeated-destructive");
        assertThat(second.reason()).startsWith("1 earlier attempt(s)");
    }

    @Test
    void bundledRulesAllowReadsAndStagingDeletesAndDenyARevokedAgentEverything() {
        DecisionEngine engine = new DecisionEngine(DecisionRules.bundled());
        assertThat(engine.decide(action(false, "shell.read", "production"), CLEAN).decision()).isEqualTo(Decision.ALLOW);
        assertThat(engine.decide(action(true, "sql.delete", "staging"), CLEAN).decision()).isEqualTo(Decision.ALLOW);
        assertThat(engine.decide(action(true, "sql.delete", null), CLEAN).decision()).isEqualTo(Decision.ASK);
        assertThat(engine.decide(action(false, null, null), view(true, false, 0)))
                .satisfies(o -> assertThat(o.ruleId()).isEqualTo("preflight-revoked-principal"))
                .satisfies(o -> assertThat(o.decision()).isEqualTo(Decision.DENY));
        assertThat(engine.decide(action(true, "sql.delete", "staging"), view(false, true, 0)).ruleId())
                .isEqualTo("preflight-open-episode");
    }

    @Test
    void priorityDecidesNotFileOrderAndNoMatchAllows() {
        List<DecisionRule> rules = DecisionRules.load(Map.of("a.yaml", """
                decisions:
                  - id: late
                    description: d
                    priority: 20
                    when: {tool: [bash]}
                    decision: deny
                  - id: early
                    description: d
                    priority: 5
                    when: {kind: [shell], category_regex: "shell\\\\..*"}
                    decision: ask
                """));
        DecisionEngine engine = new DecisionEngine(rules);
        assertThat(engine.decide(action(false, "shell.read", null), CLEAN).ruleId()).isEqualTo("early");
        assertThat(engine.decide(action(false, "other", null), CLEAN).ruleId()).isEqualTo("late");
        ActionFacts sql = new ActionFacts("agent:x", null, "psql", "sql", false, "sql.select", null, null);
        assertThat(engine.decide(sql, CLEAN)).isEqualTo(new DecisionEngine.Outcome(Decision.ALLOW, DecisionEngine.NO_RULE,
                "no decision rule matched this action", null));
    }

    @Test
    void badRulesFailNamingFileRuleAndKey() {
        assertThatThrownBy(() -> DecisionRules.load(Map.of("bad.yaml", """
                decisions:
                  - id: x
                    description: d
                    priority: 1
                    decision: maybe
                    when: {destructive: yes-please, kind: [robot], attempts_window: 3 days, colour: red}
                  - id: x
                    priority: -1
                    decision: deny
                """)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad.yaml: decisions[0] (x): decision must be one of allow, deny, ask; was 'maybe'")
                .hasMessageContaining("when.destructive: true or false")
                .hasMessageContaining("when.kind: allowed values are")
                .hasMessageContaining("when.attempts_window: a duration")
                .hasMessageContaining("unknown key 'colour'")
                .hasMessageContaining("decisions[1] (x): id x is defined twice")
                .hasMessageContaining("decisions[1] (x): description is required")
                .hasMessageContaining("priority must be an integer 0..1000000");
    }

    @Test
    void detectionFilesWithoutDecisionsAreSkippedButNoRulesAtAllIsAnError() {
        assertThatThrownBy(() -> DecisionRules.load(Map.of("firebreak.yaml", "version: 1\nrules: []\n")))
                .hasMessageContaining("no decisions: section");
    }

    @Test
    void configRefusesALookbackShorterThanTheLongestWindow() {
        PreflightConfig config = PreflightConfig.fromMap(Map.of(PreflightConfig.PREFIX + "lookback.ms", "60000"));
        assertThatThrownBy(config::loadRules).hasMessageContaining("firebreak.ingest.preflight.lookback.ms=60000")
                .hasMessageContaining("600000 ms");
        assertThatThrownBy(() -> PreflightConfig.fromMap(Map.of(PreflightConfig.PREFIX + "enabled", "yes")))
                .hasMessage("invalid firebreak.ingest.preflight.enabled=yes; allowed: true, false");
    }
}
