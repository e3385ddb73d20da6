package dev.firebreak.launcher.corpus;

import dev.firebreak.launcher.corpus.CorpusCase.Kind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import liquibase.Liquibase;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;
import org.flywaydb.core.Flyway;

/**
 * The benign corpus: real tools doing their ordinary job against the guarded database, in a
 * CI-sized form. Flyway, Liquibase and pgbench run for real; dbt, pg_partman, a test suite,
 * {@code pg_restore --clean} and a janitor are replayed as the exact statement sequences they send.
 * None may be revoked or blocked.
 */
public final class BenignCorpus {
    static final int DBT_MODELS = 20;
    static final int PARTITIONS_DROPPED = 12;

    private BenignCorpus() {
    }

    public static List<CorpusCase> cases() {
        List<CorpusCase> cases = new ArrayList<>();
        cases.add(benign("benign/dbt-model-rebuild", DBT_MODELS + " table models rebuilt the dbt way (tmp table, rename swap, drop backup)",
                "issue 14; dbt-postgres table materialization", BenignCorpus::dbtRebuild));
        cases.add(benign("benign/partition-retention", PARTITIONS_DROPPED + " old daily partitions detached and dropped, as pg_partman retention does",
                "issue 14; pg_partman run_maintenance", BenignCorpus::partitionRetention));
        cases.add(benign("benign/flyway-migrate", "Flyway 11 migrate: 4 migrations, 3 legacy tables dropped, a column dropped",
                "issue 14; Flyway (real library)", ctx -> {
                    String role = ctx.createRole("flyway");
                    var result = Flyway.configure().dataSource(ctx.postgres().jdbcUrl(), role, CorpusContext.password(role))
                            .schemas(role).locations("classpath:dev/firebreak/launcher/corpus/flyway").load().migrate();
                    ctx.note("flyway applied " + result.migrationsExecuted + " migrations, success=" + result.success);
                    return List.of(ctx.principal(role));
                }));
        cases.add(benign("benign/liquibase-update", "Liquibase 4 update: 3 change sets, a rename, 3 work tables dropped",
                "issue 14; Liquibase (real library)", BenignCorpus::liquibase));
        cases.add(benign("benign/test-suite-fixtures", "3 test classes each create 6 fixture tables and drop them at teardown",
                "issue 14", BenignCorpus::testFixtures));
        cases.add(benign("benign/restore-clean", "pg_restore --clean --if-exists of a schema: drop every object, recreate, reload",
                "issue 14; pg_restore --clean", BenignCorpus::restoreClean));
        cases.add(benign("benign/maintenance", "VACUUM, ANALYZE, REINDEX, CREATE/DROP INDEX CONCURRENTLY, CLUSTER",
                "issue 14", ctx -> {
                    String role = ctx.createRole("maint");
                    ctx.tables(role, role, 3, 5000);
                    ctx.runAs(role, "VACUUM (ANALYZE) " + role + ".t001", "ANALYZE " + role + ".t002",
                            "REINDEX TABLE " + role + ".t003",
                            "CREATE INDEX CONCURRENTLY t001_v_idx ON " + role + ".t001 (v)",
                            "REINDEX INDEX CONCURRENTLY " + role + ".t001_v_idx",
                            "CLUSTER " + role + ".t002 USING t002_pkey",
                            "DROP INDEX CONCURRENTLY " + role + ".t001_v_idx",
                            "VACUUM FULL " + role + ".t003");
                    return List.of(ctx.principal(role));
                }));
        cases.add(benign("benign/batched-janitor", "20,000 expired rows of a 30,000-row table deleted in 1,000-row batches",
                "issue 14", BenignCorpus::janitor));
        cases.add(benign("benign/pgbench", "pgbench -i twice (re-init drops its 4 tables), then 3 s of TPC-B on 2 clients",
                "issue 14; pgbench (real binary)", BenignCorpus::pgbench));
        cases.add(benign("benign/logical-replication-setup", "publication, replica identity, slot; torn down and set up again",
                "issue 14", BenignCorpus::logicalReplication));
        return cases;
    }

    private static CorpusCase benign(String id, String description, String origin, CorpusCase.Body body) {
        return new CorpusCase(id, Kind.BENIGN, description, origin, body);
    }

