package dev.firebreak.launcher.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Single-row autocommit UPDATEs on one connection at a fixed rate: a steady, known event rate for
 * the capture path, unlike pgbench, which runs as fast as the database lets it. Statement {@code i}
 * is due at {@code start + i / rate}; a loop that falls behind sends back to back until it is on
 * time again, so the achieved rate is below the target only when the database cannot keep up. It
 * stops at the end of the duration even when behind: the rate is then what one connection achieved.
 */
final class PacedUpdates {
    /**
     * What the loop did.
     *
     * @param statements UPDATEs that completed
     * @param seconds    first statement due to the last one completed (the duration, give or take a statement)
     */
    record Result(long statements, double seconds) {
        double perSecond() {
            return seconds > 0 ? statements / seconds : 0;
        }
    }

    private PacedUpdates() {
    }

    /**
     * Runs {@code UPDATE <table> SET <column> = <column> + 1 WHERE <key> = ?} over keys 1..{@code keys}
     * in turn at {@code perSecond} for {@code duration}.
     */
    static Result run(Connection connection, String table, String key, String column, int keys, int perSecond,
                      Duration duration) throws SQLException {
        long periodNanos = 1_000_000_000L / perSecond;
        String sql = "UPDATE " + table + " SET " + column + " = " + column + " + 1 WHERE " + key + " = ?";
        try (PreparedStatement update = connection.prepareStatement(sql)) {
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            long done = 0;
            for (long due = start; due < end && System.nanoTime() < end; due += periodNanos) {
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                update.setInt(1, (int) (done % keys) + 1);
                update.executeUpdate();
                done++;
            }
            return new Result(done, (System.nanoTime() - start) / 1e9);
        }
    }
}
