package dev.firebreak.ingest.classify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.ingest.classify.ActionClassifier.ActionKind;
import dev.firebreak.ingest.classify.ActionClassifier.Verdict;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** Tool names map to kinds through the rules file; unknown tools are OTHER and never rejected. */
class ToolMappingTest {

    private static final RulesActionClassifier CLASSIFIER = RulesActionClassifier.defaults();

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "sql, SQL", "postgres, SQL", "psql_query, SQL", "execute_sql, SQL", "psql, SQL",
        "bash, SHELL", "shell, SHELL", "sh, SHELL", "terminal, SHELL", "run_command, SHELL",
        "http, HTTP", "fetch, HTTP", "curl, HTTP", "http_request, HTTP", "graphql, HTTP",
        "BASH, SHELL", "Execute_SQL, SQL", "WebFetch, HTTP",
        "mcp__supabase__execute_sql, SQL", "mcp__neon__run_sql, SQL", "container.exec, SHELL",
        "functions/bash, SHELL", "mcp__github__create_issue, OTHER", "browser_click, OTHER",
        "sqlalchemy, OTHER", "bashful, OTHER"})
    void toolNamesMapToKinds(String tool, ActionKind expected) {
        assertThat(CLASSIFIER.classify(tool, "x").kind()).isEqualTo(expected);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"  ", "write_file", "computer"})
    void unknownToolsAreOtherAndNotDestructive(String tool) {
        Verdict v = CLASSIFIER.classify(tool, "rm -rf / ; DROP DATABASE prod");
        assertThat(v.kind()).isEqualTo(ActionKind.OTHER);
        assertThat(v.destructive()).isFalse();
        assertThat(v.category()).isEqualTo("other.unknown_tool");
        assertThat(v.ruleId()).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"sql|SQL|sql.empty", "bash|SHELL|shell.empty", "http|HTTP|http.unparsed"})
    void emptyInputIsNotDestructive(String tool, ActionKind kind, String category) {
        for (String input : new String[] {null, "", "   "}) {
            Verdict v = CLASSIFIER.classify(tool, input);
            assertThat(v.kind()).isEqualTo(kind);
            assertThat(v.destructive()).isFalse();
            assertThat(v.category()).isEqualTo(category);
        }
    }
}
