package dev.firebreak.ingest.classify;

import java.util.List;
import java.util.Optional;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.statement.Statement;

/**
 * The shape of a DELETE or UPDATE as the client wrote it, one of the blast measures: {@code no_where}
 * (every row), {@code tautology} (a WHERE that is always true, such as {@code WHERE 1=1}) or
 * {@code filtered}. Read from the statement text, which is the client's: it only ever adds to what
 * PostgreSQL measured (the rows changed and their fraction of the table), never replaces it.
 */
public final class StatementShape {
    /** Longer statements are not parsed: a DELETE or UPDATE worth judging by shape is short. */
    private static final int MAX_PARSE_CHARS = 20_000;
    private static final int MAX_NESTING = 30;

    private StatementShape() {
    }

    /**
     * The shape of the one DELETE or UPDATE in {@code sql} (data-modifying WITH items included);
     * empty when the text holds several statements, none of that kind, or nothing the parser reads.
     */
    public static Optional<String> of(String sql) {
        if (sql == null) {
            return Optional.empty();
        }
        List<String> statements = SqlText.split(sql);
        if (statements.size() != 1) {
            return Optional.empty();
        }
        String statement = statements.get(0);
        if (statement.length() > MAX_PARSE_CHARS || CCJSqlParserUtil.getNestingDepth(statement) > MAX_NESTING) {
            return Optional.empty();
        }
        Statement parsed;
        try {
            parsed = CCJSqlParserUtil.newParser(statement).Statement();
        } catch (Exception | StackOverflowError e) {
            return Optional.empty();
        }
        SqlFacts.Where widest = null;
        for (SqlFacts facts : SqlFacts.of(parsed)) {
            if (facts.statement().equals("delete") || facts.statement().equals("update")) {
                widest = widest == null || facts.where().ordinal() < widest.ordinal() ? facts.where() : widest;
            }
        }
        return Optional.ofNullable(widest).map(StatementShape::name);
    }

    private static String name(SqlFacts.Where where) {
        return switch (where) {
            case NONE -> "no_where";
            case TRIVIAL -> "tautology";
            default -> "filtered";
        };
    }
}
