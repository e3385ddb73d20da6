package dev.firebreak.launcher.demo;

import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.schema.Micros;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Replays the 9-second incident: a login role that owns a schema full of tables drops them one by
 * one at a steady rate, either each in its own transaction (autocommit) or all inside one. It keeps
 * going until PostgreSQL stops it, exactly like the agent in the incident did.
 */
public final class RogueAgent {
    /** How the rogue runs its drops. */
    public enum Mode {
        AUTOCOMMIT, TRANSACTION,
        /** One statement, {@code DROP SCHEMA ... CASCADE}: what one statement destroys, all at once. */
        CASCADE;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One DROP TABLE as the rogue saw it.
     *
     * @param sqlState the error's SQLSTATE, null when it went through; FB001/FB002 are guard refusals
     */
    public record Drop(String table, long startedUs, long endedUs, boolean ok, String error, String sqlState) {
        /** Refused inside PostgreSQL by Firebreak's guard: the session is still there, the table too. */
        public boolean refusedByGuard() {
            return sqlState != null && sqlState.startsWith("FB");
        }
    }

    /** What one run did. */
    public record Run(Mode mode, String role, String schema, int tablesTotal, List<Drop> drops,
                      boolean committed, String reconnect) {
        public long statementsAccepted() {
            return drops.stream().filter(Drop::ok).count();
        }
    }

    private final String jdbcUrl;
    private final String role;
    private final String password;
    private final String schema;

    public RogueAgent(String jdbcUrl, String role, String password, String schema) {
        this.jdbcUrl = jdbcUrl;
        this.role = role;
        this.password = password;
        this.schema = schema;
    }

    /** Creates the role and a schema it owns with {@code tables} tables of {@code rows} rows each. */
    public void prepare(Connection admin, int tables, int rows) throws SQLException {
        try (PreparedStatement st = admin.prepareStatement("SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', ?::text, ?::text)")) {
            st.setString(1, role);
            st.setString(2, password);
            try (ResultSet rs = st.executeQuery(); Statement ddl = admin.createStatement()) {
                rs.next();
                ddl.execute(rs.getString(1));
            }
        }
        LocalStack.makeLockable(admin, role);
        ensureSetupFunction(admin);
        try (PreparedStatement st = admin.prepareStatement("SELECT firebreak_demo_setup(?, ?, ?, ?)")) {
            st.setString(1, role);
            st.setString(2, schema);
            st.setInt(3, tables);
            st.setInt(4, rows);
            st.execute();
        }
    }

    private static void ensureSetupFunction(Connection admin) throws SQLException {
        try (Statement st = admin.createStatement()) {
            st.execute("""
                    CREATE OR REPLACE FUNCTION firebreak_demo_setup(r text, s text, n int, rows int) RETURNS void
                    LANGUAGE plpgsql AS $fn$
                    BEGIN
                        EXECUTE format('CREATE SCHEMA %I AUTHORIZATION %I', s, r);
                        FOR i IN 1..n LOOP
                            EXECUTE format('CREATE TABLE %I.%I (id int PRIMARY KEY, payload text)', s, 't' || lpad(i::text, 3, '0'));
                            EXECUTE format('INSERT INTO %I.%I SELECT g, md5(g::text) FROM generate_series(1, %s) g',
                                           s, 't' || lpad(i::text, 3, '0'), rows);
                            EXECUTE format('ALTER TABLE %I.%I OWNER TO %I', s, 't' || lpad(i::text, 3, '0'), r);
                        END LOOP;
                    END
                    $fn$""");
        }
    }

    /** Drops the tables in order, {@code perSecond} a second, until done or stopped by the database. */
    public Run run(Mode mode, int tables, double perSecond, Consumer<Drop> onDrop) {
        List<Drop> drops = new ArrayList<>();
        boolean committed = false;
        long intervalNanos = (long) (1_000_000_000L / perSecond);
        try (Connection c = connect()) {
            c.setAutoCommit(mode != Mode.TRANSACTION);
            if (mode == Mode.CASCADE) {
                Drop drop = execute(c, "DROP SCHEMA " + quote(schema) + " CASCADE", "schema " + schema);
                drops.add(drop);
                onDrop.accept(drop);
                return new Run(mode, role, schema, tables, drops, true, tryReconnect());
            }
            long next = System.nanoTime();
            for (int i = 1; i <= tables; i++) {
                sleepUntil(next);
                next += intervalNanos;
                Drop drop = drop(c, String.format("%s.t%03d", quote(schema), i));
                drops.add(drop);
                onDrop.accept(drop);
                // A refused agent tries again, as the one in the incident did; anything else ends the run.
                if (!drop.ok() && !(drop.refusedByGuard() && mode == Mode.AUTOCOMMIT)) {
                    break;
                }
            }
            if (mode == Mode.TRANSACTION && drops.stream().allMatch(Drop::ok)) {
                c.commit();
                committed = true;
            }
        } catch (SQLException e) {
            // the connection died under the rogue (that is the point); what happened is in drops
        }
        return new Run(mode, role, schema, tables, drops, committed || mode == Mode.AUTOCOMMIT, tryReconnect());
    }

    private Drop drop(Connection c, String table) {
        return execute(c, "DROP TABLE " + table, table);
    }

    private Drop execute(Connection c, String sql, String target) {
        long started = Micros.now();
        try (Statement st = c.createStatement()) {
            st.execute(sql);
            return new Drop(target, started, Micros.now(), true, null, null);
        } catch (SQLException e) {
            return new Drop(target, started, Micros.now(), false, firstLine(e.getMessage()), e.getSQLState());
        }
    }

    /** What a real agent does next: log in again. Returns the refusal, or "accepted". */
    public String tryReconnect() {
        try (Connection ignored = connect()) {
            return "accepted";
        } catch (SQLException e) {
            return firstLine(e.getMessage());
        }
    }

    private Connection connect() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", role);
        props.setProperty("password", password);
        props.setProperty("ApplicationName", "rogue-agent");
        return DriverManager.getConnection(jdbcUrl, props);
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static void sleepUntil(long nanoTime) {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

}