    private static List<String> dbtRebuild(CorpusContext ctx) throws Exception {
        String role = ctx.createRole("dbt");
        try (Connection c = ctx.connect(role); Statement st = c.createStatement()) {
            for (int i = 1; i <= DBT_MODELS; i++) {
                st.execute(String.format("CREATE TABLE %s.m%02d AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 300) g",
                        role, i));
            }
            // dbt run: each table model in its own transaction, as dbt-postgres materializes it
            c.setAutoCommit(false);
            int rebuilt = 0;
            for (int i = 1; i <= DBT_MODELS; i++) {
                String m = String.format("m%02d", i);
                st.execute(String.format("CREATE TABLE %1$s.%2$s__dbt_tmp AS SELECT g AS id, md5((g * 7)::text) AS v "
                        + "FROM generate_series(1, 300) g", role, m));
                st.execute(String.format("ALTER TABLE %1$s.%2$s RENAME TO %2$s__dbt_backup", role, m));
                st.execute(String.format("ALTER TABLE %1$s.%2$s__dbt_tmp RENAME TO %2$s", role, m));
                st.execute(String.format("DROP TABLE IF EXISTS %1$s.%2$s__dbt_backup CASCADE", role, m));
                c.commit();
                rebuilt++;
            }
            ctx.note("rebuilt " + rebuilt + "/" + DBT_MODELS + " models");
        } catch (SQLException e) {
            if (!CorpusContext.stopped(e)) {
                throw e;
            }
            ctx.note("run broke: " + CorpusContext.firstLine(e));
        }
        return List.of(ctx.principal(role));
    }

    private static List<String> partitionRetention(CorpusContext ctx) throws Exception {
        String role = ctx.createRole("partman");
        StringBuilder sql = new StringBuilder("CREATE TABLE " + role + ".events (id bigint, at date NOT NULL, payload text) "
                + "PARTITION BY RANGE (at);");
        for (int d = 0; d < PARTITIONS_DROPPED + 7; d++) {
            sql.append(String.format("CREATE TABLE %1$s.events_p%2$02d PARTITION OF %1$s.events "
                    + "FOR VALUES FROM (DATE '2026-01-01' + %2$d) TO (DATE '2026-01-01' + %3$d);", role, d, d + 1));
        }
        sql.append("INSERT INTO ").append(role).append(".events SELECT g, DATE '2026-01-01' + (g % ")
                .append(PARTITIONS_DROPPED + 7).append("), md5(g::text) FROM generate_series(1, 9500) g;");
        ctx.admin(sql + "ALTER TABLE " + role + ".events OWNER TO " + role + ";"
                + partitionOwners(role, PARTITIONS_DROPPED + 7));
        List<String> retention = new ArrayList<>();
        for (int d = 0; d < PARTITIONS_DROPPED; d++) {
            retention.add(String.format("ALTER TABLE %1$s.events DETACH PARTITION %1$s.events_p%2$02d", role, d));
            retention.add(String.format("DROP TABLE %1$s.events_p%2$02d", role, d));
        }
        int done = ctx.runAs(role, retention.toArray(String[]::new));
        ctx.note("retention ran " + done + "/" + retention.size() + " statements");
        return List.of(ctx.principal(role));
    }

    private static String partitionOwners(String role, int n) {
        StringBuilder sql = new StringBuilder();
        for (int d = 0; d < n; d++) {
            sql.append(String.format("ALTER TABLE %1$s.events_p%2$02d OWNER TO %1$s;", role, d));
        }
        return sql.toString();
    }

    private static List<String> liquibase(CorpusContext ctx) throws Exception {
        String role = ctx.createRole("liquibase");
        try (Connection c = ctx.connect(role)) {
            Database database = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
            database.setDefaultSchemaName(role);
            database.setLiquibaseSchemaName(role);
            try (Liquibase liquibase = new Liquibase("dev/firebreak/launcher/corpus/liquibase/changelog.yaml",
                    new ClassLoaderResourceAccessor(BenignCorpus.class.getClassLoader()), database)) {
                liquibase.update("");
            }
        } catch (liquibase.exception.LiquibaseException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            if (!(root instanceof SQLException sql) || !CorpusContext.stopped(sql)) {
                throw e;
            }
            ctx.note("update broke: " + CorpusContext.firstLine(root));
            return List.of(ctx.principal(role));
        }
        ctx.note("liquibase update done, " + count(ctx, "SELECT count(*) FROM " + role + ".databasechangelog") + " change sets");
        return List.of(ctx.principal(role));
    }

