package dev.firebreak.ingest.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.TopicReader;
import dev.firebreak.ingest.guard.GuardConfig;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code dml.routine=summary} (V5) on a real PostgreSQL 17 with pg_stat_statements and a real
 * KRaft Kafka: routine statements are reported per role and statement shape from PostgreSQL's own
 * counters, nothing one by one; large statements are still reported one by one before commit; what
 * runs while ingest is stopped is reported once it is back.
 */
class RoutineDmlSummaryIT {
    private static final String REGISTRY = "mem://routine-dml-summary-it";
    private static final String CLUSTER = "sum";
    private static final Duration INTERVAL = Duration.ofMillis(200);
    private static EmbeddedPostgres17 pg;
    private static EmbeddedKafka kafka;
    private static PostgresCapture capture;

    @BeforeAll
    static void start() {
        pg = EmbeddedPostgres17.start(Map.of("shared_preload_libraries", "pg_stat_statements", "track_functions", "pl"));
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(Topics.PIPELINE_TOPICS, Map.of());
        capture = startCapture();
    }

    private static PostgresCapture startCapture() {
        PostgresCapture started = new PostgresCapture(IngestConfig.fromMap(settings(true)), new SimpleMeterRegistry());
        started.start(Duration.ofSeconds(60));
        return started;
    }

    private static Map<String, String> settings(boolean updateGated) {
        Map<String, String> settings = new HashMap<>();
        settings.put("firebreak.ingest.cluster", CLUSTER);
        settings.put("firebreak.ingest.pg.host", pg.host());
        settings.put("firebreak.ingest.pg.port", Integer.toString(pg.port()));
        settings.put("firebreak.ingest.pg.database", EmbeddedPostgres17.DATABASE);
        settings.put("firebreak.ingest.pg.user", EmbeddedPostgres17.SUPERUSER);
        settings.put("firebreak.ingest.pg.password", EmbeddedPostgres17.SUPERUSER_PASSWORD);
        settings.put("firebreak.ingest.bootstrap.servers", kafka.bootstrapServers());
        settings.put("firebreak.ingest.schema.registry.url", REGISTRY);
        settings.put("firebreak.ingest.offsets.replication.factor", "1");
        settings.put("firebreak.ingest.dml.routine", "summary");
        settings.put("firebreak.ingest.dml.summary.interval.ms", Long.toString(INTERVAL.toMillis()));
        settings.put("firebreak.ingest." + IngestConfig.UPDATE_GATED, Boolean.toString(updateGated));
        // the sweep that gates a table once it has grown
        settings.put(GuardConfig.INTEGRITY_INTERVAL_MS, "300");
        return settings;
    }

