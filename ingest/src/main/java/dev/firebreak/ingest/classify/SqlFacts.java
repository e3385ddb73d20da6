package dev.firebreak.ingest.classify;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.statement.DescribeStatement;
import net.sf.jsqlparser.statement.ExplainStatement;
import net.sf.jsqlparser.statement.ShowColumnsStatement;
import net.sf.jsqlparser.statement.ShowStatement;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.alter.Alter;
import net.sf.jsqlparser.statement.alter.AlterExpression;
import net.sf.jsqlparser.statement.alter.AlterOperation;
import net.sf.jsqlparser.statement.create.index.CreateIndex;
import net.sf.jsqlparser.statement.create.table.CreateTable;
import net.sf.jsqlparser.statement.create.view.CreateView;
import net.sf.jsqlparser.statement.delete.Delete;
import net.sf.jsqlparser.statement.delete.ParenthesedDelete;
import net.sf.jsqlparser.statement.drop.Drop;
import net.sf.jsqlparser.statement.grant.Grant;
import net.sf.jsqlparser.statement.insert.Insert;
import net.sf.jsqlparser.statement.merge.Merge;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.WithItem;
import net.sf.jsqlparser.statement.show.ShowIndexStatement;
import net.sf.jsqlparser.statement.show.ShowTablesStatement;
import net.sf.jsqlparser.statement.truncate.Truncate;
import net.sf.jsqlparser.statement.update.ParenthesedUpdate;
import net.sf.jsqlparser.statement.update.Update;
import net.sf.jsqlparser.statement.upsert.Upsert;

/**
 * The facts about one parsed statement that SQL rules match on: its type, the object type it drops
 * or truncates, the state of its WHERE clause and its ALTER operations.
 *
 * @param statement statement type, e.g. {@code drop}, {@code delete}, {@code create_table}
 * @param object    upper-case object type for drop and truncate (TABLE, SCHEMA, ROLE...), else null
 * @param where     the WHERE clause of a delete or update
 * @param alter     ALTER TABLE operations, DROP refined to DROP_COLUMN / DROP_CONSTRAINT / DROP_INDEX
 */
record SqlFacts(String statement, String object, Where where, Set<String> alter) {

    /** The WHERE clause of a DELETE or UPDATE, as rules see it. */
    enum Where {
        /** No WHERE clause: every row. */
        NONE,
        /** A WHERE that is always true (WHERE true, WHERE 1=1): every row as well. */
        TRIVIAL,
        /** A real condition. */
        FILTERED,
        /** The statement has no WHERE to speak of (DROP, SELECT...). */
        NOT_APPLICABLE
    }

    /** Statement types rules may name; anything else is a typo caught at load time. */
    private static final Map<Class<? extends Statement>, String> NAMES = Map.ofEntries(
            Map.entry(Select.class, "select"), Map.entry(Insert.class, "insert"),
            Map.entry(Update.class, "update"), Map.entry(Delete.class, "delete"),
            Map.entry(Merge.class, "merge"), Map.entry(Upsert.class, "upsert"),
            Map.entry(Drop.class, "drop"), Map.entry(Truncate.class, "truncate"),
            Map.entry(Alter.class, "alter"), Map.entry(CreateTable.class, "create_table"),
            Map.entry(CreateIndex.class, "create_index"), Map.entry(CreateView.class, "create_view"),
            Map.entry(Grant.class, "grant"), Map.entry(ExplainStatement.class, "explain"),
            Map.entry(DescribeStatement.class, "explain"), Map.entry(ShowStatement.class, "show"),
            Map.entry(ShowTablesStatement.class, "show"), Map.entry(ShowColumnsStatement.class, "show"),
            Map.entry(ShowIndexStatement.class, "show"));

    /** The statement names a rules file may use in {@code match.statement}. */
    static final Set<String> KNOWN_STATEMENTS = new TreeSet<>(NAMES.values());

    /** PostgreSQL's spellings of a false boolean option ({@code EXPLAIN (ANALYZE off) ...}), prefixes included. */
    private static final Pattern FALSE = Pattern.compile("(?i)f(a(l(se?)?)?)?|no?|off|0");

