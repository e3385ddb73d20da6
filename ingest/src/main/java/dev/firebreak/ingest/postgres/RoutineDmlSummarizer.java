package dev.firebreak.ingest.postgres;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With {@code dml.routine=summary}: every interval, asks the watched database to summarise the
 * routine DELETE/UPDATE statements run since the last time ({@code firebreak.summarize_routine_dml},
 * V5). The summaries are WAL messages like every other capture message, so they reach Kafka through
 * the same slot, with the same at-least-once acknowledgement, and the cursor they advance commits
 * with them: a stopped ingest loses nothing, its next summary is larger.
 */
final class RoutineDmlSummarizer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RoutineDmlSummarizer.class);
    /** Messages per transaction: a backlog is written in several short transactions, never one huge one. */
    static final int BATCH = 500;

    private final CaptureHealth.ConnectionFactory connections;
    private final ScheduledExecutorService timer;
    private final Counter written;
    private final Counter failures;
    private Connection connection;
    private boolean failing;

    RoutineDmlSummarizer(CaptureHealth.ConnectionFactory connections, MeterRegistry meters) {
        this.connections = connections;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "firebreak-dml-summary");
            t.setDaemon(true);
            return t;
        });
        this.written = Counter.builder("firebreak_ingest_dml_summaries_total")
                .description("Summaries of routine DELETE/UPDATE statements written (one per role and statement shape per interval)")
                .register(meters);
        this.failures = Counter.builder("firebreak_ingest_dml_summary_failures_total")
                .description("Summary runs that failed; the next run reports what this one did not")
                .register(meters);
    }

    RoutineDmlSummarizer start(Duration interval) {
        timer.scheduleWithFixedDelay(this::run, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** One run: as many batches as the backlog needs; each batch moves the cursor, so a backlog ends. */
    private void run() {
        try {
            int batch;
            do {
                batch = summarizeBatch();
                written.increment(batch);
            } while (batch == BATCH);
            if (failing) {
                LOG.info("routine DML summaries written again");
                failing = false;
            }
        } catch (SQLException | RuntimeException e) {
            failures.increment();
            if (!failing) {
                LOG.warn("routine DML summary failed (retried every interval, nothing is skipped): {}", e.getMessage());
                failing = true;
            }
            closeConnection();
        }
    }

    private int summarizeBatch() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = connections.open();
            connection.setAutoCommit(true);
        }
        try (PreparedStatement st = connection.prepareStatement("SELECT firebreak.summarize_routine_dml(?)")) {
            st.setInt(1, BATCH);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // already broken
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnection();
    }
}
