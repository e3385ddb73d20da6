package dev.firebreak.ingest.classify;

import dev.firebreak.ingest.classify.ActionClassifier.ActionKind;
import dev.firebreak.ingest.classify.ActionClassifier.Verdict;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.UnsupportedStatement;

/**
 * Classifies SQL text: splits it into statements, parses each with JSqlParser on the calling thread
 * and matches the rules against the AST; statements the parser cannot read go to the keyword rules.
 */
final class SqlClassifier {

    /**
     * Bounds that keep the parser fast: JSqlParser backtracks badly on deep nesting, and
     * {@code CCJSqlParserUtil.parse} guards against that with a thread per call, which is too slow
     * here. Statements beyond these bounds go to the keyword rules instead.
     */
    private static final int MAX_PARSE_CHARS = 50_000;
    private static final int MAX_NESTING = 30;

    /**
     * A SELECT whose keywords (comments and literals removed) contain nothing that writes. JSqlParser
     * needs 0.1-2 ms for an ordinary SELECT with joins, and agents mostly read; such a statement has
     * the same facts parsed or not (PostgreSQL only allows data-modifying CTEs at the top, which
     * starts with WITH, not SELECT), so it skips the parser.
     */
    private static final Pattern PLAIN_SELECT = Pattern.compile(
            "(?i)^SELECT\\b(?!.*\\b(INTO|DELETE|UPDATE|INSERT|DROP|TRUNCATE|ALTER|MERGE|CREATE|GRANT|REVOKE|COPY|CALL|DO)\\b).*");
    private static final SqlFacts SELECT_FACTS = new SqlFacts("select", null, SqlFacts.Where.NOT_APPLICABLE, Set.of());

    private final List<SqlRule> rules;
    private final Map<String, Integer> ruleOrder;

    SqlClassifier(List<SqlRule> rules, Map<String, Integer> ruleOrder) {
        this.rules = List.copyOf(rules);
        this.ruleOrder = ruleOrder;
    }

    Verdict classify(String sql) {
        List<String> statements = sql == null ? List.of() : SqlText.split(sql);
        if (statements.isEmpty()) {
            return new Verdict(ActionKind.SQL, false, null, "sql.empty", "no SQL statement in the input");
        }
        List<Verdict> verdicts = statements.stream().map(this::classifyStatement).toList();
        return Verdicts.strongest(verdicts, ruleOrder, verdicts.get(0));
    }

    private Verdict classifyStatement(String statement) {
        if (PLAIN_SELECT.matcher(SqlText.keywords(statement)).matches()) {
            return classifyFacts(SELECT_FACTS, statement);
        }
        Statement parsed = parse(statement);
        if (parsed == null) {
            return classifyUnparsed(statement);
        }
        List<Verdict> verdicts = SqlFacts.of(parsed).stream().map(f -> classifyFacts(f, statement)).toList();
        return Verdicts.strongest(verdicts, ruleOrder, verdicts.get(0));
    }

    private Verdict classifyFacts(SqlFacts facts, String statement) {
        for (SqlRule rule : rules) {
            if (rule.matches(facts)) {
                return rule.info().verdict(Reasons.quote(statement));
            }
        }
        return new Verdict(ActionKind.SQL, false, null, "sql.other",
                "no rule for a " + facts.statement() + " statement: " + Reasons.quote(statement));
    }

    private Verdict classifyUnparsed(String statement) {
        String keywords = SqlText.keywords(statement);
        for (SqlRule rule : rules) {
            if (rule.matchesUnparsed(keywords)) {
                return rule.info().verdict("JSqlParser cannot parse it; keyword rule on " + Reasons.quote(statement));
            }
        }
        return new Verdict(ActionKind.SQL, false, null, "sql.unparsed",
                "JSqlParser cannot parse it and no keyword rule matched: " + Reasons.quote(statement));
    }

    /** The AST, or null when the statement is beyond the parser (or the bounds above). */
    private static Statement parse(String statement) {
        if (statement.length() > MAX_PARSE_CHARS || CCJSqlParserUtil.getNestingDepth(statement) > MAX_NESTING) {
            return null;
        }
        try {
            Statement st = CCJSqlParserUtil.newParser(statement).Statement();
            return st instanceof UnsupportedStatement ? null : st;
        } catch (Exception | StackOverflowError e) {
            // ParseException, TokenMgrException and the odd parser bug all mean "use the keyword rules".
            return null;
        }
    }
}
