package dev.firebreak.launcher.bench;

import dev.firebreak.launcher.stack.LocalStack;
import static dev.firebreak.launcher.bench.CapturePath.marker;

import dev.firebreak.launcher.bench.CapturePath.Probe;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.stack.PostgresService;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The capture paths that start at a SQL statement, and the roles and tables they use:
 * <ul>
 *   <li>a pool of DDL roles that create and drop tables in turn, each dropping at most once per
 *       {@code dropSpacing}, so no role ever comes near the drop-burst rule;</li>
 *   <li>{@value #DML_ROLE}, owner of the watched tables of the DML and TRUNCATE samples;</li>
 *   <li>{@value #ADMIN_ROLE} ({@code CREATEROLE CREATEDB}) for the statements only the server log sees;</li>
 *   <li>{@value #AGENT_ROLE}, allowed to insert into {@code firebreak.agent_actions}, as an agent framework is.</li>
 * </ul>
 */
final class DatabasePaths implements AutoCloseable {
    static final String DML_ROLE = "fbb_dml";
    static final String ADMIN_ROLE = "fbb_admin";
    static final String AGENT_ROLE = "fbb_agent";
    static final String AGENT_ID = "fbb-bench";
    private static final int UPDATE_ROWS = 100;
    private static final String TRIGGER_CLOCK = "clock_timestamp() in the trigger, before the statement commits";
    private static final String LOG_CLOCK = "the log line's timestamp (ms precision), written as the statement starts";

    private final List<Session> ddl;
    private final long[] lastDropNanos;
    private final Duration dropSpacing;
    private final Session dml;
    private final Session admin;
    private final Session agent;

    private DatabasePaths(List<Session> ddl, Duration dropSpacing, Session dml, Session admin, Session agent) {
        this.ddl = ddl;
        this.lastDropNanos = new long[ddl.size()];
        this.dropSpacing = dropSpacing;
        this.dml = dml;
        this.admin = admin;
        this.agent = agent;
    }

    /**
     * Creates the roles and tables for up to {@code maxSamples} samples per path and opens a
     * session per role. Setup statements are captured too; the warm-up samples absorb them.
     */
    static DatabasePaths prepare(PostgresService postgres, int ddlRoles, Duration dropSpacing, int maxSamples)
            throws SQLException {
        List<String> ddlRoleNames = new ArrayList<>();
        for (int i = 0; i < ddlRoles; i++) {
            ddlRoleNames.add(String.format(Locale.ROOT, "fbb_ddl_%02d", i));
        }
        createRoles(postgres, ddlRoleNames);
        List<Session> opened = new ArrayList<>();
        try {
            for (String role : ddlRoleNames) {
                opened.add(Session.open(postgres, role));
            }
            Session dml = track(opened, Session.open(postgres, DML_ROLE));
            Session admin = track(opened, Session.open(postgres, ADMIN_ROLE));
            Session agent = track(opened, Session.open(postgres, AGENT_ROLE));
            DatabasePaths paths = new DatabasePaths(List.copyOf(opened.subList(0, ddlRoles)), dropSpacing, dml, admin, agent);
            paths.createTables(maxSamples);
            return paths;
        } catch (SQLException | RuntimeException e) {
            for (Session session : opened) {
                closeQuietly(session);
            }
            throw e;
        }
    }

    private static void createRoles(PostgresService postgres, List<String> ddlRoles) throws SQLException {
        List<String> sql = new ArrayList<>();
        for (String role : ddlRoles) {
            sql.add("CREATE ROLE " + role + " LOGIN PASSWORD '" + Session.PASSWORD + "'");
            sql.add("GRANT CREATE ON SCHEMA public TO " + role);
        }
        sql.add("CREATE ROLE " + DML_ROLE + " LOGIN PASSWORD '" + Session.PASSWORD + "'");
        sql.add("GRANT CREATE ON SCHEMA public TO " + DML_ROLE);
        sql.add("CREATE ROLE " + ADMIN_ROLE + " LOGIN CREATEROLE CREATEDB PASSWORD '" + Session.PASSWORD + "'");
        sql.add("CREATE ROLE " + AGENT_ROLE + " LOGIN PASSWORD '" + Session.PASSWORD + "'");
        sql.add("GRANT USAGE ON SCHEMA firebreak TO " + AGENT_ROLE);
        sql.add("GRANT INSERT ON firebreak.agent_actions TO " + AGENT_ROLE);
        sql.add("GRANT USAGE ON SEQUENCE firebreak.agent_actions_id_seq TO " + AGENT_ROLE);
        try (Connection c = postgres.superuserConnection(); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
            for (String role : ddlRoles) {
                LocalStack.makeLockable(c, role); // the drop bursts get these roles revoked
            }
        }
    }

    // Tables are created by their owners, so the ddl_command_end trigger puts the DML triggers on them.
    private void createTables(int maxSamples) throws SQLException {
        dml.executeInTransaction(List.of(
                "CREATE TABLE fbb_delete (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)",
                "INSERT INTO fbb_delete (id) SELECT generate_series(1, " + maxSamples + ")",
                "CREATE TABLE fbb_update (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)",
                "INSERT INTO fbb_update (id) SELECT generate_series(1, " + UPDATE_ROWS + ")",
                "CREATE TABLE fbb_truncate (id int)"));
        for (int r = 0; r < ddl.size(); r++) {
            List<String> creates = new ArrayList<>();
            for (int seq = r; seq < maxSamples; seq += ddl.size()) {
                creates.add("CREATE TABLE " + marker("fbb_drop", seq) + " (id int)");
            }
            ddl.get(r).executeInTransaction(creates);
        }
    }

    /** Every SQL path, in the order they run. */
    List<CapturePath> paths() {
        return List.of(ddlCreate(), ddlDrop(), dmlDelete(), dmlUpdate(), truncate(), logRole(), logDatabase(), agentTable());
    }

    private CapturePath ddlCreate() {
        return new CapturePath("ddl-create", "CREATE TABLE, ddl_command_end event trigger", TRIGGER_CLOCK, seq -> {
            String table = marker("fbb_create", seq);
            Session role = ddl.get(seq % ddl.size());
            return new Probe(EventMatchers.trigger("ddl_command_end", "CREATE TABLE", table),
                    () -> role.execute("CREATE TABLE " + table + " (id int)"));
        });
    }

    private CapturePath ddlDrop() {
        return new CapturePath("ddl-drop", "DROP TABLE, sql_drop event trigger", TRIGGER_CLOCK, seq -> {
            int r = seq % ddl.size();
            awaitDropSpacing(r);
            String table = marker("fbb_drop", seq);
            return new Probe(EventMatchers.trigger("sql_drop", "DROP TABLE", table), () -> {
                lastDropNanos[r] = System.nanoTime();
                ddl.get(r).execute("DROP TABLE " + table);
            });
        });
    }

    private void awaitDropSpacing(int role) throws InterruptedException {
        if (lastDropNanos[role] == 0) {
            return;
        }
        long waitNanos = lastDropNanos[role] + dropSpacing.toNanos() - System.nanoTime();
        if (waitNanos > 0) {
            Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
        }
    }

    private CapturePath dmlDelete() {
        return new CapturePath("dml-delete", "DELETE of 1 row, statement trigger", TRIGGER_CLOCK, seq -> {
            String marker = marker("fbb_del", seq);
            return new Probe(EventMatchers.trigger("dml", "DELETE", marker),
                    () -> dml.execute("/* " + marker + " */ DELETE FROM fbb_delete WHERE id = " + (seq + 1)));
        });
    }

    private CapturePath dmlUpdate() {
        return new CapturePath("dml-update", "UPDATE of 1 row, statement trigger", TRIGGER_CLOCK, seq -> {
            String marker = marker("fbb_upd", seq);
            return new Probe(EventMatchers.trigger("dml", "UPDATE", marker),
                    () -> dml.execute("/* " + marker + " */ UPDATE fbb_update SET v = v + 1 WHERE id = "
                            + (seq % UPDATE_ROWS + 1)));
        });
    }

    private CapturePath truncate() {
        return new CapturePath("truncate", "TRUNCATE, truncate trigger", TRIGGER_CLOCK, seq -> {
            String marker = marker("fbb_trunc", seq);
            return new Probe(EventMatchers.trigger("truncate", "TRUNCATE", marker),
                    () -> dml.execute("/* " + marker + " */ TRUNCATE fbb_truncate"));
        });
    }

    /** Even samples create a role, odd ones drop the role the sample before created. */
    private CapturePath logRole() {
        return new CapturePath("log-role", "CREATE ROLE / DROP ROLE alternating, server log", LOG_CLOCK,
                seq -> createOrDrop("ROLE", marker("fbb_role", seq / 2), seq % 2 == 0));
    }

    /** Even samples create a database, odd ones drop the database the sample before created. */
    private CapturePath logDatabase() {
        return new CapturePath("log-database", "CREATE DATABASE / DROP DATABASE alternating, server log", LOG_CLOCK,
                seq -> createOrDrop("DATABASE", marker("fbb_db", seq / 2), seq % 2 == 0));
    }

    private Probe createOrDrop(String objectKind, String name, boolean create) {
        String action = (create ? "CREATE " : "DROP ") + objectKind;
        return new Probe(EventMatchers.serverLog(action, name), () -> admin.execute(action + " " + name));
    }

    private CapturePath agentTable() {
        return new CapturePath("agent-table", "INSERT into firebreak.agent_actions, Debezium row change",
                "clock_timestamp() of the INSERT; the row is read after it commits", seq -> {
            String marker = marker("fbb_agent_table", seq);
            return new Probe(EventMatchers.agentAction(AuditSource.AGENT_ACTION_TABLE, marker), () -> agent.execute(
                    "INSERT INTO firebreak.agent_actions (agent_id, tool, input, occurred_at) VALUES ('" + AGENT_ID
                            + "', 'bash', 'ls /tmp/" + marker + "', clock_timestamp())"));
        });
    }

    private static Session track(List<Session> opened, Session session) {
        opened.add(session);
        return session;
    }

    private static void closeQuietly(Session session) {
        try {
            session.close();
        } catch (SQLException e) {
            // closing after a failed setup: the first error is the one reported
        }
    }

    @Override
    public void close() {
        ddl.forEach(DatabasePaths::closeQuietly);
        closeQuietly(dml);
        closeQuietly(admin);
        closeQuietly(agent);
    }
}