    /**
     * The facts of a statement and of the data-modifying statements in its WITH clause. EXPLAIN
     * ANALYZE runs the statement it explains, so its facts are those of the EXPLAIN and of that
     * statement (JSqlParser 5.4 parses {@code EXPLAIN ANALYZE DELETE ...}; without this it would be a read).
     */
    static List<SqlFacts> of(Statement st) {
        List<SqlFacts> out = new ArrayList<>();
        out.add(single(st));
        if (st instanceof ExplainStatement e && runs(e)) {
            out.addAll(of(e.getStatement()));
        }
        for (WithItem<?> item : withItems(st)) {
            Object inner = item.getParenthesedStatement();
            if (inner instanceof ParenthesedDelete d) {
                out.add(single(d.getDelete()));
            } else if (inner instanceof ParenthesedUpdate u) {
                out.add(single(u.getUpdate()));
            }
        }
        return out;
    }

    /** True when the EXPLAIN executes its statement: ANALYZE present and not switched off. */
    private static boolean runs(ExplainStatement e) {
        if (e.getStatement() == null || e.getOptions() == null) {
            return false;
        }
        ExplainStatement.Option analyze = e.getOption(ExplainStatement.OptionType.ANALYZE);
        return analyze != null && (analyze.getValue() == null || !FALSE.matcher(analyze.getValue().trim()).matches());
    }

    private static SqlFacts single(Statement st) {
        String name = name(st);
        if (st instanceof Drop d) {
            String type = d.getType() == null ? "" : d.getType().toUpperCase(Locale.ROOT);
            return new SqlFacts(name, d.isMaterialized() ? "MATERIALIZED " + type : type, Where.NOT_APPLICABLE, Set.of());
        }
        if (st instanceof Truncate) {
            return new SqlFacts(name, "TABLE", Where.NOT_APPLICABLE, Set.of());
        }
        if (st instanceof Delete d) {
            return new SqlFacts(name, null, where(d.getWhere()), Set.of());
        }
        if (st instanceof Update u) {
            return new SqlFacts(name, null, where(u.getWhere()), Set.of());
        }
        if (st instanceof Alter a) {
            return new SqlFacts(name, null, Where.NOT_APPLICABLE, alterOperations(a));
        }
        return new SqlFacts(name, null, Where.NOT_APPLICABLE, Set.of());
    }

    private static String name(Statement st) {
        for (var e : NAMES.entrySet()) {
            if (e.getKey().isInstance(st)) {
                return e.getValue();
            }
        }
        // Not nameable by rules; kept readable for reasons.
        return st.getClass().getSimpleName().replaceAll("Statement$", "")
                .replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    private static Where where(Expression where) {
        if (where == null) {
            return Where.NONE;
        }
        return Tautology.alwaysTrue(where) ? Where.TRIVIAL : Where.FILTERED;
    }

    private static Set<String> alterOperations(Alter alter) {
        Set<String> ops = new LinkedHashSet<>();
        if (alter.getAlterExpressions() == null) {
            return ops;
        }
        for (AlterExpression e : alter.getAlterExpressions()) {
            AlterOperation op = e.getOperation();
            if (op == null) {
                continue;
            }
            ops.add(op.name());
            if (op == AlterOperation.DROP) {
                ops.add(dropTarget(e));
            }
        }
        return ops;
    }

    private static String dropTarget(AlterExpression e) {
        if (e.getConstraintName() != null) {
            return "DROP_CONSTRAINT";
        }
        if (e.getIndex() != null) {
            return "DROP_INDEX";
        }
        return e.getColumnName() != null ? "DROP_COLUMN" : "DROP";
    }

    private static List<WithItem<?>> withItems(Statement st) {
        List<WithItem<?>> items = null;
        if (st instanceof Select s) {
            items = s.getWithItemsList();
        } else if (st instanceof Delete d) {
            items = d.getWithItemsList();
        } else if (st instanceof Update u) {
            items = u.getWithItemsList();
        } else if (st instanceof Insert i) {
            items = i.getWithItemsList();
        }
        return items == null ? List.of() : items;
    }
}
