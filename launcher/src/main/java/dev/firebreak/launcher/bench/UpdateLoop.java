package dev.firebreak.launcher.bench;

import dev.firebreak.stack.PostgresService;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Times pgbench's single-row UPDATEs run in a loop inside the server ({@code update_loop.sql}): per
 * UPDATE, what the backend spends, triggers included, without the client round trips and the
 * contention of a pgbench run, so that a few microseconds of trigger work show above this
 * machine's noise.
 */
final class UpdateLoop {
    private static final String SCRIPT = "update_loop.sql";

    private UpdateLoop() {
    }

    /** UPDATEs per loop transaction: pgbench's three. */
    static final int UPDATES_PER_TRANSACTION = 3;

    /**
     * Microseconds per UPDATE of one loop of {@code transactions} transactions, as {@code role} in
     * {@code database}, whose pgbench tables were initialised at {@code scale}.
     */
    static double microsPerUpdate(PostgresService postgres, String database, String role, String password, int transactions,
                                  int scale) throws SQLException {
        String sql = script().replace("${transactions}", Integer.toString(transactions))
                .replace("${accounts}", Integer.toString(scale * 100_000))
                .replace("${tellers}", Integer.toString(scale * 10))
                .replace("${branches}", Integer.toString(scale));
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(database), role, password);
             Statement st = c.createStatement()) {
            // the loop commits as it goes, which a DO block may only do outside a transaction block;
            // without waiting for the disk, whose flush at every commit would outweigh the triggers
            c.setAutoCommit(true);
            st.execute("SET synchronous_commit = off");
            long start = System.nanoTime();
            st.execute(sql);
            return (System.nanoTime() - start) / 1e3 / ((double) transactions * UPDATES_PER_TRANSACTION);
        }
    }

    private static String script() {
        try (InputStream in = UpdateLoop.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + SCRIPT);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
