package dev.firebreak.ingest.postgres;

import dev.firebreak.ingest.TopicReader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.postgres.TriggerInstaller.DmlScope;
import dev.firebreak.ingest.postgres.TriggerInstaller.WatchSummary;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Statement-level DML capture (V2) on a real PostgreSQL 17 and a real KRaft Kafka: row counts
 * before commit, TRUNCATE, tables created later, exclusions, attribution and uninstall. The audit
 * topic has one partition, so a later event proves that nothing matching came before it.
 */
class DmlCaptureIT {
    private static final String REGISTRY = "mem://dml-capture-it";
    private static final String CLUSTER = "it";
    private static EmbeddedPostgres17 pg;
    private static EmbeddedKafka kafka;
    private static PostgresCapture capture;

    @BeforeAll
    static void start() {
        // without pg_stat_statements: dml.routine=summary must be refused here
        pg = EmbeddedPostgres17.start(Map.of("shared_preload_libraries", ""));
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(Topics.PIPELINE_TOPICS, Map.of());
        capture = new PostgresCapture(IngestConfig.of(CLUSTER, pg.host(), pg.port(), EmbeddedPostgres17.DATABASE,
                EmbeddedPostgres17.SUPERUSER, EmbeddedPostgres17.SUPERUSER_PASSWORD, kafka.bootstrapServers(), REGISTRY, 1),
                new SimpleMeterRegistry());
        capture.start(Duration.ofSeconds(60));
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
    void deleteRowCountArrivesBeforeCommit() throws Exception {
        String role = newRoleWithTable(500);
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection agent = pg.connect(role, "pw")) {
            agent.setAutoCommit(false);
            try (Statement st = agent.createStatement()) {
                st.execute("SET application_name = 'cleanup-bot'");
                assertThat(st.executeUpdate("DELETE FROM " + role + ".t")).isEqualTo(500);
                // still inside the transaction: the event must be there already
                AuditEvent delete = pollUntil(consumer, e -> isDml(e, role, "DELETE"));
                assertThat(rowsVisibleToOthers(role + ".t")).as("nothing committed yet").isEqualTo(500);
                assertThat(delete.getRowCount()).isEqualTo(500L);
                assertThat(delete.getDestructive()).isTrue();
                assertThat(delete.getPrincipal()).isEqualTo(principal(role));
                assertThat(delete.getSessionUser()).isEqualTo(role);
                assertThat(delete.getEffectiveUser()).isEqualTo(role);
                assertThat(delete.getApplicationName()).isEqualTo("cleanup-bot");
                assertThat(delete.getBackendPid()).isPositive();
                assertThat(delete.getTxid()).isNotNull();
                assertThat(delete.getStatement()).isEqualTo("DELETE FROM " + role + ".t");
                assertThat(delete.getAttributes()).containsEntry("trigger", "dml");
                assertThat(delete.getObjects()).extracting(AffectedObject::getObjectType, AffectedObject::getIdentity)
                        .containsExactly(Tuple.tuple("table", role + ".t"));
            }
            agent.rollback();
        }
    }

