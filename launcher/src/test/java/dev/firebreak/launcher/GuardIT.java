package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.launcher.demo.OutcomeWatcher;
import dev.firebreak.launcher.pipeline.Pipeline;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The first line of defence on the real in-JVM stack, with the bundled rules and every
 * non-superuser role guarded (as {@code local} and {@code demo} run): PostgreSQL refuses the
 * destroying statement itself, the refusal reaches Kafka and detection, and ordinary work runs
 * untouched. Also the trust boundary of capture: no role can emit an audit message, so none can
 * frame another, and one poisonous record cannot blind capture.
 */
class GuardIT {

    /** SQLSTATE admin_shutdown: the kill switch terminated the session (pg_terminate_backend). */
    private static final String KILLED_BY_KILL_SWITCH = "57P01";
    private static final String CLUSTER = "guard";
    private static final String MIGRATOR = "migrator";
    private static LocalStack stack;
    private static Pipeline pipeline;
    private static OutcomeWatcher watcher;
    private static Path rulesFolder;
    private static final List<AuditEvent> EVENTS = new CopyOnWriteArrayList<>();
    private static final List<DeadLetter> DEAD_LETTERS = new CopyOnWriteArrayList<>();
    private static final AtomicBoolean READING = new AtomicBoolean(true);
    private static Thread reader;

    @BeforeAll
    static void start() throws Exception {
        rulesFolder = Files.createTempDirectory("firebreak-guard-rules");
        Files.copy(DetectionQualityIT.bundledRules(), rulesFolder.resolve("firebreak.yaml"));
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Files.writeString(rulesFolder.resolve("exceptions.yaml"), """
                version: 1
                exceptions:
                  - rule: "*"
                    principal: "pg:%s/%s"
                    reason: schema rebuild, CHG-42
                    expires: %s
                """.formatted(CLUSTER, MIGRATOR, now.plus(Duration.ofDays(1))));
        stack = LocalStack.start(1, m -> { });
        Map<String, String> settings = PipelineSettings.stackMap(stack, CLUSTER, List.of());
        settings.put(DetectionConfig.RULES_PATH, rulesFolder.toString());
        pipeline = Pipeline.start(PipelineSettings.fromMap(settings), new SimpleMeterRegistry(), m -> { });
        watcher = new OutcomeWatcher(stack.observerClientProperties(), stack.registryUrl(), a -> { }, r -> { });
        reader = new Thread(GuardIT::readAuditTopics, "guard-it-reader");
        reader.start();
    }