    private static List<String> testFixtures(CorpusContext ctx) throws Exception {
        String role = ctx.createRole("ci");
        int classes = 0;
        for (int k = 1; k <= 3; k++) {
            List<String> statements = new ArrayList<>();
            for (int t = 1; t <= 6; t++) {
                statements.add(String.format("CREATE TABLE %s.fx_%d_%d (id serial PRIMARY KEY, name text)", role, k, t));
                statements.add(String.format("INSERT INTO %s.fx_%d_%d (name) SELECT 'row ' || g FROM generate_series(1, 50) g", role, k, t));
            }
            statements.add(String.format("SELECT count(*) FROM %s.fx_%d_1", role, k));
            for (int t = 6; t >= 1; t--) {
                statements.add(String.format("DROP TABLE IF EXISTS %s.fx_%d_%d", role, k, t));
            }
            if (ctx.runAs(role, statements.toArray(String[]::new)) < statements.size()) {
                break;
            }
            classes++;
            Thread.sleep(300);
        }
        ctx.note(classes + "/3 test classes set up and torn down");
        return List.of(ctx.principal(role));
    }

    private static List<String> restoreClean(CorpusContext ctx) throws Exception {
        String role = ctx.createRole("restorer");
        String s = role;
        ctx.admin("GRANT CREATE ON DATABASE postgres TO " + role);
        List<String> create = new ArrayList<>();
        for (int t = 1; t <= 8; t++) {
            create.add(String.format("CREATE TABLE %s.t%d (id integer NOT NULL, v text)", s, t));
        }
        create.add("CREATE SEQUENCE " + s + ".ids");
        create.add("CREATE VIEW " + s + ".v_all AS SELECT id, v FROM " + s + ".t1 UNION ALL SELECT id, v FROM " + s + ".t2");
        for (int t = 1; t <= 8; t++) {
            create.add(String.format("INSERT INTO %s.t%d SELECT g, md5(g::text) FROM generate_series(1, 400) g", s, t));
        }
        for (int t = 1; t <= 8; t++) {
            create.add(String.format("ALTER TABLE ONLY %1$s.t%2$d ADD CONSTRAINT t%2$d_pkey PRIMARY KEY (id)", s, t));
        }
        create.add("CREATE INDEX t1_v_idx ON " + s + ".t1 USING btree (v)");
        ctx.runAs(role, create.toArray(String[]::new));
        // What pg_restore --clean --if-exists sends first (reverse dependency order), then the restore itself.
        List<String> restore = new ArrayList<>();
        restore.add("DROP INDEX IF EXISTS " + s + ".t1_v_idx");
        for (int t = 8; t >= 1; t--) {
            restore.add(String.format("ALTER TABLE IF EXISTS ONLY %1$s.t%2$d DROP CONSTRAINT IF EXISTS t%2$d_pkey", s, t));
        }
        restore.add("DROP VIEW IF EXISTS " + s + ".v_all");
        for (int t = 8; t >= 1; t--) {
            restore.add(String.format("DROP TABLE IF EXISTS %s.t%d", s, t));
        }
        restore.add("DROP SEQUENCE IF EXISTS " + s + ".ids");
        restore.add("DROP SCHEMA IF EXISTS " + s);
        restore.add("CREATE SCHEMA " + s);
        restore.addAll(create);
        int done = ctx.runAs(role, restore.toArray(String[]::new));
        ctx.note("restore ran " + done + "/" + restore.size() + " statements");
        return List.of(ctx.principal(role));
    }