    @Test
    void updateRowCountArrivesBeforeCommit() throws Exception {
        String role = newRoleWithTable(500);
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection agent = pg.connect(role, "pw")) {
            agent.setAutoCommit(false);
            try (Statement st = agent.createStatement()) {
                st.executeUpdate("UPDATE " + role + ".t SET v = 'overwritten'");
                AuditEvent update = pollUntil(consumer, e -> isDml(e, role, "UPDATE"));
                assertThat(rowsVisibleToOthers(role + ".t WHERE v = 'overwritten'")).isZero();
                assertThat(update.getRowCount()).isEqualTo(500L);
                assertThat(update.getDestructive()).isTrue();
            }
            agent.rollback();
        }
    }

    @Test
    void statementsThatTouchNoRowAreNotReported() throws Exception {
        String role = newRoleWithTable(10);
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
            st.executeUpdate("DELETE FROM " + role + ".t WHERE id < 0");
            st.executeUpdate("UPDATE " + role + ".t SET v = 'x' WHERE id < 0");
            st.executeUpdate("DELETE FROM " + role + ".t WHERE id = 1");
            List<AuditEvent> events = pollThrough(consumer, e -> isDml(e, role, "DELETE") && e.getRowCount() == 1);
            assertThat(events).filteredOn(e -> principal(role).equals(e.getPrincipal()))
                    .extracting(AuditEvent::getStatement)
                    .containsExactly("DELETE FROM " + role + ".t WHERE id = 1");
        }
    }

    @Test
    void multiTableTruncateReportsEveryTable() throws Exception {
        String role = newRoleWithTable(5);
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE TABLE " + role + ".u (id int)");
            st.execute("ALTER TABLE " + role + ".u OWNER TO " + role);
        }
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
            st.execute("TRUNCATE " + role + ".t, " + role + ".u");
            List<AuditEvent> truncates = TopicReader.pollUntil(consumer, 2, e -> isTruncate(e, role));
            assertThat(truncates).flatExtracting(AuditEvent::getObjects).extracting(AffectedObject::getIdentity)
                    .containsExactlyInAnyOrder(role + ".t", role + ".u");
            assertThat(truncates).allSatisfy(e -> {
                assertThat(e.getAction()).isEqualTo("TRUNCATE");
                assertThat(e.getDestructive()).isTrue();
                assertThat(e.getRowCount()).isNull();
                assertThat(e.getStatement()).isEqualTo("TRUNCATE " + role + ".t, " + role + ".u");
                assertThat(e.getAttributes()).containsEntry("trigger", "truncate");
            });
            assertThat(truncates).extracting(AuditEvent::getTxid).containsOnly(truncates.get(0).getTxid());
        }
    }

    @Test
    void tablesCreatedAfterInstallAreWatchedWithoutTriggerNoise() throws Exception {
        String role = newRoleWithTable(0);
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
            st.execute("CREATE TABLE " + role + ".created_later (id int)");
            st.execute("CREATE TABLE " + role + ".created_as AS SELECT g AS id FROM generate_series(1, 7) g");
            st.execute("INSERT INTO " + role + ".created_later SELECT generate_series(1, 42)");
            st.execute("DELETE FROM " + role + ".created_later");
            st.execute("DELETE FROM " + role + ".created_as");
            List<AuditEvent> events = pollThrough(consumer, e -> isDml(e, role, "DELETE")
                    && e.getObjects().get(0).getIdentity().equals(role + ".created_as"));
            List<AuditEvent> mine = events.stream().filter(e -> principal(role).equals(e.getPrincipal())).toList();
            assertThat(mine).extracting(AuditEvent::getAction, AuditEvent::getRowCount).containsExactly(
                    Tuple.tuple("CREATE TABLE", null),
                    Tuple.tuple("CREATE TABLE AS", null),
                    Tuple.tuple("DELETE", 42L),
                    Tuple.tuple("DELETE", 7L));
        }
        assertThat(auditTriggers(role + ".created_later")).isEqualTo(4);
    }

    @Test
    void excludedSchemasAndTablesGetNoTriggersAndNoEvents() throws Exception {
        String role = newRoleWithTable(3);
        String excludedSchema = role + "_x";
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE SCHEMA " + excludedSchema + " AUTHORIZATION " + role);
            st.execute("CREATE TABLE " + excludedSchema + ".before_install (id int)");
            st.execute("CREATE TABLE " + role + ".skipped (id int)");
            st.execute("ALTER TABLE " + excludedSchema + ".before_install OWNER TO " + role);
            st.execute("ALTER TABLE " + role + ".skipped OWNER TO " + role);
        }
        assertThat(auditTriggers(role + ".skipped")).isEqualTo(4);
        DmlScope scope = new DmlScope(true, List.of(excludedSchema), List.of(role + ".skipped"));
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection admin = pg.superuserConnection()) {
            try {
                installer(scope).install(admin);
                assertThat(auditTriggers(excludedSchema + ".before_install")).isZero();
                assertThat(auditTriggers(role + ".skipped")).isZero();
                assertThat(auditTriggers(role + ".t")).isEqualTo(4);
                try (Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
                    st.execute("CREATE TABLE " + excludedSchema + ".after_install (id int)");
                    assertThat(auditTriggers(excludedSchema + ".after_install")).isZero();
                    for (String table : List.of(excludedSchema + ".before_install", excludedSchema + ".after_install",
                            role + ".skipped")) {
                        st.execute("INSERT INTO " + table + " VALUES (1)");
                        st.execute("DELETE FROM " + table);
                        st.execute("TRUNCATE " + table);
                    }
                    st.execute("DELETE FROM " + role + ".t WHERE id = 1");
                }
                List<AuditEvent> events = pollThrough(consumer, e -> isDml(e, role, "DELETE"));
                assertThat(events).filteredOn(e -> e.getAttributes().get("trigger").matches("dml|truncate"))
                        .filteredOn(e -> e.getPrincipal().equals(principal(role)))
                        .extracting(e -> e.getObjects().get(0).getIdentity())
                        .containsExactly(role + ".t");
                // the installer's own trigger removals are not reported as drops
                assertThat(events).noneMatch(e -> e.getAction().equals("DROP TRIGGER")
                        && e.getObjects().stream().anyMatch(o -> o.getIdentity().contains(role)));
            } finally {
                installer(DmlScope.ALL_TABLES).install(admin);
            }
        }
        assertThat(auditTriggers(role + ".skipped")).as("watched again once no longer excluded").isEqualTo(4);
    }

    @Test
    void setRoleKeepsTheLoginAsPrincipalAndTheRoleAsEffectiveUser() throws Exception {
        String login = newRoleWithTable(0);
        String owner = newRoleWithTable(20);
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("GRANT " + owner + " TO " + login);
        }
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection agent = pg.connect(login, "pw"); Statement st = agent.createStatement()) {
            st.execute("SET ROLE " + owner);
            st.execute("DELETE FROM " + owner + ".t WHERE id <= 5");
            AuditEvent delete = pollUntil(consumer, e -> isDml(e, login, "DELETE"));
            assertThat(delete.getSessionUser()).isEqualTo(login);
            assertThat(delete.getEffectiveUser()).isEqualTo(owner);
            assertThat(delete.getAttributes()).containsEntry("role_setting", owner);
            assertThat(delete.getRowCount()).isEqualTo(5L);
        }
    }

    @Test
    void securityDefinerFunctionIsAttributedToItsCallerAndMarkedAsARoutine() throws Exception {
        String caller = newRoleWithTable(0);
        String definer = newRoleWithTable(30);
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE FUNCTION " + definer + ".purge() RETURNS void LANGUAGE sql SECURITY DEFINER "
                    + "SET search_path = pg_catalog AS 'DELETE FROM " + definer + ".t'");
            st.execute("ALTER FUNCTION " + definer + ".purge() OWNER TO " + definer);
            st.execute("GRANT USAGE ON SCHEMA " + definer + " TO " + caller);
        }
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection agent = pg.connect(caller, "pw"); Statement st = agent.createStatement()) {
            st.execute("SELECT " + definer + ".purge()");
            AuditEvent delete = pollUntil(consumer, e -> isDml(e, caller, "DELETE"));
            assertThat(delete.getPrincipal()).isEqualTo(principal(caller));
            assertThat(delete.getSessionUser()).isEqualTo(caller);
            // The trigger functions run as Firebreak (so nobody else can emit): the definer is not
            // visible as current_user any more; the routine that ran the DELETE is, and it marks
            // the event as one a revocation must not rest on.
            assertThat(delete.getEffectiveUser()).isEqualTo(caller);
            assertThat(delete.getAttributes()).containsEntry("origin", "routine");
            assertThat(delete.getAttributes().get("routine")).contains("purge");
            assertThat(delete.getRowCount()).isEqualTo(30L);
            assertThat(delete.getStatement()).isEqualTo("SELECT " + definer + ".purge()");
        }
    }

    @Test
    void lookalikeTriggerIsRefusedAsTamperingAndTheRealOneStays() throws Exception {
        String role = newRoleWithTable(10);
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
            // Firebreak's trigger functions are not the table owner's to use
            assertThatThrownBy(() -> st.execute("CREATE OR REPLACE TRIGGER firebreak_audit_delete AFTER DELETE ON " + role + ".t "
                    + "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (false) EXECUTE FUNCTION firebreak.on_row_change()"))
                    .hasMessageContaining("permission denied for function firebreak.on_row_change");
            // same name, the owner's own function: it would replace ours, so it is tampering, refused
            st.execute("CREATE FUNCTION " + role + ".noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'");
            assertThatThrownBy(() -> st.execute("CREATE OR REPLACE TRIGGER firebreak_audit_delete AFTER DELETE ON " + role + ".t "
                    + "FOR EACH STATEMENT EXECUTE FUNCTION " + role + ".noop()"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("FB003"));
            AuditEvent tamper = pollUntil(consumer, e -> principal(role).equals(e.getPrincipal())
                    && e.getAction().equals("CREATE TRIGGER"));
            assertThat(tamper.getObjects()).extracting(AffectedObject::getIdentity)
                    .containsExactly("firebreak_audit_delete on " + role + ".t");
            assertThat(tamper.getAttributes()).containsEntry("guard_outcome", "blocked")
                    .containsEntry("guard_rule", "firebreak-tamper").containsEntry("tamper", "true");
            assertThat(auditTriggers(role + ".t")).isEqualTo(4);
            st.execute("DELETE FROM " + role + ".t WHERE id <= 4");
            assertThat(pollUntil(consumer, e -> isDml(e, role, "DELETE")).getRowCount()).isEqualTo(4L);
        }
    }

    @Test
    void alterGrantAndRevokeAreReportedWithTheirTags() throws Exception {
        String role = newRoleWithTable(1);
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
            st.execute("ALTER TABLE " + role + ".t ADD COLUMN extra int");
            st.execute("GRANT SELECT ON " + role + ".t TO PUBLIC");
            st.execute("REVOKE SELECT ON " + role + ".t FROM PUBLIC");
            List<AuditEvent> ddl = TopicReader.pollUntil(consumer, 3, e -> principal(role).equals(e.getPrincipal())
                    && "ddl_command_end".equals(e.getAttributes().get("trigger")));
            assertThat(ddl).extracting(AuditEvent::getAction).containsExactly("ALTER TABLE", "GRANT", "REVOKE");
            assertThat(ddl.get(0).getObjects()).extracting(AffectedObject::getObjectType, AffectedObject::getIdentity)
                    .contains(Tuple.tuple("table", role + ".t"));
            assertThat(ddl.get(1).getObjects()).extracting(o -> o.getObjectType().toLowerCase()).containsExactly("table");
            assertThat(ddl).noneMatch(AuditEvent::getDestructive);
        }
    }

    @Test
    void reinstallingChangesNothing() throws Exception {
        try (Connection admin = pg.superuserConnection()) {
            TriggerInstaller installer = installer(DmlScope.ALL_TABLES);
            assertThat(installer.install(admin)).isEmpty();
            assertThat(installer.watchTables(admin)).isEqualTo(new WatchSummary(0, 0, 0));
            assertThat(TriggerInstaller.installedVersion(admin)).isEqualTo(TriggerInstaller.latestVersion());
        }
    }

    @Test
    void aRoleThatMayNotChangeTheScopeLeavesItAlone() throws Exception {
        String runtime = newRoleWithTable(1);
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            // enough to read the installed version, not to change the scope
            st.execute("GRANT SELECT ON firebreak.schema_version TO " + runtime);
        }
        try (Connection c = pg.connect(runtime, "pw")) {
            assertThat(installer(new DmlScope(false, List.of(), List.of())).install(c)).isEmpty();
        }
        assertThat(auditTriggers(runtime + ".t")).isEqualTo(4);
    }

    @Test
    void disablingDmlCaptureRemovesEveryTriggerAndAddsNoneToNewTables() throws Exception {
        try (Connection db = freshDatabase("dml_off")) {
            try (Statement st = db.createStatement()) {
                st.execute("CREATE TABLE before_install (id int)");
            }
            installer(new DmlScope(false, List.of(), List.of())).install(db);
            try (Statement st = db.createStatement()) {
                st.execute("CREATE TABLE after_install (id int)");
            }
            assertThat(countIn(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'firebreak_audit_%'")).isZero();
            installer(DmlScope.ALL_TABLES).install(db);
            assertThat(countIn(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'firebreak_audit_%'")).isEqualTo(8);
            installer(new DmlScope(false, List.of(), List.of())).install(db);
            assertThat(countIn(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'firebreak_audit_%'")).isZero();
        }
    }

    /**
     * A table dropped while the integrity check runs is not reported as lacking its triggers. The
     * check's snapshot still sees the table while the catalog lookups inside it see the drop; a
     * repeatable-read transaction holds that state still, where a live check only met it by chance.
     */
    @Test
    void aTableDroppedDuringTheIntegrityCheckIsNotReportedAsLackingItsTriggers() throws Exception {
        try (Connection db = freshDatabase("integrity_race"); Connection other = connectTo("integrity_race")) {
            installer(DmlScope.ALL_TABLES).install(db);
            try (Statement st = db.createStatement()) {
                st.execute("CREATE TABLE doomed (id int)");
            }
            assertThat(countIn(db, "SELECT count(*) FROM firebreak.integrity()")).isZero();
            other.setAutoCommit(false);
            other.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            assertThat(countIn(other, "SELECT count(*) FROM pg_class WHERE relname = 'doomed'")).as("snapshot taken").isOne();
            try (Statement st = db.createStatement()) {
                st.execute("DROP TABLE doomed");
            }
            assertThat(countIn(other, "SELECT count(*) FROM firebreak.integrity()")).isZero();
            other.rollback();
        }
    }

    @Test
    void uninstallRemovesEverythingAndInstallingAgainWorks() throws Exception {
        try (Connection db = freshDatabase("uninstall_it")) {
            TriggerInstaller installer = installer(DmlScope.ALL_TABLES);
            assertThat(installer.install(db)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
            try (Statement st = db.createStatement()) {
                st.execute("CREATE SCHEMA app");
                st.execute("CREATE TABLE app.orders (id int)");
                st.execute("CREATE TABLE app.parts (id int, k int) PARTITION BY RANGE (k)");
                st.execute("CREATE TABLE app.parts_1 PARTITION OF app.parts FOR VALUES FROM (0) TO (10)");
            }
            assertThat(countIn(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'firebreak_audit_%'")).isEqualTo(12);

            installer.uninstall(db);
            assertThat(countIn(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'firebreak_%'")).isZero();
            assertThat(countIn(db, "SELECT count(*) FROM pg_event_trigger")).isZero();
            assertThat(countIn(db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'firebreak'")).isZero();
            assertThat(countIn(db, "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    + "WHERE n.nspname = 'firebreak'")).isZero();
            assertThat(countIn(db, "SELECT count(*) FROM pg_publication WHERE pubname = 'firebreak_audit'")).isZero();
            assertThat(countIn(db, "SELECT count(*) FROM pg_proc WHERE proname = 'pg_logical_emit_message' "
                    + "AND has_function_privilege('public', oid, 'EXECUTE')")).as("stock privilege restored").isEqualTo(2);
            assertThat(TriggerInstaller.installedVersion(db)).isZero();

            assertThat(installer.install(db)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
            assertThat(countIn(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'firebreak_audit_%'")).isEqualTo(12);
            assertThat(countIn(db, "SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'firebreak_%'")).isEqualTo(3);
            assertThat(countIn(db, "SELECT count(*) FROM pg_proc WHERE proname = 'pg_logical_emit_message' "
                    + "AND has_function_privilege('public', oid, 'EXECUTE')")).as("revoked again").isZero();
        }
    }

    @Test
    void summarisingRoutineDmlIsRefusedWithoutPgStatStatementsAndNothingChanges() throws Exception {
        try (Connection admin = pg.superuserConnection()) {
            assertThatThrownBy(() -> TriggerInstaller.setRoutineCapture(admin, "summary"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("shared_preload_libraries");
            assertThatThrownBy(() -> TriggerInstaller.setRoutineCapture(admin, "sampled"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("must be statement or summary");
            assertThat(countIn(admin, "SELECT count(*) FROM pg_proc WHERE proname = 'routine_summarized' "
                    + "AND prosrc LIKE '%false%'")).as("still one event per routine statement").isEqualTo(1);
        }
    }

    // --- helpers -------------------------------------------------------------------------------

    private static TriggerInstaller installer(DmlScope scope) {
        return new TriggerInstaller(IngestConfig.DEFAULT_MESSAGE_PREFIX, "firebreak_audit", 2048, scope);
    }

    private static String newRoleWithTable(int rows) throws SQLException {
        return TestRoles.newRoleWithTable(pg, "r", rows);
    }

    private static String principal(String role) {
        return AuditMessageNormalizer.principalOf(CLUSTER, role);
    }

    private static boolean isDml(AuditEvent e, String role, String action) {
        return principal(role).equals(e.getPrincipal()) && action.equals(e.getAction())
                && "dml".equals(e.getAttributes().get("trigger"));
    }

    private static boolean isTruncate(AuditEvent e, String role) {
        return principal(role).equals(e.getPrincipal()) && "truncate".equals(e.getAttributes().get("trigger"));
    }

    private static long rowsVisibleToOthers(String tableAndFilter) throws SQLException {
        try (Connection admin = pg.superuserConnection()) {
            return countIn(admin, "SELECT count(*) FROM " + tableAndFilter);
        }
    }

    private static long auditTriggers(String table) throws SQLException {
        try (Connection admin = pg.superuserConnection()) {
            return countIn(admin, "SELECT count(*) FROM pg_trigger WHERE tgrelid = '" + table + "'::regclass "
                    + "AND firebreak.is_own_trigger(oid)");
        }
    }

    private static long countIn(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Another superuser session to a database made by {@link #freshDatabase}. */
    private static Connection connectTo(String name) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", EmbeddedPostgres17.SUPERUSER);
        props.setProperty("password", EmbeddedPostgres17.SUPERUSER_PASSWORD);
        return DriverManager.getConnection(pg.jdbcUrl(name), props);
    }

    /** A new, empty database on the same server; the capture does not read it. */
    private static Connection freshDatabase(String name) throws SQLException {
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + name);
            st.execute("CREATE DATABASE " + name);
        }
        Properties props = new Properties();
        props.setProperty("user", EmbeddedPostgres17.SUPERUSER);
        props.setProperty("password", EmbeddedPostgres17.SUPERUSER_PASSWORD);
        return DriverManager.getConnection(pg.jdbcUrl(name), props);
    }

    private static AuditEvent pollUntil(KafkaConsumer<String, AuditEvent> consumer, Predicate<AuditEvent> match) {
        return TopicReader.pollUntil(consumer, 1, match).get(0);
    }

    /** Every event up to and including the first that matches {@code last}. */
    private static List<AuditEvent> pollThrough(KafkaConsumer<String, AuditEvent> consumer, Predicate<AuditEvent> last) {
        List<AuditEvent> seen = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            for (var record : consumer.poll(Duration.ofMillis(100))) {
                seen.add(record.value());
                if (last.test(record.value())) {
                    return seen;
                }
            }
        }
        throw new AssertionError("no matching record within 30 s; saw " + seen.size());
    }
}