    @AfterAll
    static void stop() throws Exception {
        READING.set(false);
        if (reader != null) {
            reader.join(5000);
        }
        for (AutoCloseable c : new AutoCloseable[] {watcher, pipeline, stack}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }

    // ------------------------------------------------------------------ what one statement destroys

    @Test
    void oneCascadeOfTwoHundredTablesLosesNothing() throws Exception {
        String role = newRole("cascade");
        createTables(role, 200, 1);
        try (Connection c = connect(role); Statement st = c.createStatement()) {
            SQLException refused = refusal(() -> st.execute("DROP SCHEMA " + role + " CASCADE"));
            assertThat(refused.getSQLState()).isEqualTo("FB001");
            assertThat(refused.getMessage()).contains("guard-statement-drops");
        }
        assertThat(count("SELECT count(*) FROM pg_tables WHERE schemaname = '" + role + "'")).isEqualTo(200);
        AuditEvent blocked = awaitEvent(e -> principal(role).equals(e.getPrincipal())
                && "blocked".equals(e.getAttributes().get("guard_outcome")));
        assertThat(blocked.getAction()).isEqualTo("DROP SCHEMA");
        assertThat(blocked.getAttributes()).containsEntry("guard_rule", "guard-statement-drops")
                .containsEntry("objects_total", "201");
        // listed up to objects.max; the total says how many it would have been
        assertThat(blocked.getObjects()).hasSize(100);
        // a refused burst still counts in the windows: 100 listed tables trip the burst rule
        assertRevoked(role);
    }

    @Test
    void wholeTableDeleteAndUpdateLoseNoRow() throws Exception {
        // two roles: the refused whole-table DELETE still counts, and the live pg-whole-table-delete
        // rule locks its role out, which would end the session before the UPDATE is tried
        String role = newRole("wipe");
        createTables(role, 1, 20_000);
        String updater = newRole("wipeu");
        createTables(updater, 1, 20_000);
        try (Connection c = connect(role); Statement st = c.createStatement()) {
            assertThat(refusal(() -> st.execute("DELETE FROM " + role + ".t000")).getSQLState()).isEqualTo("FB001");
        }
        try (Connection c = connect(updater); Statement st = c.createStatement()) {
            assertThat(refusal(() -> st.execute("UPDATE " + updater + ".t000 SET v = 'x' WHERE 1 = 1")).getSQLState())
                    .isEqualTo("FB001");
        }
        assertThat(count("SELECT count(*) FROM " + role + ".t000")).isEqualTo(20_000);
        assertThat(count("SELECT count(*) FROM " + updater + ".t000 WHERE v <> 'x'")).isEqualTo(20_000);
        AuditEvent delete = awaitEvent(e -> principal(role).equals(e.getPrincipal()) && "DELETE".equals(e.getAction()));
        assertThat(delete.getRowCount()).isEqualTo(20_000L);
        assertThat(delete.getAttributes()).containsEntry("guard_outcome", "blocked")
                .containsEntry("guard_rule", "guard-mass-row-change");
    }

    @Test
    void truncateOfManyTablesOrOfALargeOneLosesNoRow() throws Exception {
        // two roles: the refused 50-table TRUNCATE trips pg-truncate-burst (tables holding rows), and
        // the lock that follows would answer the next statements with firebreak-locked instead
        String many = newRole("trunc");
        createTables(many, 50, 10);
        String large = newRole("trbig");
        createTables(large, 1, 10);
        try (Connection admin = stack.postgres().superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE TABLE " + large + ".big AS SELECT g AS id, 'v' AS v FROM generate_series(1, 60000) g");
            st.execute("ALTER TABLE " + large + ".big OWNER TO " + large);
        }
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            all.append(i == 0 ? "" : ", ").append(String.format("%s.t%03d", many, i));
        }
        try (Connection c = connect(many); Statement st = c.createStatement()) {
            // refused by the guard, or ended mid-statement by the kill switch: each table's TRUNCATE is
            // captured before it runs and the first two trip pg-truncate-burst; neither loses a row
            assertStoppedBy(refusal(() -> st.execute("TRUNCATE " + all)), "guard-truncate");
        }
        try (Connection c = connect(large); Statement st = c.createStatement()) {
            // first: the refusal below may get this session ended by the kill switch
            st.execute("TRUNCATE " + large + ".t000"); // one small table is routine
            assertStoppedBy(refusal(() -> st.execute("TRUNCATE " + large + ".big")), "guard-truncate");
        }
        assertThat(count("SELECT count(*) FROM " + large + ".big")).isEqualTo(60_000);
        assertThat(count("SELECT count(*) FROM " + many + ".t049")).isEqualTo(10);
        assertThat(count("SELECT count(*) FROM " + large + ".t000")).isZero();
    }

    // ------------------------------------------------------------------ faster than the pipeline

    @Test
    void backToBackDropsFromOneSessionLoseAtMostTheThreshold() throws Exception {
        String role = newRole("b2b");
        createTables(role, 200, 0);
        try (Connection c = connect(role); Statement st = c.createStatement()) {
            for (int i = 0; i < 200; i++) {
                try {
                    st.execute(String.format("DROP TABLE %s.t%03d", role, i));
                } catch (SQLException e) {
                    if (c.isClosed() || !c.isValid(1)) {
                        break; // the kill switch ended the session
                    }
                }
            }
        } catch (SQLException e) {
            // the session was terminated mid-loop
        }
        assertThat(200 - tablesIn(role)).isLessThanOrEqualTo(3);
        assertRevoked(role);
    }

    @Test
    void backToBackDropsFromFourSessionsLoseAtMostTheThreshold() throws Exception {
        String role = newRole("four");
        createTables(role, 200, 0);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> sessions = new ArrayList<>();
            for (int s = 0; s < 4; s++) {
                int first = s * 50;
                sessions.add(pool.submit(() -> {
                    try (Connection c = connect(role); Statement st = c.createStatement()) {
                        for (int i = first; i < first + 50; i++) {
                            try {
                                st.execute(String.format("DROP TABLE %s.t%03d", role, i));
                            } catch (SQLException e) {
                                if (!c.isValid(1)) {
                                    return null;
                                }
                            }
                        }
                    } catch (SQLException e) {
                        // terminated, or locked out before it connected
                    }
                    return null;
                }));
            }
            for (Future<?> f : sessions) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(200 - tablesIn(role)).isLessThanOrEqualTo(3);
    }