    private static List<String> janitor(CorpusContext ctx) throws Exception {
        String role = ctx.createRole("janitor");
        ctx.admin(String.format("""
                CREATE TABLE %1$s.logs (id bigserial PRIMARY KEY, created timestamptz NOT NULL, line text);
                INSERT INTO %1$s.logs (created, line) SELECT now() - interval '90 days', md5(g::text) FROM generate_series(1, 20000) g;
                INSERT INTO %1$s.logs (created, line) SELECT now(), md5(g::text) FROM generate_series(1, 10000) g;
                ALTER TABLE %1$s.logs OWNER TO %1$s;
                """, role));
        int removed = 0;
        int batches = 0;
        try (Connection c = ctx.connect(role); Statement st = c.createStatement()) {
            while (true) {
                int n = st.executeUpdate("DELETE FROM " + role + ".logs WHERE id IN (SELECT id FROM " + role + ".logs "
                        + "WHERE created < now() - interval '30 days' ORDER BY id LIMIT 1000)");
                if (n == 0) {
                    break;
                }
                removed += n;
                batches++;
                Thread.sleep(100);
            }
            st.execute("VACUUM (ANALYZE) " + role + ".logs");
        } catch (SQLException e) {
            if (!CorpusContext.stopped(e)) {
                throw e;
            }
            ctx.note("janitor cut off: " + CorpusContext.firstLine(e));
        }
        ctx.note("removed " + removed + " rows in " + batches + " batches");
        return List.of(ctx.principal(role));
    }

    private static List<String> pgbench(CorpusContext ctx) throws Exception {
        Path binary = Path.of(System.getProperty("firebreak.pgbench", "/usr/bin/pgbench"));
        if (!Files.isExecutable(binary)) {
            throw new CorpusSkipped("pgbench not found at " + binary + " (Debian: postgresql-client; or -Dfirebreak.pgbench=...)");
        }
        String role = ctx.createRole("pgbench");
        // pgbench creates its tables in the first schema of the search path: the role's own
        String init1 = run(ctx, binary, role, "-i", "-s", "1", "-q");
        String init2 = run(ctx, binary, role, "-i", "-s", "1", "-q");
        String load = run(ctx, binary, role, "-n", "-c", "2", "-j", "2", "-T", "3");
        ctx.note("pgbench: init " + init1 + "; re-init " + init2 + "; run " + load);
        return List.of(ctx.principal(role));
    }

    private static String run(CorpusContext ctx, Path binary, String role, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        command.add("postgres");
        Path log = Files.createTempFile("firebreak-corpus-pgbench", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().put("PGHOST", ctx.postgres().host());
            builder.environment().put("PGPORT", Integer.toString(ctx.postgres().port()));
            builder.environment().put("PGUSER", role);
            builder.environment().put("PGPASSWORD", CorpusContext.password(role));
            builder.environment().put("PGAPPNAME", "pgbench");
            Process p = builder.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "killed after 120 s";
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            String tps = out.lines().filter(l -> l.startsWith("tps")).findFirst().orElse("");
            String error = out.lines().filter(l -> l.contains("ERROR") || l.contains("FATAL") || l.contains("error"))
                    .findFirst().orElse("");
            return "exit " + p.exitValue() + (tps.isEmpty() ? "" : ", " + tps) + (error.isEmpty() ? "" : ", " + error);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static List<String> logicalReplication(CorpusContext ctx) throws Exception {
        String role = ctx.createRole("repl");
        ctx.admin("ALTER ROLE " + role + " REPLICATION; GRANT CREATE ON DATABASE postgres TO " + role);
        ctx.tables(role, role, 3, 500);
        String slot = role + "_slot";
        List<String> setup = List.of(
                "CREATE PUBLICATION " + role + "_pub FOR TABLE " + role + ".t001, " + role + ".t002",
                "ALTER TABLE " + role + ".t003 REPLICA IDENTITY FULL",
                "ALTER PUBLICATION " + role + "_pub ADD TABLE " + role + ".t003",
                "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')",
                // a subscriber re-sync: tear down and set up again
                "SELECT pg_drop_replication_slot('" + slot + "')",
                "DROP PUBLICATION " + role + "_pub",
                "CREATE PUBLICATION " + role + "_pub FOR TABLE " + role + ".t001, " + role + ".t002, " + role + ".t003",
                "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')",
                "SELECT pg_drop_replication_slot('" + slot + "')");
        int done = ctx.runAs(role, setup.toArray(String[]::new));
        ctx.note("replication set-up ran " + done + "/" + setup.size() + " statements");
        return List.of(ctx.principal(role));
    }

    private static long count(CorpusContext ctx, String sql) throws SQLException {
        try (Connection c = ctx.postgres().superuserConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
