package dev.firebreak.launcher.bench;

import dev.firebreak.stack.PostgresService;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * Ingest throughput of the DML path: single-row autocommit {@code DELETE ... WHERE id = ?} on one
 * watched table from several connections at once, each statement one event.
 */
final class DmlThroughput {
    static final String TABLE = "fbb_tput";
    private static final Duration IDLE = Duration.ofSeconds(15);
    private final PostgresService postgres;
    private final EventTap tap;
    private final Deadline deadline;

    DmlThroughput(PostgresService postgres, EventTap tap, Deadline deadline) {
        this.postgres = postgres;
        this.tap = tap;
        this.deadline = deadline;
    }

    ThroughputResult run(int connections, int perConnection) throws SQLException, InterruptedException {
        long planned = (long) connections * perConnection;
        List<Session> sessions = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                sessions.add(Session.open(postgres, DatabasePaths.DML_ROLE));
            }
            sessions.get(0).executeInTransaction(List.of(
                    "CREATE TABLE " + TABLE + " (id int PRIMARY KEY)",
                    "INSERT INTO " + TABLE + " SELECT generate_series(1, " + planned + ")"));
            FlowCounter counter = tap.count(EventMatchers.deleteOn("public." + TABLE));
            try {
                ParallelClients.Run run = ParallelClients.run(connections, "fbb-dml-client",
                        (index, done) -> deleteRows(sessions.get(index), index * perConnection + 1, perConnection, done));
                return new ThroughputResult("dml", String.format(Locale.ROOT,
                        "%d connections x %d single-row DELETE ... WHERE id = ? (autocommit)", connections, perConnection),
                        planned, run, counter.await(run.completed(), IDLE, deadline));
            } finally {
                tap.stopCounting(counter);
            }
        } finally {
            for (Session session : sessions) {
                session.close();
            }
        }
    }

    private void deleteRows(Session session, int firstId, int count, LongAdder done)
            throws SQLException {
        try (PreparedStatement delete = session.connection().prepareStatement("DELETE FROM " + TABLE + " WHERE id = ?")) {
            for (int i = 0; i < count && !deadline.passed(); i++) {
                delete.setInt(1, firstId + i);
                delete.executeUpdate();
                done.increment();
            }
        }
    }
}
