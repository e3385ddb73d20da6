package dev.firebreak.launcher.bench;

import dev.firebreak.stack.PostgresService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * What the trigger functions (capture and guard) add to one statement, measured as an ordinary
 * role, which the guard judges, in the watched and the unwatched database of the same cluster,
 * one after the other: DDL (CREATE TABLE gets its three audit triggers, DROP TABLE goes through the
 * drop-rate row lock) and DML with large row sets (a DELETE the guard has to size the table for,
 * an UPDATE counted from the backend's counters). Drops are paced under the bundled drop-rate guard
 * and burst rule, so nothing is refused or revoked.
 */
final class GuardLatency {
    /** One statement kind's latencies, ms, in both databases. */
    record Sample(String statement, Percentiles watched, Percentiles unwatched) {
    }

    private static final long DROP_PACE_MS = 600;
    private static final int BIG_ROWS = 100_000;

    private GuardLatency() {
    }

    static List<Sample> measure(PostgresService postgres, String watched, String unwatched, String role, String password,
                                int ddlSamples, int dmlSamples) throws SQLException, InterruptedException {
        for (String db : List.of(watched, unwatched)) {
            try (Connection admin = DriverManager.getConnection(postgres.jdbcUrl(db), PostgresService.SUPERUSER,
                    PostgresService.SUPERUSER_PASSWORD); Statement st = admin.createStatement()) {
                st.execute("DROP TABLE IF EXISTS gl_big");
                st.execute("CREATE TABLE gl_big AS SELECT g AS id, 'v' AS v FROM generate_series(1, " + BIG_ROWS + ") g");
                st.execute("ALTER TABLE gl_big OWNER TO " + role);
                st.execute("GRANT CREATE ON SCHEMA public TO " + role);
            }
        }
        List<Sample> samples = new ArrayList<>();
        samples.add(both(postgres, watched, unwatched, role, password, "CREATE TABLE", ddlSamples,
                i -> "CREATE TABLE gl_t" + i + " (id int, v text)", null));
        samples.add(both(postgres, watched, unwatched, role, password, "DROP TABLE (paced " + DROP_PACE_MS + " ms)", ddlSamples,
                i -> "DROP TABLE gl_t" + i, null));
        samples.add(both(postgres, watched, unwatched, role, password, "DELETE 20% of 100,000 rows", dmlSamples,
                i -> "DELETE FROM gl_big WHERE id % 5 = 0",
                "INSERT INTO gl_big SELECT g, 'v' FROM generate_series(5, " + BIG_ROWS + ", 5) g"));
        samples.add(both(postgres, watched, unwatched, role, password, "UPDATE 20% of 100,000 rows", dmlSamples,
                i -> "UPDATE gl_big SET v = 'w' WHERE id % 5 = 1", null));
        return samples;
    }

    private static Sample both(PostgresService postgres, String watched, String unwatched, String role, String password,
                               String label, int n, IntFunction<String> statement, String restore)
            throws SQLException, InterruptedException {
        return new Sample(label, run(postgres, watched, role, password, label, n, statement, restore),
                run(postgres, unwatched, role, password, label, n, statement, restore));
    }

    private static Percentiles run(PostgresService postgres, String db, String role, String password, String label, int n,
                                   IntFunction<String> statement, String restore) throws SQLException, InterruptedException {
        List<Double> ms = new ArrayList<>(n);
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(db), role, password); Statement st = c.createStatement()) {
            for (int i = 0; i < n; i++) {
                long started = System.nanoTime();
                st.execute(statement.apply(i));
                ms.add((System.nanoTime() - started) / 1e6);
                if (restore != null) {
                    st.execute(restore);
                }
                if (label.startsWith("DROP")) {
                    Thread.sleep(DROP_PACE_MS);
                }
            }
        }
        return Percentiles.of(ms);
    }

    static String format(Sample s) {
        return String.format(Locale.ROOT, "%-30s %4d %8.2f %8.2f %8.2f   %8.2f %8.2f %8.2f   %5.2f",
                s.statement(), s.watched().count(), s.watched().p50(), s.watched().p99(), s.watched().max(),
                s.unwatched().p50(), s.unwatched().p99(), s.unwatched().max(), s.watched().p50() - s.unwatched().p50());
    }
}