    @AfterAll
    static void stop() {
        if (capture != null) {
            capture.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void routineStatementsAreSummarisedPerRoleAndShapeNotOneByOne() throws Exception {
        String role = newRoleWithTable(1000);
        try (KafkaConsumer<String, AuditEvent> consumer = subscribe();
             Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
            for (int id = 1; id <= 40; id++) {
                assertThat(st.executeUpdate("DELETE FROM " + role + ".t WHERE id = " + id)).isEqualTo(1);
            }
            for (int id = 41; id <= 50; id++) {
                st.executeUpdate("UPDATE " + role + ".t SET v = 'x' WHERE id = " + id);
            }
            List<AuditEvent> events = pollUntilRows(consumer, role, 50);
            List<AuditEvent> summaries = events.stream().filter(RoutineDmlSummaryIT::isSummary).toList();
            assertThat(events).as("no statement reported one by one").allMatch(RoutineDmlSummaryIT::isSummary);
            assertThat(rowsOf(summaries, "DELETE")).isEqualTo(40);
            assertThat(rowsOf(summaries, "UPDATE")).isEqualTo(10);
            AuditEvent delete = summaries.stream().filter(e -> "DELETE".equals(e.getAttributes().get("summary_of")))
                    .findFirst().orElseThrow();
            assertThat(delete.getAction()).isEqualTo("DML SUMMARY");
            assertThat(delete.getSessionUser()).isEqualTo(role);
            assertThat(delete.getAttributes()).containsEntry("origin", "summary").containsEntry("trigger", "dml_summary")
                    .containsKey("calls").containsKey("summary_since_us");
            // the shape, never the literals: PostgreSQL normalises constants to parameters
            assertThat(delete.getStatement()).isEqualTo("DELETE FROM " + role + ".t WHERE id = $1");
            assertThat(delete.getObjects()).extracting(AffectedObject::getIdentity).containsExactly(role + ".t");
            assertThat(delete.getDestructive()).isTrue();
        }
    }

    /**
     * Why summary mode sets pg_stat_statements.track to all, not top: a routine DELETE run inside a
     * function is a nested statement, which track=top does not count, and would be reported nowhere.
     */
    @Test
    void routineStatementsInsideAFunctionAreSummarisedAsRoutine() throws Exception {
        String role = newRoleWithTable(1000);
        try (KafkaConsumer<String, AuditEvent> consumer = subscribe();
             Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
            st.execute("CREATE FUNCTION " + role + ".forget(p_id int) RETURNS void LANGUAGE plpgsql AS "
                    + "$$ BEGIN DELETE FROM " + role + ".t WHERE id = p_id; END $$");
            for (int id = 1; id <= 20; id++) {
                st.execute("SELECT " + role + ".forget(" + id + ")");
            }
            List<AuditEvent> events = pollUntilRows(consumer, role, 20);
            assertThat(events).as("no statement reported one by one").allMatch(RoutineDmlSummaryIT::isSummary);
            assertThat(rowsOf(events, "DELETE")).isEqualTo(20);
            assertThat(events).allSatisfy(e -> assertThat(e.getAttributes()).containsEntry("origin", "routine"));
        }
    }

    @Test
    void largeStatementsAreStillReportedOneByOneBeforeCommit() throws Exception {
        String role = newRoleWithTable(1000);
        try (KafkaConsumer<String, AuditEvent> consumer = subscribe(); Connection agent = pg.connect(role, "pw")) {
            agent.setAutoCommit(false);
            try (Statement st = agent.createStatement()) {
                assertThat(st.executeUpdate("DELETE FROM " + role + ".t WHERE id <= 300")).isEqualTo(300);
                AuditEvent delete = TopicReader.pollUntil(consumer, 1,
                        e -> principal(role).equals(e.getPrincipal()) && "dml".equals(e.getAttributes().get("trigger"))).get(0);
                assertThat(delete.getRowCount()).isEqualTo(300L);
                assertThat(delete.getAttributes()).containsEntry("origin", "session");
            }
            agent.rollback();
        }
    }

    @Test
    void routineUpdatesStopAtTheGateAndALargeOneIsCountedExactly() throws Exception {
        String role = newRoleWithGatedTable(1000);
        try (KafkaConsumer<String, AuditEvent> consumer = subscribe(); Connection agent = pg.connect(role, "pw")) {
            agent.setAutoCommit(false);
            try (Statement st = agent.createStatement()) {
                // the counter the gate reads holds these 99 rows when the large UPDATE begins
                for (int id = 1; id <= 99; id++) {
                    assertThat(st.executeUpdate("UPDATE " + role + ".t SET v = 'r' WHERE id = " + id)).isEqualTo(1);
                }
                assertThat(gateCalls(st)).as("the gate ran for every UPDATE").isEqualTo(99);
                assertThat(judgements(st)).as("and judged none of them").isZero();
                assertThat(st.executeUpdate("UPDATE " + role + ".t SET v = 'big' WHERE id > 500")).isEqualTo(500);
                assertThat(judgements(st)).as("the large UPDATE judged once").isEqualTo(1);
                AuditEvent update = TopicReader.pollUntil(consumer, 1, e -> principal(role).equals(e.getPrincipal())
                        && "dml".equals(e.getAttributes().get("trigger")) && "UPDATE".equals(e.getAction())).get(0);
                assertThat(update.getRowCount()).as("this statement's rows, not the transaction's").isEqualTo(500L);
            }
            agent.commit();
        }
    }

    /**
     * The gate's AFTER function runs as its owner without a search_path of its own (V11): a role that
     * puts its own operators, and temporary domains named like the gate's variable types, ahead of
     * pg_catalog gets none of them run as the owner, and the gate still counts exactly.
     */
    @Test
    void aHostileSearchPathRunsNothingAsTheGatesOwnerNorMovesItsCount() throws Exception {
        String role = newRoleWithGatedTable(1000);
        try (Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
            long rowChange = longOf(st, "SELECT 'firebreak.row_change(text, oid, name, name, bigint, text)'::regprocedure::oid");
            long gate = longOf(st, "SELECT 'firebreak.on_update_gate()'::regprocedure::oid");
            st.execute("CREATE TABLE " + role + ".seen (who text)");
            // each hook notes who ran it and then does what the operator or type it stands in for does
            // (its body is parsed in the caller's path, hence pg_catalog's operators by name)
            st.execute("CREATE FUNCTION " + role + ".spy() RETURNS boolean LANGUAGE sql AS $$ INSERT INTO " + role
                    + ".seen VALUES (current_user) RETURNING true $$");
            st.execute("CREATE FUNCTION " + role + ".minus(a int8, b int8) RETURNS int8 LANGUAGE sql AS $$ SELECT a OPERATOR(pg_catalog.-) b FROM "
                    + role + ".spy() $$");
            st.execute("CREATE FUNCTION " + role + ".less(a int8, b int8) RETURNS boolean LANGUAGE sql AS $$ SELECT a OPERATOR(pg_catalog.<) b FROM "
                    + role + ".spy() $$");
            st.execute("CREATE FUNCTION " + role + ".cat(a text, b text) RETURNS text LANGUAGE sql AS $$ SELECT a OPERATOR(pg_catalog.||) b FROM "
                    + role + ".spy() $$");
            st.execute("CREATE FUNCTION " + role + ".eq(a text, b text) RETURNS boolean LANGUAGE sql AS $$ SELECT a OPERATOR(pg_catalog.=) b FROM "
                    + role + ".spy() $$");
            st.execute("CREATE OPERATOR " + role + ".- (leftarg = int8, rightarg = int8, function = " + role + ".minus)");
            st.execute("CREATE OPERATOR " + role + ".< (leftarg = int8, rightarg = int8, function = " + role + ".less)");
            st.execute("CREATE OPERATOR " + role + ".|| (leftarg = text, rightarg = text, function = " + role + ".cat)");
            st.execute("CREATE OPERATOR " + role + ".= (leftarg = text, rightarg = text, function = " + role + ".eq)");
            st.execute("CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (" + role + ".spy())");
            st.execute("CREATE DOMAIN pg_temp.int8 AS pg_catalog.int8 CHECK (" + role + ".spy())");
            st.execute("SET search_path = " + role + ", pg_catalog");
            assertThat(longOf(st, "SELECT 3::pg_catalog.int8 - 1::pg_catalog.int8")).as("the role's own operator answers").isEqualTo(2);
            agent.setAutoCommit(false);
            for (int id = 1; id <= 99; id++) {
                assertThat(st.executeUpdate("UPDATE " + role + ".t SET v = 'r' WHERE id = " + id)).isEqualTo(1);
            }
            assertThat(callsOf(st, gate)).as("the gate ran for every UPDATE").isEqualTo(99);
            assertThat(callsOf(st, rowChange)).as("and judged none of them").isZero();
            assertThat(st.executeUpdate("UPDATE " + role + ".t SET v = 'big' WHERE id > 500")).isEqualTo(500);
            assertThat(callsOf(st, rowChange)).as("the large UPDATE judged once").isEqualTo(1);
            agent.commit();
            assertThat(longOf(st, "SELECT pg_catalog.count(*) FROM " + role + ".seen WHERE who OPERATOR(pg_catalog.=) '" + role + "'"))
                    .as("the hooks were in the way of unqualified names").isPositive();
            assertThat(longOf(st, "SELECT pg_catalog.count(*) FROM " + role + ".seen WHERE who OPERATOR(pg_catalog.<>) '" + role + "'"))
                    .as("none ran as anyone but the role").isZero();
        }
    }

    /** Calls of the function {@code oid} in this transaction and any before the backend's last statistics flush. */
    private static long callsOf(Statement st, long oid) throws SQLException {
        return longOf(st, "SELECT coalesce(pg_catalog.pg_stat_get_xact_function_calls(" + oid + "::pg_catalog.oid), 0)");
    }

    /**
     * A large statement that rolls back leaves its rows in PostgreSQL's counter while the mark reverts:
     * the next statement's rows must still be its own (the BEFORE trigger marks anew).
     */
    @Test
    void afterARolledBackLargeUpdateTheNextSmallOneIsRoutine() throws Exception {
        String role = newRoleWithGatedTable(1000);
        try (Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
            agent.setAutoCommit(false);
            assertThat(st.executeUpdate("UPDATE " + role + ".t SET v = 'big' WHERE id > 500")).isEqualTo(500);
            agent.rollback();
            assertThat(judgedBy(st, "UPDATE " + role + ".t SET v = 'r' WHERE id = 1"))
                    .as("one row is routine, whatever rolled back before").isZero();
            agent.commit();
        }
    }

    @Test
    void theUpdateTriggersAreOursAndTheirThresholdFollowsTheMode() throws Exception {
        String role = newRoleWithGatedTable(1000);
        try (Connection admin = pg.connect(EmbeddedPostgres17.SUPERUSER, EmbeddedPostgres17.SUPERUSER_PASSWORD);
             Statement st = admin.createStatement();
             Connection agent = pg.connect(role, "pw"); Statement a = agent.createStatement()) {
            String table = "'" + role + ".t'::regclass";
            assertThat(longOf(st, "SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = " + table
                    + " AND firebreak.is_own_trigger(t.oid)")).isEqualTo(4);
            assertThat(longOf(st, "SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = " + table
                    + " AND t.tgqual IS NOT NULL")).as("no condition to parse and plan in every UPDATE").isZero();
            agent.setAutoCommit(false);
            // this session's gate has planned its threshold before the mode changes
            assertThat(judgedBy(a, "UPDATE " + role + ".t SET v = 'r' WHERE id = 1")).as("summary mode: routine").isZero();
            agent.commit();
            try {
                st.execute("SELECT firebreak.set_routine_capture('statement')");
                assertThat(judgedBy(a, "UPDATE " + role + ".t SET v = 'r' WHERE id = 2"))
                        .as("statement mode, same session: every UPDATE reported").isEqualTo(1);
                agent.commit();
                assertThat(longOf(st, "SELECT count(*) FROM firebreak.integrity()")).isZero();
            } finally {
                st.execute("SELECT firebreak.set_routine_capture('summary')");
            }
            assertThat(judgedBy(a, "UPDATE " + role + ".t SET v = 'r' WHERE id = 3")).as("summary mode again").isZero();
            agent.commit();
            assertThat(longOf(st, "SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = " + table
                    + " AND firebreak.is_own_trigger(t.oid)")).isEqualTo(4);
        }
    }

    /**
     * {@code dml.update.gated=false} (V8): UPDATEs pass no trigger of ours, a large one is reported by
     * the summary after it commits instead of at once, DELETE keeps its trigger, and the database's
     * integrity check expects exactly that. Switched back on, the installer puts both triggers back.
     */
    @Test
    void withTheUpdateGateOffUpdatesRunNoTriggerAndTheSummaryReportsThem() throws Exception {
        String role = newRoleWithGatedTable(1000);
        String table = "'" + role + ".t'::regclass";
        String own = "SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = " + table + " AND firebreak.is_own_trigger(t.oid)";
        try (KafkaConsumer<String, AuditEvent> consumer = subscribe();
             Connection admin = pg.connect(EmbeddedPostgres17.SUPERUSER, EmbeddedPostgres17.SUPERUSER_PASSWORD);
             Statement st = admin.createStatement()) {
            try {
                TriggerInstaller.forConfig(IngestConfig.fromMap(settings(false))).install(admin);
                assertThat(longOf(st, "SELECT count(*) FROM pg_trigger WHERE tgrelid = " + table
                        + " AND tgname LIKE 'firebreak_audit_update%'")).as("no UPDATE trigger").isZero();
                assertThat(longOf(st, own)).as("DELETE and TRUNCATE keep theirs").isEqualTo(2);
                assertThat(longOf(st, "SELECT count(*) FROM firebreak.integrity()")).as("nothing reported missing").isZero();
                try (Connection agent = pg.connect(role, "pw"); Statement a = agent.createStatement()) {
                    agent.setAutoCommit(false);
                    assertThat(a.executeUpdate("UPDATE " + role + ".t SET v = 'big' WHERE id > 500")).isEqualTo(500);
                    assertThat(functionCalls(a)).as("no trigger function ran").isZero();
                    agent.commit();
                }
                List<AuditEvent> events = pollUntilRows(consumer, role, 500);
                assertThat(events).as("reported after commit, by the summary alone").allMatch(RoutineDmlSummaryIT::isSummary);
                assertThat(rowsOf(events, "UPDATE")).isEqualTo(500);
            } finally {
                TriggerInstaller.forConfig(IngestConfig.fromMap(settings(true))).install(admin);
            }
            assertThat(longOf(st, own)).as("both UPDATE triggers back").isEqualTo(4);
            assertThat(longOf(st, "SELECT count(*) FROM firebreak.integrity()")).isZero();
        }
    }

    /**
     * V10: no UPDATE of a table holding fewer rows than the threshold can be judged, so in summary
     * mode such a table carries no UPDATE trigger at all, and nothing reports it missing. Once it grows,
     * ingest's integrity sweep gates it, and a large UPDATE is judged before it commits again.
     * Statement mode, which reports every UPDATE from the gate, gates it in the switch's transaction;
     * only the installer takes a gate away.
     */
    @Test
    void aTableTooSmallForAJudgedUpdateCarriesNoGateUntilItGrows() throws Exception {
        String role = newRoleWithTable(10);
        String table = role + ".t";
        String regclass = "'" + table + "'::regclass";
        try (KafkaConsumer<String, AuditEvent> consumer = subscribe();
             Connection admin = pg.connect(EmbeddedPostgres17.SUPERUSER, EmbeddedPostgres17.SUPERUSER_PASSWORD);
             Statement st = admin.createStatement();
             Connection agent = pg.connect(role, "pw"); Statement a = agent.createStatement()) {
            assertThat(ownTriggers(st, table)).as("DELETE and TRUNCATE").isEqualTo(2);
            assertThat(longOf(st, "SELECT count(*) FROM pg_trigger WHERE tgrelid = " + regclass
                    + " AND tgname LIKE 'firebreak_audit_update%'")).as("no UPDATE trigger").isZero();
            assertThat(stringOf(st, "SELECT coalesce(string_agg(problem, '; '), '') FROM firebreak.integrity()"))
                    .as("nothing reported missing").isEmpty();
            assertThat(longOf(st, "SELECT firebreak.tampered(" + regclass + ")::int")).isZero();
            agent.setAutoCommit(false);
            assertThat(a.executeUpdate("UPDATE " + table + " SET v = 'all'")).isEqualTo(10);
            assertThat(functionCalls(a)).as("no trigger function ran").isZero();
            agent.commit();

            st.execute("INSERT INTO " + table + " SELECT g, 'v' || g FROM generate_series(11, 1000) g");
            // this session's statistics reach the shared ones when it is next idle, not up to a second later
            st.execute("SELECT pg_stat_force_next_flush()");
            awaitOwnTriggers(table, 4);
            assertThat(a.executeUpdate("UPDATE " + table + " SET v = 'big' WHERE id > 500")).isEqualTo(500);
            assertThat(judgements(a)).as("the large UPDATE judged before it commits").isEqualTo(1);
            AuditEvent update = TopicReader.pollUntil(consumer, 1, e -> principal(role).equals(e.getPrincipal())
                    && "dml".equals(e.getAttributes().get("trigger")) && "UPDATE".equals(e.getAction())).get(0);
            assertThat(update.getRowCount()).isEqualTo(500L);
            agent.rollback();
        }

        String small = newRoleWithTable(10) + ".t";
        try (Connection admin = pg.connect(EmbeddedPostgres17.SUPERUSER, EmbeddedPostgres17.SUPERUSER_PASSWORD);
             Statement st = admin.createStatement()) {
            assertThat(ownTriggers(st, small)).isEqualTo(2);
            try {
                st.execute("SELECT firebreak.set_routine_capture('statement')");
                assertThat(ownTriggers(st, small)).as("statement mode reports every UPDATE: gated at once").isEqualTo(4);
            } finally {
                st.execute("SELECT firebreak.set_routine_capture('summary')");
            }
            assertThat(ownTriggers(st, small)).as("a running ingest never takes a gate away").isEqualTo(4);
            assertThat(longOf(st, "SELECT count(*) FROM firebreak.integrity()")).isZero();
            TriggerInstaller.GateSummary scoped = TriggerInstaller.scopeUpdateGates(admin, true);
            assertThat(scoped.ungated()).as("the installer does").isGreaterThanOrEqualTo(1);
            assertThat(scoped.problems()).isEmpty();
            assertThat(ownTriggers(st, small)).isEqualTo(2);
            assertThat(longOf(st, "SELECT count(*) FROM firebreak.integrity()")).isZero();
        }
    }

    /** A grown table the sweep cannot gate now (a writer holds a lock CREATE TRIGGER waits for) is a problem until it can. */
    @Test
    void aGrownTableThatCannotBeGatedNowIsReportedUntilItIs() throws Exception {
        String table = newRoleWithTable(10) + ".t";
        try (Connection admin = pg.connect(EmbeddedPostgres17.SUPERUSER, EmbeddedPostgres17.SUPERUSER_PASSWORD);
             Statement st = admin.createStatement();
             Connection writer = pg.connect(EmbeddedPostgres17.SUPERUSER, EmbeddedPostgres17.SUPERUSER_PASSWORD);
             Statement w = writer.createStatement()) {
            writer.setAutoCommit(false);
            // ROW EXCLUSIVE lets the INSERT below through and keeps CREATE TRIGGER (SHARE ROW EXCLUSIVE) out
            w.execute("LOCK TABLE " + table + " IN ROW EXCLUSIVE MODE");
            st.execute("INSERT INTO " + table + " SELECT g, 'v' || g FROM generate_series(11, 1000) g");
            st.execute("SELECT pg_stat_force_next_flush()");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(TriggerInstaller.scopeUpdateGates(admin, false)
                    .problems()).anyMatch(p -> p.startsWith(table + " lacks the UPDATE gate it needs")));
            assertThat(ownTriggers(st, table)).isEqualTo(2);
            writer.rollback();
            awaitOwnTriggers(table, 4);
        }
    }

    @Test
    void aTableOwnerCannotReplaceTheGateOfItsTable() throws Exception {
        String role = newRoleWithGatedTable(1000);
        try (Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
            String oid = stringOf(st, "SELECT '" + role + ".t'::regclass::oid::text");
            assertThatThrownBy(() -> st.execute("CREATE OR REPLACE TRIGGER firebreak_audit_update AFTER UPDATE ON " + role
                    + ".t FOR EACH STATEMENT WHEN (false) EXECUTE FUNCTION firebreak.on_update_gate('marked')"))
                    .hasMessageContaining("permission denied for function firebreak.on_update_gate");
            assertThatThrownBy(() -> st.execute("CREATE OR REPLACE TRIGGER firebreak_audit_update_mark BEFORE UPDATE ON " + role
                    + ".t FOR EACH STATEMENT WHEN (false) EXECUTE FUNCTION firebreak.on_update_mark()"))
                    .hasMessageContaining("permission denied for function firebreak.on_update_mark");
            assertThatThrownBy(() -> st.execute("SELECT firebreak.row_change('UPDATE', " + oid + ", 'public', 't', 1000000, '')"))
                    .as("nor emit a judgement of its own").hasMessageContaining("permission denied for function row_change");
            assertThat(longOf(st, "SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = " + oid
                    + " AND t.tgname LIKE 'firebreak_audit_update%' AND t.tgqual IS NULL"))
                    .as("the triggers stay as the installer made them").isEqualTo(2);
        }
    }

    @Test
    void whatRunsWhileIngestIsStoppedIsReportedWhenItIsBack() throws Exception {
        String role = newRoleWithTable(1000);
        Set<String> ids = new HashSet<>();
        try (KafkaConsumer<String, AuditEvent> consumer = subscribe()) {
            try (Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
                for (int id = 1; id <= 5; id++) {
                    st.executeUpdate("DELETE FROM " + role + ".t WHERE id = " + id);
                }
                pollUntilRows(consumer, role, 5, ids);
                capture.close();
                capture = null;
                for (int id = 6; id <= 30; id++) {
                    st.executeUpdate("DELETE FROM " + role + ".t WHERE id = " + id);
                }
            }
            capture = startCapture();
            List<AuditEvent> later = pollUntilRows(consumer, role, 25, ids);
            assertThat(rowsOf(later, "DELETE")).as("exactly the rows deleted while stopped").isEqualTo(25);
        }
    }

    @Test
    void noOrdinaryRoleMaySummariseOrMoveTheCursor() throws Exception {
        String role = newRoleWithTable(1);
        try (Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
            assertThatThrownBy(() -> st.execute("SELECT firebreak.summarize_routine_dml(10)"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
            assertThatThrownBy(() -> st.execute("DELETE FROM firebreak.statement_cursor"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
            assertThatThrownBy(() -> st.execute("SELECT firebreak.set_routine_capture('statement')"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
        }
    }

    // --- helpers -------------------------------------------------------------------------------

    private static KafkaConsumer<String, AuditEvent> subscribe() {
        return TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
    }

    private static boolean isSummary(AuditEvent e) {
        return "dml_summary".equals(e.getAttributes().get("trigger"));
    }

    private static long rowsOf(List<AuditEvent> summaries, String of) {
        return summaries.stream().filter(RoutineDmlSummaryIT::isSummary)
                .filter(e -> of.equals(e.getAttributes().get("summary_of")))
                .mapToLong(e -> e.getRowCount() == null ? 0 : e.getRowCount()).sum();
    }

    /**
     * The role's DML events (one by one or summarised) until their rows add up to {@code rows}. A
     * restart may deliver an event twice (at least once, same event id): counted once, as detection does.
     */
    private static List<AuditEvent> pollUntilRows(KafkaConsumer<String, AuditEvent> consumer, String role, long rows) {
        return pollUntilRows(consumer, role, rows, new HashSet<>());
    }

    /** As above, counting no event whose id is in {@code ids} (events seen by earlier calls). */
    private static List<AuditEvent> pollUntilRows(KafkaConsumer<String, AuditEvent> consumer, String role, long rows,
                                                  Set<String> ids) {
        List<AuditEvent> seen = new ArrayList<>();
        long total = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (total < rows && System.nanoTime() < deadline) {
            for (var record : consumer.poll(Duration.ofMillis(100))) {
                AuditEvent e = record.value();
                String trigger = e.getAttributes().get("trigger");
                if (principal(role).equals(e.getPrincipal()) && ("dml".equals(trigger) || "dml_summary".equals(trigger))
                        && ids.add(e.getEventId())) {
                    seen.add(e);
                    total += e.getRowCount() == null ? 0 : e.getRowCount();
                }
            }
        }
        assertThat(total).as("rows reported for %s within 30 s", role).isEqualTo(rows);
        return seen;
    }

    private static String principal(String role) {
        return AuditMessageNormalizer.principalOf(CLUSTER, role);
    }

    // Calls of a function since the backend last flushed its statistics, at most its current transaction
    // and any before it (track_functions is on for the test cluster).
    private static long callsOf(Statement st, String function) throws SQLException {
        return longOf(st, "SELECT coalesce(pg_stat_get_xact_function_calls('" + function + "'::regprocedure), 0)");
    }

    /** Runs of any Firebreak trigger function on UPDATE or DELETE in this transaction. */
    private static long functionCalls(Statement st) throws SQLException {
        return callsOf(st, "firebreak.on_row_change()") + callsOf(st, "firebreak.on_update_mark()") + gateCalls(st);
    }

    private static long gateCalls(Statement st) throws SQLException {
        return callsOf(st, "firebreak.on_update_gate()");
    }

    /**
     * How many times {@code update} was handed to Firebreak's judgement. The counts are the backend's
     * since its last statistics flush, which happens only between transactions: the caller has
     * autocommit off, so both readings and the statement are in one transaction.
     */
    private static long judgedBy(Statement st, String update) throws SQLException {
        long before = judgements(st);
        st.executeUpdate(update);
        return judgements(st) - before;
    }

    /** Statements handed to Firebreak's judgement (a routine message or more) since the last flush. */
    private static long judgements(Statement st) throws SQLException {
        return callsOf(st, "firebreak.row_change(text, oid, name, name, bigint, text)");
    }

    private static long longOf(Statement st, String sql) throws SQLException {
        try (var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String stringOf(Statement st, String sql) throws SQLException {
        try (var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String newRoleWithTable(int rows) throws SQLException {
        return TestRoles.newRoleWithTable(pg, "s", rows);
    }

    /**
     * A table created empty carries no UPDATE gate in summary mode; the integrity sweep adds it once
     * the inserting session's statistics show its rows (flushed when that session ends).
     */
    private static String newRoleWithGatedTable(int rows) throws SQLException {
        String role = newRoleWithTable(rows);
        awaitOwnTriggers(role + ".t", 4);
        return role;
    }

    private static void awaitOwnTriggers(String table, long count) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
                assertThat(ownTriggers(st, table)).as("Firebreak's triggers on " + table).isEqualTo(count);
            }
        });
    }

    private static long ownTriggers(Statement st, String table) throws SQLException {
        return longOf(st, "SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = '" + table + "'::regclass"
                + " AND firebreak.is_own_trigger(t.oid)");
    }
}
