package dev.firebreak.launcher.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The server's WAL counters ({@code pg_stat_wal}, cluster-wide): how many records and bytes were
 * written and how often WAL was synced to disk. A capture trigger that flushes its message costs one
 * sync per statement, where commits of concurrent sessions share one; these counters show it.
 *
 * @param records WAL records written
 * @param bytes   WAL bytes written
 * @param syncs   WAL syncs to disk (fdatasync or the like), by any process
 */
record WalStats(long records, long bytes, long syncs) {
    private static final String READ = "SELECT wal_records, wal_bytes, wal_sync FROM pg_stat_wal";
    private static final String BACKENDS = "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?";
    private static final long SETTLE_MILLIS = 2000;

    static WalStats read(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(READ); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new WalStats(rs.getLong(1), rs.getLong(2), rs.getLong(3));
        }
    }

    /**
     * Reads the counters once every backend of {@code applicationName} has gone (at most 2 s): a
     * backend reports its last WAL statistics as it exits, which is after its client has.
     */
    static WalStats readAfterExit(Connection connection, String applicationName) throws SQLException, InterruptedException {
        long until = System.nanoTime() + SETTLE_MILLIS * 1_000_000;
        try (PreparedStatement ps = connection.prepareStatement(BACKENDS)) {
            ps.setString(1, applicationName);
            while (System.nanoTime() < until) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        break;
                    }
                }
                Thread.sleep(20);
            }
        }
        return read(connection);
    }

    WalStats minus(WalStats earlier) {
        return new WalStats(records - earlier.records, bytes - earlier.bytes, syncs - earlier.syncs);
    }
}
