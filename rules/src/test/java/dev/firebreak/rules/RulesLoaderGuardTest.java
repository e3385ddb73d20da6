package dev.firebreak.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.guard.GuardException;
import dev.firebreak.guard.GuardPolicy;
import dev.firebreak.guard.GuardRule;
import dev.firebreak.guard.GuardRule.Kind;
import dev.firebreak.guard.GuardRule.Mode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code guards:} section of the rules files: what the database enforces. */
class RulesLoaderGuardTest {
    private static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
    private static final String ONE_RULE = """
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
    void readsEveryKindWithItsOwnAmount() {
        GuardPolicy policy = load(ONE_RULE + """
                guards:
                  - id: cascade
                    description: many relations at once
                    kind: statement_drops
                    relations: 10
                    tags: [postgres]
                  - id: rate
                    description: drops per second
                    kind: drop_rate
                    relations: 3
                    window: 1s
                  - id: trunc
                    description: truncate
                    kind: truncate
                    tables: 5
                    rows: 50_000
                  - id: rows
                    description: most of a table
                    kind: row_change
                    fraction: 0.5
                    min_rows: 10000
                    mode: shadow
                  - id: columns
                    description: a column of a big table
                    kind: column_drop
                    min_rows: 100000
                """).guards();
        assertThat(policy.rules()).containsExactly(
                new GuardRule("cascade", "many relations at once", Kind.STATEMENT_DROPS, Mode.ENFORCE, 10, 0, null, null, java.util.List.of("postgres")),
                new GuardRule("rate", "drops per second", Kind.DROP_RATE, Mode.ENFORCE, 3, 0, null, Duration.ofSeconds(1), java.util.List.of()),
                new GuardRule("trunc", "truncate", Kind.TRUNCATE, Mode.ENFORCE, 5, 50_000, null, null, java.util.List.of()),
                new GuardRule("rows", "most of a table", Kind.ROW_CHANGE, Mode.SHADOW, 1, 10_000, 0.5, null, java.util.List.of()),
                new GuardRule("columns", "a column of a big table", Kind.COLUMN_DROP, Mode.ENFORCE, 1, 100_000, null, null, java.util.List.of()));
    }

    @Test
    void exceptionsNamingAGuardOrEveryRuleApplyToTheGuards() {
        GuardPolicy policy = load(ONE_RULE + """
                guards:
                  - {id: cascade, description: d, kind: statement_drops, relations: 10}
                exceptions:
                  - {rule: cascade, principal: "pg:prod/etl_*", reason: rebuild, expires: 2026-07-01T00:00:00Z}
                  - {rule: "*", principal: "pg:prod/migrator", application_name: flyway, reason: CHG-1, expires: 2026-07-01T00:00:00Z}
                  - {rule: truncates, principal: "pg:prod/janitor", reason: nightly, expires: 2026-07-01T00:00:00Z}
                """).guards();
        assertThat(policy.exceptions()).extracting(GuardException::rule, GuardException::principal, GuardException::applicationName)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("cascade", "pg:prod/etl_*", null),
                        org.assertj.core.groups.Tuple.tuple("*", "pg:prod/migrator", "flyway"));
    }

    @Test
    void badGuardsFailWithFileLineAndWhatIsAllowed() {
        assertThatThrownBy(() -> load(ONE_RULE + """
                guards:
                  - {id: a, description: d, kind: statement_drops, relations: 10, window: 1s}
                  - {id: b, description: d, kind: sideways}
                  - {id: c, description: d, kind: row_change, min_rows: 10}
                  - {id: d, description: d, kind: drop_rate, relations: 3}
                  - {id: e, description: d, kind: truncate, tables: 0}
                  - {id: truncates, description: d, kind: statement_drops, relations: 2}
                  - {id: f, description: d, kind: row_change, fraction: 2}
                """))
                .isInstanceOf(RulesFileException.class)
                .satisfies(e -> assertThat(((RulesFileException) e).problems()).containsExactly(
                        "rules.yaml:10: guard 'a': window does not apply to kind statement_drops; allowed: relations",
                        "rules.yaml:11: guard 'b': kind=sideways is invalid; allowed: statement_drops, truncate, row_change, column_drop, drop_rate",
                        "rules.yaml:12: guard 'c': fraction is required for row_change; allowed: a number above 0, at most 1",
                        "rules.yaml:13: guard 'd': window is required for drop_rate; allowed: a duration such as 1s",
                        "rules.yaml:14: guard 'e': threshold=0 is invalid; allowed: 1 or more",
                        "rules.yaml:15: guard 'truncates': duplicate id (first defined at rules.yaml:2)",
                        "rules.yaml:16: guard 'f': fraction=2.0 is invalid; allowed: more than 0, at most 1"));
    }

    @Test
    void guardsSpareRelationsByBlastMeasureWhereTheKindAllows() {
        GuardPolicy policy = load(ONE_RULE + """
                guards:
                  - {id: rate, description: d, kind: drop_rate, relations: 3, window: 1s, spare: [replaced, partition]}
                  - {id: trunc, description: d, kind: truncate, tables: 5, spare: [created_by_same_principal]}
                """).guards();
        assertThat(policy.rules()).extracting(GuardRule::spare)
                .containsExactly(java.util.List.of("replaced", "partition"), java.util.List.of("created_by_same_principal"));
        assertThatThrownBy(() -> load(ONE_RULE + """
                guards:
                  - {id: a, description: d, kind: truncate, tables: 5, spare: [replaced]}
                  - {id: b, description: d, kind: column_drop, spare: [created_by_same_principal]}
                """))
                .isInstanceOf(RulesFileException.class)
                .satisfies(e -> assertThat(((RulesFileException) e).problems()).containsExactly(
                        "rules.yaml:10: guard 'a': spare 'replaced' is invalid for truncate; allowed: created_by_same_principal",
                        "rules.yaml:11: guard 'b': spare 'created_by_same_principal' is invalid for column_drop; allowed: none"));
    }

    @Test
    void theBundledGuardsCoverWhatOneStatementDestroys() {
        GuardPolicy policy = RulesLoader.loadBundled(NOW).guards();
        assertThat(policy.rules()).extracting(GuardRule::kind)
                .containsExactlyInAnyOrder(Kind.values());
        assertThat(policy.rules()).allMatch(r -> r.mode() == Mode.ENFORCE);
    }

    private static RulesLoader.RuleSet load(String yaml) {
        return RulesLoader.load(Map.of("rules.yaml", yaml), NOW);
    }
}