    @Test
    void aRoleCreatedJustBeforeItsBurstIsLockedOnceItIsLockable() throws Exception {
        String role = "newborn_" + UUID.randomUUID().toString().substring(0, 6);
        try (Connection admin = stack.postgres().superuserConnection(); Statement st = admin.createStatement()) {
            // no install-killswitch-role run for it yet: the kill switch cannot administer it
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + role + "'");
            st.execute("CREATE SCHEMA " + role + " AUTHORIZATION " + role);
        }
        createTables(role, 10, 0);
        Thread granter = new Thread(() -> {
            try {
                Thread.sleep(1000); // what local's granter, or an operator's install run, does a moment later
                try (Connection admin = stack.postgres().superuserConnection()) {
                    LocalStack.makeLockable(admin, role);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        granter.start();
        try (Connection c = connect(role); Statement st = c.createStatement()) {
            for (int i = 0; i < 10; i++) {
                try {
                    st.execute(String.format("DROP TABLE %s.t%03d", role, i));
                } catch (SQLException e) {
                    if (!c.isValid(1)) {
                        break;
                    }
                }
            }
        } catch (SQLException e) {
            // terminated
        }
        granter.join();
        assertThat(10 - tablesIn(role)).as("the guard bounds the loss meanwhile").isLessThanOrEqualTo(3);
        assertRevoked(role);
    }

    // ------------------------------------------------------------------ tampering, locked roles

    @Test
    void triggerTamperingIsRefusedAndRevokes() throws Exception {
        // one role per attempt: the first refusal already gets its role revoked
        for (String dodge : List.of("ALTER TABLE %s.t000 DISABLE TRIGGER ALL",
                "ALTER TABLE %s.t000 DISABLE TRIGGER USER",
                "ALTER TABLE %s.t000 DISABLE TRIGGER firebreak_audit_delete",
                "ALTER TABLE %s.t000 ENABLE REPLICA TRIGGER firebreak_audit_delete",
                "ALTER TRIGGER firebreak_audit_delete ON %s.t000 RENAME TO gone",
                "DROP TRIGGER firebreak_audit_delete ON %s.t000")) {
            String role = newRole("tamper");
            createTables(role, 1, 10);
            try (Connection c = connect(role); Statement st = c.createStatement()) {
                // the guard refuses (FB003); the tamper event it emits first may also get the session
                // ended by the kill switch before the refusal reaches the client (57P01): both stop it
                assertThat(refusal(() -> st.execute(dodge.formatted(role))).getSQLState()).as(dodge)
                        .isIn("FB003", KILLED_BY_KILL_SWITCH);
            }
            assertThat(count("SELECT count(*) FROM pg_trigger WHERE tgrelid = '" + role + ".t000'::regclass "
                    + "AND tgname LIKE 'firebreak_audit_%' AND tgenabled = 'O'")).as(dodge).isEqualTo(4);
            assertRevoked(role);
        }
    }

    @Test
    void aLockedRoleIsRefusedInTheSessionsItStillHas() throws Exception {
        String role = newRole("locked");
        // at least dml.immediate.rows (100): routine statements below it are not judged (README)
        createTables(role, 2, 200);
        try (Connection c = connect(role); Statement st = c.createStatement()) {
            try (Connection admin = stack.postgres().superuserConnection(); Statement a = admin.createStatement()) {
                a.execute("ALTER ROLE " + role + " NOLOGIN");
            }
            assertThat(refusal(() -> st.execute("DELETE FROM " + role + ".t000")).getSQLState()).isEqualTo("FB002");
            // Every refusal is an event, which the kill switch may act on: it may end the session
            // (57P01) before a later statement arrives. Either stops the statement; a closed
            // session takes no more.
            for (String statement : List.of("DROP TABLE " + role + ".t001", "CREATE TABLE " + role + ".x (id int)")) {
                String state = refusal(() -> st.execute(statement)).getSQLState();
                assertThat(state).as(statement).isIn("FB002", KILLED_BY_KILL_SWITCH);
                if (KILLED_BY_KILL_SWITCH.equals(state)) {
                    break;
                }
            }
        }
        assertThat(count("SELECT count(*) FROM " + role + ".t000")).isEqualTo(200);
        assertThat(tablesIn(role)).isEqualTo(2);
    }

    // ------------------------------------------------------------------ ordinary work untouched

    @Test
    void tpcbWorkBatchedCleanupAndAnExceptedMigrationRunUntouched() throws Exception {
        String role = newRole("app");
        try (Connection admin = stack.postgres().superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE TABLE " + role + ".accounts AS SELECT g AS aid, 0 AS abalance FROM generate_series(1, 50000) g");
            st.execute("CREATE TABLE " + role + ".history (aid int, delta int, at timestamptz DEFAULT now())");
            st.execute("ALTER TABLE " + role + ".accounts OWNER TO " + role);
            st.execute("ALTER TABLE " + role + ".history OWNER TO " + role);
            st.execute("INSERT INTO " + role + ".history (aid, delta) SELECT g, 1 FROM generate_series(1, 30000) g");
        }
        try (Connection c = connect(role); Statement st = c.createStatement()) {
            for (int i = 1; i <= 500; i++) { // TPC-B style: one account at a time
                st.execute("UPDATE " + role + ".accounts SET abalance = abalance + 1 WHERE aid = " + (i * 97 % 50000 + 1));
                st.execute("INSERT INTO " + role + ".history (aid, delta) VALUES (" + i + ", 1)");
            }
            for (int batch = 0; batch < 10; batch++) { // a cleanup job: 1,000 old rows at a time
                st.execute("DELETE FROM " + role + ".history WHERE aid IN (SELECT aid FROM " + role
                        + ".history WHERE delta = 1 ORDER BY aid LIMIT 1000)");
            }
        }
        String migrator = newRole(MIGRATOR, MIGRATOR);
        createTables(migrator, 30, 100);
        try (Connection c = connect(migrator); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA " + migrator + " CASCADE"); // allow-listed by exceptions.yaml
        }
        assertThat(tablesIn(migrator)).isZero();
        assertThat(EVENTS).noneMatch(e -> (principal(role).equals(e.getPrincipal()) || principal(migrator).equals(e.getPrincipal()))
                && e.getAttributes().containsKey("guard_outcome"));
        assertThat(canLogIn(role)).isTrue();
    }

    @Test
    void aShadowGuardRecordsWithoutRefusingAndAnEditReachesOpenSessions() throws Exception {
        String role = newRole("shadow");
        createTables(role, 1, 200);
        Path rules = rulesFolder.resolve("firebreak.yaml");
        String original = Files.readString(rules);
        try (Connection c = connect(role); Statement st = c.createStatement()) {
            String edited = original.replace("    fraction: 0.5\n    min_rows: 10000\n",
                    "    mode: shadow\n    fraction: 0.5\n    min_rows: 100\n");
            assertThat(edited).isNotEqualTo(original);
            Files.writeString(rules, edited);
            await().atMost(Duration.ofSeconds(20)).until(() -> count(
                    "SELECT count(*) FROM firebreak.guard_rule WHERE id = 'guard-mass-row-change' AND mode = 'shadow' AND min_rows = 100") == 1);
            st.execute("DELETE FROM " + role + ".t000"); // the same session, no reconnect
        } finally {
            Files.writeString(rules, original);
        }
        assertThat(count("SELECT count(*) FROM " + role + ".t000")).isZero();
        AuditEvent shadow = awaitEvent(e -> principal(role).equals(e.getPrincipal()) && "DELETE".equals(e.getAction()));
        assertThat(shadow.getAttributes()).containsEntry("guard_outcome", "shadow")
                .containsEntry("guard_rule", "guard-mass-row-change");
        await().atMost(Duration.ofSeconds(20)).until(() -> count(
                "SELECT count(*) FROM firebreak.guard_rule WHERE id = 'guard-mass-row-change' AND mode = 'enforce'") == 1);
    }

    // ------------------------------------------------------------------ trust

    @Test
    void nobodyButFirebreakEmitsSoPlantedCallsFrameNobody() throws Exception {
        String alice = newRole("alice");
        String mallory = newRole("mallory");
        String fake = "firebreak.emit('sql_drop', '{\"tag\":\"DROP TABLE\",\"objects\":["
                + "{\"type\":\"table\",\"identity\":\"a\"},{\"type\":\"table\",\"identity\":\"b\"},"
                + "{\"type\":\"table\",\"identity\":\"c\"}]}'::jsonb, true, '')";
        try (Connection m = connect(mallory); Statement st = m.createStatement()) {
            assertThatThrownBy(() -> st.execute("SELECT " + fake)).hasMessageContaining("permission denied for function emit");
            st.execute("GRANT USAGE ON SCHEMA " + mallory + " TO " + alice);
            // a trigger, a default expression, a function behind a view: each would emit as the caller
            st.execute("CREATE FUNCTION " + mallory + ".frame() RETURNS int LANGUAGE plpgsql SECURITY DEFINER AS $$"
                    + "BEGIN PERFORM " + fake + "; RETURN 1; END $$");
            st.execute("CREATE FUNCTION " + mallory + ".frame_trigger() RETURNS trigger LANGUAGE plpgsql AS $$"
                    + "BEGIN PERFORM " + mallory + ".frame(); RETURN NULL; END $$");
            st.execute("CREATE TABLE " + mallory + ".bait_trigger (id int)");
            st.execute("CREATE TRIGGER plant AFTER INSERT ON " + mallory + ".bait_trigger FOR EACH STATEMENT EXECUTE FUNCTION "
                    + mallory + ".frame_trigger()");
            st.execute("CREATE TABLE " + mallory + ".bait_default (id int, planted int DEFAULT " + mallory + ".frame())");
            st.execute("CREATE VIEW " + mallory + ".lure AS SELECT " + mallory + ".frame() AS x");
            st.execute("GRANT INSERT ON " + mallory + ".bait_trigger, " + mallory + ".bait_default TO " + alice);
            st.execute("GRANT SELECT ON " + mallory + ".lure TO " + alice);
            // and a real drop run by mallory's code in alice's session: a routine, never a revocation
            st.execute("CREATE TABLE " + mallory + ".x1 (id int)");
            st.execute("CREATE TABLE " + mallory + ".x2 (id int)");
            st.execute("CREATE TABLE " + mallory + ".x3 (id int)");
            st.execute("CREATE FUNCTION " + mallory + ".trojan() RETURNS int LANGUAGE plpgsql SECURITY DEFINER AS $$"
                    + "BEGIN DROP TABLE " + mallory + ".x1, " + mallory + ".x2, " + mallory + ".x3; RETURN 1; END $$");
            st.execute("GRANT EXECUTE ON FUNCTION " + mallory + ".trojan() TO " + alice);
        }
        try (Connection a = connect(alice); Statement st = a.createStatement()) {
            for (String innocent : List.of("INSERT INTO " + mallory + ".bait_trigger VALUES (1)",
                    "INSERT INTO " + mallory + ".bait_default (id) VALUES (1)",
                    "SELECT * FROM " + mallory + ".lure")) {
                assertThat(refusal(() -> st.execute(innocent)).getMessage()).as(innocent).contains("permission denied for function emit");
            }
            st.execute("SELECT " + mallory + ".trojan()");
        }
        AuditEvent trojan = awaitEvent(e -> principal(alice).equals(e.getPrincipal()) && "DROP TABLE".equals(e.getAction()));
        assertThat(trojan.getAttributes()).containsEntry("origin", "routine");
        assertThat(trojan.getAttributes().get("routine")).contains("trojan");
        Thread.sleep(3000); // longer than detection and the kill switch take to act on a burst
        assertThat(watcher.awaitResult(principal(alice), Duration.ofMillis(100))).isEmpty();
        assertThat(canLogIn(alice)).as("the innocent role can still log in").isTrue();
    }

    @Test
    void aPoisonousRecordGoesToTheDeadLetterTopicAndTheNextBurstIsStillRevoked() throws Exception {
        String marker = UUID.randomUUID().toString();
        try (Connection admin = stack.postgres().superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("SELECT pg_logical_emit_message(false, 'firebreak.audit.v1', '{\"v\":1,\"m\":\"" + marker
                    + "\",\"statement\":\"' || repeat('x', 2 * 1024 * 1024) || '\"}', true)");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> DEAD_LETTERS.stream().anyMatch(d -> d.getReason().contains("exceeds")));
        DeadLetter stub = DEAD_LETTERS.stream().filter(d -> d.getReason().contains("exceeds")).findFirst().orElseThrow();
        assertThat(stub.getPayload().remaining()).isLessThanOrEqualTo(64 * 1024);
        String role = newRole("after_poison");
        createTables(role, 6, 0);
        try (Connection c = connect(role); Statement st = c.createStatement()) {
            for (int i = 0; i < 6; i++) {
                try {
                    st.execute(String.format("DROP TABLE %s.t%03d", role, i));
                    Thread.sleep(150);
                } catch (SQLException e) {
                    break;
                }
            }
        } catch (SQLException e) {
            // terminated
        }
        assertRevoked(role);
    }

    // ------------------------------------------------------------------ helpers

    private static String newRole(String prefix) throws SQLException {
        String role = prefix + "_" + UUID.randomUUID().toString().substring(0, 6);
        return newRole(role, role);
    }

    private static String newRole(String role, String password) throws SQLException {
        try (Connection admin = stack.postgres().superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'");
            st.execute("CREATE SCHEMA " + role + " AUTHORIZATION " + role);
            LocalStack.makeLockable(admin, role);
        }
        return role;
    }

    private static void createTables(String role, int tables, int rows) throws SQLException {
        try (Connection admin = stack.postgres().superuserConnection(); Statement st = admin.createStatement()) {
            for (int i = 0; i < tables; i++) {
                String t = String.format("%s.t%03d", role, i);
                st.execute("CREATE TABLE " + t + " (id int, v text)");
                if (rows > 0) {
                    st.execute("INSERT INTO " + t + " SELECT g, 'v' FROM generate_series(1, " + rows + ") g");
                }
                st.execute("ALTER TABLE " + t + " OWNER TO " + role);
            }
        }
    }

    private static Connection connect(String role) throws SQLException {
        return stack.postgres().connect(role, role.equals(MIGRATOR) ? MIGRATOR : role);
    }

    private static boolean canLogIn(String role) {
        try (Connection c = connect(role)) {
            return c.isValid(1);
        } catch (SQLException e) {
            return false;
        }
    }

    private static void assertRevoked(String role) {
        assertThat(watcher.awaitResult(principal(role), Duration.ofSeconds(20)))
                .hasValueSatisfying(r -> assertThat(r.getOutcome()).isIn(RevocationOutcome.REVOKED, RevocationOutcome.ALREADY_REVOKED));
        assertThat(canLogIn(role)).isFalse();
    }

    private static int tablesIn(String schema) throws SQLException {
        return count("SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema + "'");
    }

    private static int count(String sql) throws SQLException {
        try (Connection c = stack.postgres().superuserConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /**
     * The statement was refused by {@code rule}, or stopped by the kill switch acting on the events
     * it had already emitted: its session ended (57P01), or, when the lock lands while the statement
     * still runs, refused as locked (FB002, firebreak-locked). Rows are checked by the caller.
     */
    private static void assertStoppedBy(SQLException refused, String rule) {
        if (KILLED_BY_KILL_SWITCH.equals(refused.getSQLState())) {
            return;
        }
        if ("FB002".equals(refused.getSQLState())) {
            assertThat(refused.getMessage()).contains("firebreak-locked");
            return;
        }
        assertThat(refused.getMessage()).contains(rule);
    }

    private static SQLException refusal(ThrowingRunnable statement) {
        try {
            statement.run();
        } catch (SQLException e) {
            return e;
        }
        throw new AssertionError("the statement was not refused");
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws SQLException;
    }

    private static String principal(String role) {
        return "pg:" + CLUSTER + "/" + role;
    }

    private static AuditEvent awaitEvent(Predicate<AuditEvent> match) {
        await().atMost(Duration.ofSeconds(20)).until(() -> EVENTS.stream().anyMatch(match));
        return EVENTS.stream().filter(match).findFirst().orElseThrow();
    }

    private static void readAuditTopics() {
        Properties props = new Properties();
        props.putAll(stack.adminClientProperties());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "guard-it-" + UUID.randomUUID());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        var registry = SchemaRegistries.forUrl(stack.registryUrl());
        var events = new RegistryAvroDeserializer<>(AuditEvent.class, registry);
        var letters = new RegistryAvroDeserializer<>(DeadLetter.class, registry);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.AUDIT_EVENTS, Topics.AUDIT_DLQ));
            while (READING.get()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (r.topic().equals(Topics.AUDIT_EVENTS)) {
                        EVENTS.add(events.deserialize(r.topic(), r.value()));
                    } else {
                        DEAD_LETTERS.add(letters.deserialize(r.topic(), r.value()));
                    }
                }
            }
        }
    }
}
