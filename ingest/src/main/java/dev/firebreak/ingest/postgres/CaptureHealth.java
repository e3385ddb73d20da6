package dev.firebreak.ingest.postgres;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The integrity sweep and the slot's hold on the watched database, every few seconds: tables that
 * grew enough for an UPDATE to be judged get the UPDATE gate ({@link TriggerInstaller#scopeUpdateGates}),
 * then what is installed is compared with what should be ({@code firebreak.integrity()}: event
 * triggers present and enabled, nobody else executing the emitting functions, every watched table
 * carrying its triggers, nobody able to silence them), and the WAL the replication slot retains is measured
 * against {@code max_slot_wal_keep_size}. Both are exported for the alert rules; drift is logged
 * at WARN whenever the set of problems changes.
 */
final class CaptureHealth implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureHealth.class);

    private final ConnectionFactory connections;
    private final String slot;
    private final ScheduledExecutorService timer;
    private final AtomicLong problems = new AtomicLong();
    private final AtomicLong retained = new AtomicLong();
    private final AtomicLong safe = new AtomicLong(-1);
    private final AtomicLong lost = new AtomicLong();
    private List<String> lastProblems = List.of();
    private boolean warnedUncapped;

    /** Opens a connection to the watched database. */
    @FunctionalInterface
    interface ConnectionFactory {
        Connection open() throws SQLException;
    }

    CaptureHealth(ConnectionFactory connections, String slot, MeterRegistry meters) {
        this.connections = connections;
        this.slot = slot;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "firebreak-capture-health");
            t.setDaemon(true);
            return t;
        });
        Gauge.builder("firebreak_capture_integrity_problems", problems, AtomicLong::get)
                .description("Differences between Firebreak's installed capture objects and what should be installed (0 = intact)")
                .register(meters);
        Gauge.builder("firebreak_ingest_slot_retained_wal_bytes", retained, AtomicLong::get)
                .description("WAL the replication slot holds on the watched database").baseUnit("bytes").register(meters);
        Gauge.builder("firebreak_ingest_slot_safe_wal_bytes", safe, AtomicLong::get)
                .description("WAL that may still be written before max_slot_wal_keep_size invalidates the slot; -1 when uncapped")
                .baseUnit("bytes").register(meters);
        Gauge.builder("firebreak_ingest_slot_lost", lost, AtomicLong::get)
                .description("1 when PostgreSQL invalidated the slot (wal_status lost): capture must be re-initialised")
                .register(meters);
    }

    CaptureHealth start(Duration interval) {
        timer.scheduleWithFixedDelay(this::sweep, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** One sweep; public to the package so tests need not wait for the timer. */
    void sweep() {
        try (Connection c = connections.open()) {
            List<String> found = new ArrayList<>(updateGates(c));
            found.addAll(integrity(c));
            problems.set(found.size());
            if (!found.equals(lastProblems)) {
                if (found.isEmpty()) {
                    LOG.info("capture integrity restored");
                } else {
                    LOG.warn("capture integrity: {} problem(s): {}", found.size(), found);
                }
                lastProblems = found;
            }
            slot(c);
        } catch (SQLException | RuntimeException e) {
            LOG.warn("capture health sweep failed: {}", e.getMessage());
        }
    }

    long problems() {
        return problems.get();
    }

    /** A table that grew enough for an UPDATE to be judged gets the gate; one that cannot is a problem. */
    private static List<String> updateGates(Connection c) {
        try {
            return TriggerInstaller.scopeUpdateGates(c, false).problems();
        } catch (SQLException e) {
            return List.of("the UPDATE gates could not be checked: " + e.getMessage());
        }
    }

    private static List<String> integrity(Connection c) throws SQLException {
        List<String> found = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT problem FROM firebreak.integrity()")) {
            while (rs.next()) {
                found.add(rs.getString(1));
            }
        }
        return found;
    }

    private void slot(Connection c) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT retained_bytes, safe_bytes, wal_status FROM firebreak.slot_health(?)")) {
            st.setString(1, slot);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    return;
                }
                retained.set(rs.getLong(1));
                long safeBytes = rs.getLong(2);
                boolean uncapped = rs.wasNull();
                safe.set(uncapped ? -1 : safeBytes);
                lost.set("lost".equals(rs.getString(3)) ? 1 : 0);
                if (uncapped && !warnedUncapped) {
                    warnedUncapped = true;
                    LOG.warn("slot {}: max_slot_wal_keep_size is not set, so a stopped ingest lets WAL pile up until the "
                            + "primary's disk is full; set it (see README, 'Never harm the watched database')", slot);
                }
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
