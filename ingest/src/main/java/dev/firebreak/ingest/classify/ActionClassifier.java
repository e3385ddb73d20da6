package dev.firebreak.ingest.classify;

/**
 * Judges whether an action an agent took (a SQL statement, a shell command, an HTTP call) is
 * destructive. Implementations are driven by a rules file, so new APIs and tools are added as data.
 */
public interface ActionClassifier {

    /** What kind of action a tool performs; unknown tools are {@link #OTHER}, never rejected. */
    enum ActionKind { SQL, SHELL, HTTP, OTHER }

    /**
     * The verdict on one action.
     *
     * @param kind        what was classified
     * @param destructive whether it deletes, drops, truncates or destroys something
     * @param ruleId      id of the rule that decided, or {@code null} when none matched
     * @param category    short machine-readable category, e.g. {@code sql.delete_without_where}, {@code http.graphql_delete}
     * @param reason      one human sentence for on-call
     */
    record Verdict(ActionKind kind, boolean destructive, String ruleId, String category, String reason) {
    }

    /** Classifies a SQL text (one or more statements; any destructive statement makes it destructive). */
    Verdict classifySql(String sql);

    /** Classifies a shell command line. */
    Verdict classifyShell(String commandLine);

    /** Classifies an HTTP call; {@code body} may be null, a GraphQL document or JSON. */
    Verdict classifyHttp(String method, String url, String body);

    /**
     * Classifies by tool name (e.g. {@code sql}, {@code psql}, {@code bash}, {@code http}, {@code curl};
     * the mapping is part of the rules file); tools it does not know are {@link ActionKind#OTHER} and
     * not destructive.
     */
    Verdict classify(String tool, String input);
}
