package dev.firebreak.ingest.classify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SqlFactsTest {

    private static SqlFacts facts(String sql) throws Exception {
        return SqlFacts.of(CCJSqlParserUtil.parse(sql)).get(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"true", "TRUE", "1", "1=1", "(1 = 1)", "'a' = 'a'", "NOT false", "1 = 1 AND true",
        "id = id", "2 > 1", "1::int = 1", "1 = 1 OR id = 3", "1 <> 0", "'1' = 1", "-1 < 0"})
    void alwaysTrueWhereIsTrivial(String where) throws Exception {
        assertThat(facts("DELETE FROM t WHERE " + where).where()).isEqualTo(SqlFacts.Where.TRIVIAL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"id = 3", "1 = 1 AND id = 3", "false", "1 = 0 OR id = 1", "id = other_id",
        "created_at < now()", "id IS NOT NULL", "'a' = 'b'"})
    void realOrFalseWhereIsFiltered(String where) throws Exception {
        assertThat(facts("UPDATE t SET a = 1 WHERE " + where).where()).isEqualTo(SqlFacts.Where.FILTERED);
    }

    /** The classifier skips the parser for plain SELECTs; this pins that the parser would agree. */
    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM deleted_items WHERE deleted_at > now() - interval '7 days'",
        "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY 1 LIMIT 5",
        "SELECT count(*) FROM (SELECT DISTINCT user_id FROM events) e",
        "SELECT 'DROP TABLE x' AS example"})
    void plainSelectsHaveTheFactsTheFastPathAssumes(String sql) throws Exception {
        assertThat(SqlFacts.of(CCJSqlParserUtil.parse(sql)))
                .containsExactly(new SqlFacts("select", null, SqlFacts.Where.NOT_APPLICABLE, Set.of()));
        assertThat(RulesActionClassifier.defaults().classifySql(sql).category()).isEqualTo("sql.read");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ALTER TABLE t DROP COLUMN a", "ALTER TABLE t DROP CONSTRAINT c", "ALTER TABLE t DROP INDEX i"})
    void alterDropsAreRefined(String sql) throws Exception {
        Set<String> ops = facts(sql).alter();
        assertThat(ops).contains("DROP").containsAnyOf("DROP_COLUMN", "DROP_CONSTRAINT", "DROP_INDEX");
    }

    @ParameterizedTest
    @ValueSource(strings = {"WITH d AS (DELETE FROM logs RETURNING *) SELECT count(*) FROM d",
        "WITH u AS (UPDATE accounts SET balance = 0 RETURNING id) INSERT INTO audit SELECT id FROM u"})
    void dataModifyingCtesAreFactsToo(String sql) throws Exception {
        List<SqlFacts> all = SqlFacts.of(CCJSqlParserUtil.parse(sql));
        assertThat(all).hasSize(2);
        assertThat(all.get(1).where()).isEqualTo(SqlFacts.Where.NONE);
    }
    /** EXPLAIN ANALYZE executes what it explains: the DELETE or UPDATE is a fact of the statement. */
    @ParameterizedTest
    @ValueSource(strings = {"EXPLAIN ANALYZE DELETE FROM audit_log", "EXPLAIN (ANALYZE, BUFFERS) DELETE FROM audit_log",
        "EXPLAIN (FORMAT JSON, ANALYZE) DELETE FROM audit_log", "EXPLAIN ANALYZE VERBOSE DELETE FROM audit_log",
        "EXPLAIN (ANALYZE true) DELETE FROM audit_log", "EXPLAIN (ANALYZE on) DELETE FROM audit_log",
        "EXPLAIN ANALYZE WITH d AS (DELETE FROM audit_log RETURNING *) SELECT * FROM d"})
    void explainAnalyzeOfAWriteHasTheFactsOfTheWrite(String sql) throws Exception {
        assertThat(SqlFacts.of(CCJSqlParserUtil.parse(sql)))
                .contains(new SqlFacts("explain", null, SqlFacts.Where.NOT_APPLICABLE, Set.of()))
                .contains(new SqlFacts("delete", null, SqlFacts.Where.NONE, Set.of()));
    }

    /** Without ANALYZE (or with it switched off) PostgreSQL only plans the statement. */
    @ParameterizedTest
    @ValueSource(strings = {"EXPLAIN DELETE FROM audit_log", "EXPLAIN (ANALYZE false) DELETE FROM audit_log",
        "EXPLAIN (ANALYZE off, BUFFERS) UPDATE users SET plan = 'free'", "EXPLAIN (ANALYZE 0) DELETE FROM audit_log",
        "EXPLAIN (VERBOSE) DELETE FROM audit_log"})
    void explainWithoutAnalyzeIsOnlyTheExplain(String sql) throws Exception {
        assertThat(SqlFacts.of(CCJSqlParserUtil.parse(sql)))
                .containsExactly(new SqlFacts("explain", null, SqlFacts.Where.NOT_APPLICABLE, Set.of()));
    }
}
