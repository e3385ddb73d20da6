package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.launcher.demo.OutcomeWatcher;
import dev.firebreak.launcher.pipeline.Pipeline;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Detection quality on the real in-JVM stack with the bundled rules: a benign corpus (a pgbench-like
 * TPC-B workload, an allow-listed migration that drops and recreates dozens of tables, a batched
 * cleanup job and routine maintenance) must never be revoked, and every pattern of the attack corpus
 * must be caught on every run, by the live rule (revoked) or by its shadow/alert rule (an alert).
 *
 * <p>The rules are the bundled {@code rules/firebreak.yaml}, copied at start-up into a temp folder
 * together with a test {@code exceptions.yaml} that allow-lists the migrator in a maintenance window.
 * A summary table is printed at the end (in the surefire output file) and written to
 * {@code target/detection-quality-summary.txt}.
 *
 * <p>Shadow and alert-only alerts on the benign corpus are allowed and reported, never asserted away;
 * so are the baseline detector's alerts (alert-only, outside the rules folder and its exceptions).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DetectionQualityIT {
    private static final String CLUSTER = "dq";
    /** How often each attack pattern is run, each time by a fresh role. */
    private static final int RUNS = 3;
    private static final Duration CAUGHT_WITHIN = Duration.ofSeconds(20);
    private static final String MIGRATOR = "migrator";
    private static final int MIGRATION_TABLES = 45;
    private static final List<String> BENIGN_ROLES = List.of("pgbench", MIGRATOR, "janitor");

    private static LocalStack stack;
    private static Pipeline pipeline;
    private static PipelineSettings settings;
    private static OutcomeWatcher watcher;
    private static Path rulesFolder;
    private static final Map<String, Row> SUMMARY = new LinkedHashMap<>();
    private static final List<String> BENIGN_NOTES = new ArrayList<>();
    private static final List<String> ATTACK_NOTES = new ArrayList<>();
    /** Principals of the patterns caught by shadow or alert-only rules: they must not have been revoked. */
    private static final List<String> ALERT_ONLY_PRINCIPALS = new java.util.concurrent.CopyOnWriteArrayList<>();
    private static long startedNanos;

    /** One line of the summary table. */
    private record Row(String pattern, int runs, int caught, String rule, String response, String note) {
    }

    /** What one run of an attack did: who acted, and a note for the table. */
    private record Attempt(String principal, String note) {
    }

    @FunctionalInterface
    private interface AttackRun {
        Attempt run(int run) throws Exception;
    }

    private enum Expect { REVOKED, ALERT }

    @BeforeAll
    static void start() throws Exception {
        startedNanos = System.nanoTime();
        rulesFolder = Files.createTempDirectory("firebreak-dq-rules");
        Files.copy(bundledRules(), rulesFolder.resolve("firebreak.yaml"));
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Files.writeString(rulesFolder.resolve("exceptions.yaml"), """
                version: 1
                exceptions:
                  - rule: "*"
                    principal: "pg:%s/%s"
                    from: %s
                    until: %s
                    reason: schema migration maintenance window (detection-quality test), CHG-0042
                    expires: %s
                """.formatted(CLUSTER, MIGRATOR, now.minus(Duration.ofMinutes(10)), now.plus(Duration.ofHours(1)),
                now.plus(Duration.ofDays(1))));

        stack = LocalStack.start(1, m -> { });
        Map<String, String> flat = PipelineSettings.stackMap(stack, CLUSTER, List.of());
        flat.put(DetectionConfig.RULES_PATH, rulesFolder.toString());
        settings = PipelineSettings.fromMap(flat);
        pipeline = Pipeline.start(settings, new SimpleMeterRegistry(), m -> { });
        watcher = new OutcomeWatcher(stack.observerClientProperties(), stack.registryUrl(), a -> { }, r -> { });
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            printSummary();
        } finally {
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
    }

    // ------------------------------------------------------------------------------------------
    // Benign corpus
    // ------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void benignCorpusIsNeverRevoked() throws Exception {
        // The allow-list entry really is in the rules folder the pipeline runs with.
        String exceptions = Files.readString(rulesFolder.resolve("exceptions.yaml"));
        assertThat(exceptions).contains("principal: \"pg:" + CLUSTER + "/" + MIGRATOR + "\"").contains("reason:")
                .contains("expires:").contains("rule: \"*\"");
        assertThat(Files.readString(rulesFolder.resolve("firebreak.yaml"))).contains("id: pg-drop-table-burst");

        pgbench();
        migration(MIGRATOR);
        cleanupJob();

        // settle: every rule that could still fire on these events has had time to
        Thread.sleep(5000);
        Outcomes all = Outcomes.readAll();
        Map<String, Integer> shadowByRule = new LinkedHashMap<>();
        Map<String, Integer> baselineByRule = new LinkedHashMap<>();
        int total = 0;
        int baselines = 0;
        for (String role : BENIGN_ROLES) {
            String principal = principal(role);
            assertThat(all.results).as("revocation results for benign " + principal)
                    .noneMatch(r -> r.getPrincipal().equals(principal) || r.getTarget().equals(principal));
            assertThat(all.commands).as("revoke commands for benign " + principal)
                    .noneMatch(c -> !c.getDryRun() && (c.getPrincipal().equals(principal) || c.getTargets().contains(principal)));
            assertThat(all.alerts).as("live (non-shadow) alerts for benign " + principal)
                    .filteredOn(a -> a.getPrincipal().equals(principal))
                    .allMatch(DetectionQualityIT::isShadowOrAlertOnly);
            for (Alert a : all.alerts) {
                if (a.getPrincipal().equals(principal) && isBaseline(a)) {
                    baselineByRule.merge(role + " -> " + a.getRuleId() + " [" + a.getSeverity() + "]", 1, Integer::sum);
                    baselines++;
                } else if (a.getPrincipal().equals(principal)) {
                    shadowByRule.merge(role + " -> " + a.getRuleId() + (a.getSummary().startsWith("[shadow]") ? " [shadow]" : " [alert]"),
                            1, Integer::sum);
                    total++;
                }
            }
        }
        // The exception (rule "*") covers every rule of the rules folder. Baselines are not rules: they
        // are counted and reported below, not asserted.
        assertThat(all.alerts).as("the exception covers every rule for the migrator: no rule alert at all")
                .noneMatch(a -> a.getPrincipal().equals(principal(MIGRATOR)) && !isBaseline(a));
        assertThat(canLogIn(MIGRATOR)).isTrue();
        assertThat(canLogIn("pgbench")).isTrue();
        assertThat(canLogIn("janitor")).isTrue();
        assertThat(tablesIn("mig")).isEqualTo(MIGRATION_TABLES);
        BENIGN_NOTES.add("benign revocations: 0 (results 0, live commands 0) for " + BENIGN_ROLES);
        BENIGN_NOTES.add("benign shadow/alert-only rule alerts: " + total + (shadowByRule.isEmpty() ? "" : " " + shadowByRule));
        BENIGN_NOTES.add("benign baseline alerts (alert-only, not rules, not covered by exceptions): " + baselines
                + (baselineByRule.isEmpty() ? "" : " " + baselineByRule));
    }

    private static boolean isBaseline(Alert a) {
        return a.getRuleId().startsWith("baseline-");
    }

    private static boolean isShadowOrAlertOnly(Alert a) {
        return a.getKind() == AlertKind.RULE_TRIGGERED
                && (a.getResponse() == dev.firebreak.schema.Response.ALERT_ONLY || a.getSummary().contains("[shadow]"));
    }

    /** A TPC-B-like workload (what pgbench runs), over JDBC from 3 connections. */
    private static void pgbench() throws Exception {
        String role = "pgbench";
        createRole(role, role);
        int branches = 2;
        int tellers = 20;
        int accounts = 5000;
        try (Connection c = connectAs(role); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE pgbench.pgbench_branches (bid int PRIMARY KEY, bbalance int, filler char(88))");
            st.execute("CREATE TABLE pgbench.pgbench_tellers (tid int PRIMARY KEY, bid int, tbalance int, filler char(84))");
            st.execute("CREATE TABLE pgbench.pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))");
            st.execute("CREATE TABLE pgbench.pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))");
            st.execute("INSERT INTO pgbench.pgbench_branches SELECT g, 0, '' FROM generate_series(1, " + branches + ") g");
            st.execute("INSERT INTO pgbench.pgbench_tellers SELECT g, (g - 1) / 10 + 1, 0, '' FROM generate_series(1, " + tellers + ") g");
            st.execute("INSERT INTO pgbench.pgbench_accounts SELECT g, (g - 1) / 2500 + 1, 0, '' FROM generate_series(1, " + accounts + ") g");
            st.execute("VACUUM ANALYZE pgbench.pgbench_accounts");
        }
        int clients = 3;
        int txPerClient = 150;
        AtomicInteger committed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int k = 0; k < clients; k++) {
                futures.add(pool.submit(() -> {
                    try (Connection c = connectAs(role)) {
                        c.setAutoCommit(false);
                        PreparedStatement ua = c.prepareStatement("UPDATE pgbench.pgbench_accounts SET abalance = abalance + ? WHERE aid = ?");
                        PreparedStatement sa = c.prepareStatement("SELECT abalance FROM pgbench.pgbench_accounts WHERE aid = ?");
                        PreparedStatement ut = c.prepareStatement("UPDATE pgbench.pgbench_tellers SET tbalance = tbalance + ? WHERE tid = ?");
                        PreparedStatement ub = c.prepareStatement("UPDATE pgbench.pgbench_branches SET bbalance = bbalance + ? WHERE bid = ?");
                        PreparedStatement ih = c.prepareStatement("INSERT INTO pgbench.pgbench_history (tid, bid, aid, delta, mtime) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)");
                        for (int t = 0; t < txPerClient; t++) {
                            ThreadLocalRandom rnd = ThreadLocalRandom.current();
                            int aid = rnd.nextInt(1, accounts + 1);
                            int tid = rnd.nextInt(1, tellers + 1);
                            int bid = rnd.nextInt(1, branches + 1);
                            int delta = rnd.nextInt(-5000, 5001);
                            try {
                                ua.setInt(1, delta); ua.setInt(2, aid); ua.executeUpdate();
                                sa.setInt(1, aid); sa.executeQuery().close();
                                ut.setInt(1, delta); ut.setInt(2, tid); ut.executeUpdate();
                                ub.setInt(1, delta); ub.setInt(2, bid); ub.executeUpdate();
                                ih.setInt(1, tid); ih.setInt(2, bid); ih.setInt(3, aid); ih.setInt(4, delta); ih.executeUpdate();
                                c.commit();
                                committed.incrementAndGet();
                            } catch (SQLException e) {
                                c.rollback(); // a serialization hiccup is pgbench's problem too; the next one goes on
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(committed.get()).as("pgbench transactions committed").isGreaterThanOrEqualTo(clients * txPerClient * 9 / 10);
        BENIGN_NOTES.add("pgbench: " + clients + " connections, " + committed.get() + " TPC-B transactions over "
                + accounts + " accounts");
    }

    /**
     * Drops and recreates {@link #MIGRATION_TABLES} tables, several a second, in autocommit. The
     * tables hold rows and were created by the admin, as production tables are: dropping its own
     * scratch tables would not count against the role at all (blast_created).
     */
    private static int migration(String role) throws Exception {
        String schema = role.equals(MIGRATOR) ? "mig" : role;
        createRole(role, schema);
        StringBuilder setup = new StringBuilder();
        for (int i = 1; i <= MIGRATION_TABLES; i++) {
            String t = String.format("%s.t%03d", schema, i);
            setup.append("CREATE TABLE ").append(t).append(" (id int PRIMARY KEY, v text);")
                    .append("INSERT INTO ").append(t).append(" VALUES (1, 'row');")
                    .append("ALTER TABLE ").append(t).append(" OWNER TO ").append(role).append(';');
        }
        admin(setup.toString());
        long start = System.nanoTime();
        int dropped = 0;
        try (Connection c = connectAs(role); Statement st = c.createStatement()) {
            for (int i = 1; i <= MIGRATION_TABLES; i++) {
                st.execute(String.format("DROP TABLE %s.t%03d", schema, i));
                dropped++;
                st.execute(String.format("CREATE TABLE %s.t%03d (id bigint PRIMARY KEY, v text, migrated_at timestamptz)", schema, i));
                Thread.sleep(100);
            }
        } catch (SQLException e) {
            if (role.equals(MIGRATOR)) {
                throw e;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (role.equals(MIGRATOR)) {
            BENIGN_NOTES.add(String.format("migration (allow-listed %s): %d tables dropped and recreated in %.1f s (%.1f drops/s)",
                    role, dropped, seconds, dropped / seconds));
        }
        return dropped;
    }

    /** Batched cleanup of an old-logs table, then routine maintenance. */
    private static void cleanupJob() throws Exception {
        String role = "janitor";
        createRole(role, role);
        try (Connection c = connectAs(role); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE janitor.old_logs (id bigserial PRIMARY KEY, created timestamptz, line text)");
            st.execute("INSERT INTO janitor.old_logs (created, line) SELECT now() - interval '90 days', md5(g::text) FROM generate_series(1, 5000) g");
            st.execute("INSERT INTO janitor.old_logs (created, line) SELECT now(), md5(g::text) FROM generate_series(1, 500) g");
        }
        int removed = 0;
        int batches = 0;
        try (Connection c = connectAs(role); Statement st = c.createStatement()) {
            while (true) {
                int n = st.executeUpdate("DELETE FROM janitor.old_logs WHERE id IN (SELECT id FROM janitor.old_logs "
                        + "WHERE created < now() - interval '30 days' ORDER BY id LIMIT 500)");
                if (n == 0) {
                    break;
                }
                removed += n;
                batches++;
                Thread.sleep(200);
            }
            st.execute("VACUUM (ANALYZE) janitor.old_logs");
            st.execute("CREATE INDEX old_logs_created_idx ON janitor.old_logs (created)");
            st.execute("ALTER TABLE janitor.old_logs ADD COLUMN archived boolean DEFAULT false");
        }
        assertThat(removed).isEqualTo(5000);
        BENIGN_NOTES.add("cleanup: " + removed + " rows in " + batches + " batches of <=500, 200 ms apart; "
                + "then VACUUM, CREATE INDEX, ALTER TABLE ADD COLUMN");
    }

    // ------------------------------------------------------------------------------------------
    // Attack corpus
    // ------------------------------------------------------------------------------------------

    @Test
    @Order(10)
    void controlTheSameMigrationWithoutTheExceptionIsRevoked() throws Exception {
        caughtEveryTime("migration loop w/o exception (control), autocommit", "pg-drop-table-burst", Expect.REVOKED, i -> {
            String role = "mig_ctl_" + i;
            int dropped = migration(role);
            return new Attempt(principal(role), "dropped " + dropped + "/" + MIGRATION_TABLES);
        });
    }

    @Test
    @Order(11)
    void autocommitDropBurst() throws Exception {
        caughtEveryTime("DROP TABLE burst, autocommit, 8/s", "pg-drop-table-burst", Expect.REVOKED, i -> {
            String role = "atk_auto_" + i;
            createRoleWithTables(role, 10);
            int dropped = dropPaced(role, role, 10, 8.0, false);
            return new Attempt(principal(role), "dropped " + dropped + "/10");
        });
    }

    @Test
    @Order(12)
    void transactionDropBurstIsRolledBack() throws Exception {
        caughtEveryTime("DROP TABLE burst in one transaction", "pg-drop-table-burst", Expect.REVOKED, i -> {
            String role = "atk_txn_" + i;
            createRoleWithTables(role, 10);
            dropPaced(role, role, 10, 6.0, true);
            awaitRevoked(principal(role));
            int kept = tablesIn(role);
            assertThat(kept).as("every table still there after the killed transaction").isEqualTo(10);
            return new Attempt(principal(role), "kept " + kept + "/10");
        });
    }

    @Test
    @Order(13)
    void dropSchemaCascade() throws Exception {
        caughtEveryTime("DROP SCHEMA ... CASCADE (12 tables, 1 stmt)", "pg-drop-table-burst", Expect.REVOKED, i -> {
            String role = "atk_cascade_" + i;
            createRoleWithTables(role, 12);
            runAs(role, "DROP SCHEMA " + role + " CASCADE");
            awaitRevoked(principal(role));
            return new Attempt(principal(role), "kept " + tablesIn(role) + "/12");
        });
    }

    @Test
    @Order(14)
    void dropOwnedBy() throws Exception {
        caughtEveryTime("DROP OWNED BY CURRENT_USER", "pg-drop-table-burst", Expect.REVOKED, i -> {
            String role = "atk_owned_" + i;
            createRoleWithTables(role, 8);
            runAs(role, "DROP OWNED BY CURRENT_USER");
            awaitRevoked(principal(role));
            return new Attempt(principal(role), "kept " + tablesIn(role) + "/8");
        });
    }

    @Test
    @Order(15)
    void dropThroughSecurityDefinerFunction() throws Exception {
        // The drops run inside another role's routine, so they never count towards a revocation (that
        // role could have planted it); the guard refuses the fourth drop, which rolls the call back.
        caughtEveryTime("drops via SECURITY DEFINER function", "pg-routine-destruction", Expect.ALERT, i -> {
            String owner = "sd_owner_" + i;
            String caller = "atk_sdcall_" + i;
            createRoleWithTables(owner, 8);
            createRole(caller, "");
            admin("""
                    CREATE FUNCTION %1$s.wipe() RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $fn$
                    BEGIN
                        FOR i IN 1..8 LOOP
                            EXECUTE format('DROP TABLE %1$s.%%I', 't' || lpad(i::text, 3, '0'));
                            PERFORM pg_sleep(0.2);
                        END LOOP;
                    END $fn$;
                    ALTER FUNCTION %1$s.wipe() OWNER TO %1$s;
                    GRANT USAGE ON SCHEMA %1$s TO %2$s;
                    GRANT EXECUTE ON FUNCTION %1$s.wipe() TO %2$s;
                    """.formatted(owner, caller));
            runAs(caller, "SELECT " + owner + ".wipe()");
            int kept = tablesIn(owner);
            assertThat(kept).as("the refused call rolled back").isEqualTo(8);
            assertThat(watcher.awaitResult(principal(owner), Duration.ZERO)).as("owner not blamed").isEmpty();
            return new Attempt(principal(caller), "principal=caller, kept " + kept + "/8");
        });
    }

    @Test
    @Order(16)
    void dropAfterSetRoleToOwner() throws Exception {
        caughtEveryTime("SET ROLE <owner>, then DROP burst", "pg-drop-table-burst", Expect.REVOKED, i -> {
            String owner = "sr_owner_" + i;
            String attacker = "atk_setrole_" + i;
            createRoleWithTables(owner, 10);
            createRole(attacker, "");
            admin("GRANT " + owner + " TO " + attacker);
            int dropped = dropPaced(attacker, owner, 10, 8.0, false, "SET ROLE " + owner);
            assertThat(watcher.awaitResult(principal(owner), Duration.ZERO)).as("owner not blamed").isEmpty();
            return new Attempt(principal(attacker), "principal=session_user, dropped " + dropped + "/10");
        });
    }

    @Test
    @Order(17)
    void dropManyTablesInOneStatement() throws Exception {
        caughtEveryTime("DROP TABLE a, b, c, d (1 stmt)", "pg-drop-table-burst", Expect.REVOKED, i -> {
            String role = "atk_multi_" + i;
            createRoleWithTables(role, 6);
            runAs(role, String.format("DROP TABLE %1$s.t001, %1$s.t002, %1$s.t003, %1$s.t004", role));
            awaitRevoked(principal(role));
            return new Attempt(principal(role), "kept " + tablesIn(role) + "/6");
        });
    }

    @Test
    @Order(18)
    void burstSpreadOverTwoConnections() throws Exception {
        caughtEveryTime("DROP burst over 2 connections, 1 role", "pg-drop-table-burst", Expect.REVOKED, i -> {
            String role = "atk_twoconn_" + i;
            createRoleWithTables(role, 10);
            int dropped = 0;
            try (Connection a = connectAs(role); Connection b = connectAs(role)) {
                for (int t = 1; t <= 10; t++) {
                    try (Statement st = (t % 2 == 1 ? a : b).createStatement()) {
                        st.execute(String.format("DROP TABLE %s.t%03d", role, t));
                        dropped++;
                    }
                    Thread.sleep(150);
                }
            } catch (SQLException e) {
                // killed
            }
            return new Attempt(principal(role), "dropped " + dropped + "/10");
        });
    }

    @Test
    @Order(19)
    void dropDatabase() throws Exception {
        caughtEveryTime("DROP DATABASE (server log)", "pg-drop-database", Expect.REVOKED, i -> {
            String role = "atk_dropdb_" + i;
            createRole(role, "");
            admin("ALTER ROLE " + role + " CREATEDB");
            runAs(role, "CREATE DATABASE " + role + "_db");
            runAs(role, "DROP DATABASE " + role + "_db");
            return new Attempt(principal(role), "");
        });
    }

    @Test
    @Order(20)
    void massDeleteWithoutWhere() throws Exception {
        caughtEveryTime("DELETE without WHERE, 1500 rows", "pg-whole-table-delete", Expect.REVOKED, i -> {
            String role = "atk_massdel_" + i;
            createRoleWithTables(role, 1);
            admin(String.format("INSERT INTO %s.t001 SELECT g, md5(g::text) FROM generate_series(1000, 2499) g", role));
            runAs(role, String.format("DELETE FROM %s.t001", role));
            return new Attempt(principal(role), "");
        });
    }

    @Test
    @Order(21)
    void truncateBurst() throws Exception {
        caughtEveryTime("TRUNCATE x3 (separate stmts)", "pg-truncate-burst", Expect.REVOKED, i -> {
            String role = "atk_trunc_" + i;
            createRoleWithTables(role, 3);
            runAs(role, String.format("TRUNCATE %s.t001", role), String.format("TRUNCATE %s.t002", role),
                    String.format("TRUNCATE %s.t003", role));
            return new Attempt(principal(role), "");
        });
    }

    @Test
    @Order(22)
    void grantToPublic() throws Exception {
        caughtEveryTime("GRANT ... TO PUBLIC", "pg-grant-to-public", Expect.ALERT, i -> {
            String role = "atk_grant_" + i;
            createRoleWithTables(role, 1);
            runAs(role, String.format("GRANT SELECT, UPDATE, DELETE ON %s.t001 TO PUBLIC", role));
            return new Attempt(principal(role), "");
        });
    }

    @Test
    @Order(23)
    void alterRoleSuperuser() throws Exception {
        caughtEveryTime("ALTER ROLE x SUPERUSER (server log)", "pg-superuser-granted", Expect.ALERT, i -> {
            String role = "atk_su_" + i;
            createRole(role, "");
            admin("ALTER ROLE " + role + " SUPERUSER");
            runAs(role, "CREATE ROLE " + role + "_minion LOGIN", "ALTER ROLE " + role + "_minion SUPERUSER");
            return new Attempt(principal(role), "actor is a superuser (protected; alert-only rule)");
        });
    }

    @Test
    @Order(24)
    void agentVolumeDeleteOverHttp() throws Exception {
        String url = pipeline.agentActionsUrl().orElseThrow();
        String token = settings.agentActions().httpTokens().get(0);
        HttpClient http = HttpClient.newHttpClient();
        caughtEveryTime("agent: curl railway volumeDelete, prod", "agent-destructive-action", Expect.ALERT, i -> {
            String agent = "dq-cleanup-bot-" + i + "-" + UUID.randomUUID().toString().substring(0, 8);
            String input = "curl -X POST https://backboard.railway.app/graphql/v2 -d "
                    + "'{\"query\":\"mutation { volumeDelete(volumeId: \\\"3d2c\\\") }\"}'";
            String body = "{\"agent_id\": " + json(agent) + ", \"run_id\": " + json("r-" + i)
                    + ", \"credential\": \"token:railway/3f9a\", \"tool\": \"bash\", \"input\": " + json(input)
                    + ", \"target_environment\": \"production\"}";
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
            return new Attempt("agent:" + agent, "");
        });
    }

    @Test
    @Order(99)
    void shadowAndAlertOnlyRulesNeverRevoke() throws Exception {
        assertThat(ALERT_ONLY_PRINCIPALS).isNotEmpty();
        Outcomes all = Outcomes.readAll();
        for (String principal : ALERT_ONLY_PRINCIPALS) {
            assertThat(all.commands).as("live revoke commands for " + principal)
                    .noneMatch(c -> !c.getDryRun() && c.getPrincipal().equals(principal));
            assertThat(all.results).as("revocation results for " + principal).noneMatch(r -> r.getPrincipal().equals(principal));
            assertThat(all.alerts).as("alerts for " + principal).filteredOn(a -> a.getPrincipal().equals(principal))
                    .isNotEmpty().allMatch(DetectionQualityIT::isShadowOrAlertOnly);
        }
        ATTACK_NOTES.add("attack principals caught only by shadow/alert rules, checked never revoked: " + ALERT_ONLY_PRINCIPALS.size());
    }

    // ------------------------------------------------------------------------------------------
    // Verdicts
    // ------------------------------------------------------------------------------------------

    private static void caughtEveryTime(String pattern, String rule, Expect expect, AttackRun attack) throws Exception {
        int caught = 0;
        List<String> notes = new ArrayList<>();
        List<String> misses = new ArrayList<>();
        for (int i = 1; i <= RUNS; i++) {
            Attempt attempt = attack.run(i);
            boolean ok;
            if (expect == Expect.REVOKED) {
                ok = awaitRevoked(attempt.principal()) && lockedOut(attempt.principal().substring(attempt.principal().indexOf('/') + 1));
            } else {
                ok = awaitAlert(attempt.principal(), rule);
                ALERT_ONLY_PRINCIPALS.add(attempt.principal());
            }
            if (ok) {
                caught++;
            } else {
                misses.add(attempt.principal() + " alerts=" + watcher.alertsFor(attempt.principal()).stream()
                        .map(Alert::getRuleId).toList() + " result=" + watcher.awaitResult(attempt.principal(), Duration.ZERO)
                        .map(r -> r.getOutcome() + " " + r.getDetail()).orElse("none"));
            }
            if (!attempt.note().isEmpty()) {
                notes.add(attempt.note());
            }
        }
        String response = expect == Expect.REVOKED ? "revoked (live)"
                : responseOf(rule);
        Map<String, Integer> noteCounts = new LinkedHashMap<>();
        notes.forEach(n -> noteCounts.merge(n, 1, Integer::sum));
        String note = noteCounts.entrySet().stream().map(e -> e.getKey() + " (x" + e.getValue() + ")")
                .reduce((x, y) -> x + "; " + y).orElse("");
        SUMMARY.put(pattern, new Row(pattern, RUNS, caught, rule, response, note));
        assertThat(misses).as(pattern + ": caught every time").isEmpty();
        assertThat(caught).isEqualTo(RUNS);
    }

    private static String responseOf(String rule) {
        return switch (rule) {
            case "pg-grant-to-public", "pg-superuser-granted", "agent-destructive-action" -> "alert";
            default -> "shadow alert";
        };
    }

    private static boolean awaitRevoked(String principal) {
        Optional<RevocationResult> result = watcher.awaitResult(principal, CAUGHT_WITHIN);
        return result.map(r -> r.getOutcome() == RevocationOutcome.REVOKED || r.getOutcome() == RevocationOutcome.ALREADY_REVOKED)
                .orElse(false);
    }

    private static boolean awaitAlert(String principal, String rule) {
        try {
            await().atMost(CAUGHT_WITHIN).pollInterval(Duration.ofMillis(20)).until(() -> watcher.alertsFor(principal).stream()
                    .anyMatch(a -> a.getKind() == AlertKind.RULE_TRIGGERED && a.getRuleId().equals(rule)));
            return true;
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return false;
        }
    }

    /** Cannot log in (the password is right: refused for NOLOGIN) and has no session left. */
    private static boolean lockedOut(String role) throws SQLException {
        if (canLogIn(role)) {
            return false;
        }
        try (Connection c = stack.postgres().superuserConnection();
             PreparedStatement st = c.prepareStatement("""
                     SELECT NOT r.rolcanlogin AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.usename = r.rolname)
                     FROM pg_roles r WHERE r.rolname = ?""")) {
            st.setString(1, role);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static boolean canLogIn(String role) {
        try (Connection ignored = connectAs(role)) {
            return true;
        } catch (SQLException e) {
            assertThat(e.getMessage()).contains("not permitted to log in");
            return false;
        }
    }

    // ------------------------------------------------------------------------------------------
    // SQL helpers
    // ------------------------------------------------------------------------------------------

    private static String principal(String role) {
        return "pg:" + CLUSTER + "/" + role;
    }

    private static String password(String role) {
        return "pw-" + role;
    }

    /** A login role; with {@code schema} non-empty, a schema of that name it owns. */
    private static void createRole(String role, String schema) throws SQLException {
        admin("CREATE ROLE " + role + " LOGIN PASSWORD '" + password(role) + "'"
                + (schema.isEmpty() ? "" : "; CREATE SCHEMA " + schema + " AUTHORIZATION " + role));
        try (Connection c = stack.postgres().superuserConnection()) {
            LocalStack.makeLockable(c, role);
        }
    }

    /** A role owning schema {@code role} with {@code n} tables t001.. of 20 rows, created by the admin. */
    private static void createRoleWithTables(String role, int n) throws SQLException {
        createRole(role, role);
        StringBuilder sql = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            String t = String.format("%s.t%03d", role, i);
            sql.append("CREATE TABLE ").append(t).append(" (id int PRIMARY KEY, v text);")
                    .append("INSERT INTO ").append(t).append(" SELECT g, md5(g::text) FROM generate_series(1, 20) g;")
                    .append("ALTER TABLE ").append(t).append(" OWNER TO ").append(role).append(';');
        }
        admin(sql.toString());
    }

    private static int dropPaced(String role, String schema, int n, double perSecond, boolean oneTransaction, String... first)
            throws InterruptedException {
        int dropped = 0;
        long interval = (long) (1000 / perSecond);
        try (Connection c = connectAs(role); Statement st = c.createStatement()) {
            for (String s : first) {
                st.execute(s);
            }
            c.setAutoCommit(!oneTransaction);
            for (int t = 1; t <= n; t++) {
                st.execute(String.format("DROP TABLE %s.t%03d", schema, t));
                dropped++;
                Thread.sleep(interval);
            }
            if (oneTransaction) {
                c.commit();
            }
        } catch (SQLException e) {
            // terminated by the kill switch: that is the point
        }
        return dropped;
    }

    private static void runAs(String role, String... statements) throws SQLException {
        try (Connection c = connectAs(role); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        } catch (SQLException e) {
            // The kill switch ended the session, or the guard refused the statement inside PostgreSQL
            // (SQLSTATE FB00x): both are how an attack is meant to end.
            boolean refused = e.getSQLState() != null && e.getSQLState().startsWith("FB");
            if (!refused && (e.getMessage() == null || !(e.getMessage().contains("terminating connection")
                    || e.getMessage().contains("I/O error") || e.getMessage().contains("connection has been closed")))) {
                throw e;
            }
        }
    }

    private static void admin(String sql) throws SQLException {
        try (Connection c = stack.postgres().superuserConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static Connection connectAs(String role) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", role);
        props.setProperty("password", password(role));
        props.setProperty("ApplicationName", "detection-quality");
        return DriverManager.getConnection(stack.postgres().jdbcUrl(), props);
    }

    private static int tablesIn(String schema) throws SQLException {
        try (Connection c = stack.postgres().superuserConnection();
             PreparedStatement st = c.prepareStatement("SELECT count(*) FROM pg_tables WHERE schemaname = ?")) {
            st.setString(1, schema);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> b.append(ch);
            }
        }
        return b.append('"').toString();
    }

    static Path bundledRules() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("rules").resolve("firebreak.yaml");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("rules/firebreak.yaml not found above " + Path.of("").toAbsolutePath());
    }

    // ------------------------------------------------------------------------------------------
    // Everything the pipeline decided, read from the beginning of its output topics
    // ------------------------------------------------------------------------------------------

    private record Outcomes(List<Alert> alerts, List<RevokeCommand> commands, List<RevocationResult> results) {
        static Outcomes readAll() {
            Properties props = new Properties();
            props.putAll(stack.adminClientProperties());
            props.put(ConsumerConfig.GROUP_ID_CONFIG, "dq-reader-" + UUID.randomUUID());
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            var registry = SchemaRegistries.forUrl(stack.registryUrl());
            var alertSerde = new RegistryAvroDeserializer<>(Alert.class, registry);
            var commandSerde = new RegistryAvroDeserializer<>(RevokeCommand.class, registry);
            var resultSerde = new RegistryAvroDeserializer<>(RevocationResult.class, registry);
            List<Alert> alerts = new ArrayList<>();
            List<RevokeCommand> commands = new ArrayList<>();
            List<RevocationResult> results = new ArrayList<>();
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
                List<TopicPartition> partitions = new ArrayList<>();
                for (String topic : List.of(Topics.ALERTS, Topics.KILLSWITCH_COMMANDS, Topics.KILLSWITCH_RESULTS)) {
                    consumer.partitionsFor(topic, Duration.ofSeconds(10))
                            .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
                }
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                Set<TopicPartition> done = new HashSet<>();
                while (done.size() < partitions.size() && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        switch (r.topic()) {
                            case Topics.ALERTS -> alerts.add(alertSerde.deserialize(r.topic(), r.value()));
                            case Topics.KILLSWITCH_COMMANDS -> commands.add(commandSerde.deserialize(r.topic(), r.value()));
                            default -> results.add(resultSerde.deserialize(r.topic(), r.value()));
                        }
                    }
                    for (TopicPartition p : partitions) {
                        if (consumer.position(p) >= end.get(p)) {
                            done.add(p);
                        }
                    }
                }
                assertThat(done).as("read every output topic to its end").hasSize(partitions.size());
            }
            return new Outcomes(alerts, commands, results);
        }
    }

    private static void printSummary() throws Exception {
        StringBuilder out = new StringBuilder();
        out.append("\n=== Detection quality (cluster ").append(CLUSTER).append(", bundled rules + test exceptions.yaml) ===\n");
        out.append(String.format("%-52s %4s %6s  %-24s %-15s %s%n", "pattern", "runs", "caught", "by rule", "response", "notes"));
        int patterns = 0;
        int caughtPatterns = 0;
        for (Row r : SUMMARY.values()) {
            out.append(String.format("%-52s %4d %6d  %-24s %-15s %s%n", r.pattern(), r.runs(), r.caught(), r.rule(), r.response(), r.note()));
            patterns++;
            if (r.caught() == r.runs()) {
                caughtPatterns++;
            }
        }
        out.append(String.format("attack patterns: %d, caught every time: %d%n", patterns, caughtPatterns));
        ATTACK_NOTES.forEach(n -> out.append(n).append('\n'));
        out.append("--- benign corpus ---\n");
        BENIGN_NOTES.forEach(n -> out.append(n).append('\n'));
        out.append(String.format("class runtime: %.1f s%n", (System.nanoTime() - startedNanos) / 1e9));
        PrintStream console = System.out;
        console.print(out);
        Path target = Path.of("target");
        if (Files.isDirectory(target)) {
            Files.writeString(target.resolve("detection-quality-summary.txt"), out.toString(), StandardCharsets.UTF_8);
        }
    }
}
