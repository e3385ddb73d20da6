package dev.firebreak.ingest.postgres;

import dev.firebreak.ingest.kafka.AuditSink;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Capture's heartbeat for strict mode: it beats {@code firebreak.heartbeat} only when the pipeline is
 * live end to end on ingest's side. Each round writes a non-transactional logical message into the
 * WAL, waits until Debezium delivered it back and the batch it came in was acknowledged by Kafka,
 * then waits for Kafka to acknowledge a probe of its own on {@code firebreak.ingest.heartbeat.v1}
 * through the events' producer, and only then calls {@code firebreak.beat('capture', ...)}. A slot
 * nobody reads, a stuck engine, a lagging batch or a Kafka refusing writes all stop the beats, and
 * strict mode (V4) turns that into refusals once they are stale.
 *
 * <p>The probe messages carry {@link HeartbeatRoute#PREFIX}, which is never an audit
 * prefix: they never become audit events.
 */
final class CaptureBeat implements AutoCloseable {
    /** How a probe's content starts, after which comes its nonce. */
    static final String PROBE = "beat:";
    private static final Logger LOG = LoggerFactory.getLogger(CaptureBeat.class);
    private static final String EMIT = "SELECT pg_catalog.pg_logical_emit_message(false, '"
            + HeartbeatRoute.PREFIX + "', ?, true)::text";
    private static final String BEAT = "SELECT firebreak.beat('capture', ?)";
    private static final String AGES = "SELECT component, age_ms FROM firebreak.heartbeat_ages()";
    private static final String STALE = "SELECT firebreak.strict_stale_since() IS NOT NULL";

    private final CaptureHealth.ConnectionFactory connections;
    private final AuditSink sink;
    private final String cluster;
    private final Duration interval;
    private final Duration roundTripTimeout;
    private final ScheduledExecutorService timer;
    private final Map<String, CompletableFuture<String>> inFlight = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> ageMillis = new ConcurrentHashMap<>();
    private final AtomicLong refusing = new AtomicLong();
    private final AtomicLong beats = new AtomicLong();
    private Connection connection;
    private String lastFailure;

    CaptureBeat(CaptureHealth.ConnectionFactory connections, AuditSink sink, String cluster, Duration interval,
                MeterRegistry meters) {
        this.connections = connections;
        this.sink = sink;
        this.cluster = cluster;
        this.interval = interval;
        // A batch behind a backlog may take a while; past this the round counts as missed.
        this.roundTripTimeout = Duration.ofMillis(Math.max(10_000, interval.toMillis() * 5));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "firebreak-capture-beat-" + cluster);
            t.setDaemon(true);
            return t;
        });
        for (String component : new String[] {"capture", "killswitch"}) {
            AtomicLong age = ageMillis.computeIfAbsent(component, c -> new AtomicLong(-1));
            Gauge.builder("firebreak_pipeline_heartbeat_age_seconds", age, a -> a.get() < 0 ? Double.NaN : a.get() / 1000.0)
                    .description("Age of the component's last beat in firebreak.heartbeat as the watched database sees it; NaN when it never beat")
                    .tag("component", component).baseUnit("seconds").register(meters);
        }
        Gauge.builder("firebreak_guard_strict_refusing", refusing, AtomicLong::get)
                .description("1 while strict mode refuses guarded roles' destructive statements (a required heartbeat is stale)")
                .register(meters);
    }

    CaptureBeat start() {
        timer.scheduleWithFixedDelay(this::round, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * Called on the engine's thread once the batch that carried probe {@code content} was
     * acknowledged by Kafka; {@code lsn} is where it was read.
     */
    void returned(String content, long lsn) {
        CompletableFuture<String> waiting = inFlight.get(content.substring(PROBE.length()));
        if (waiting != null) {
            waiting.complete(Long.toUnsignedString(lsn, 16));
        }
    }

    /** Successful beats so far. */
    long beats() {
        return beats.get();
    }

    /** One round: probe, beat when it made the trip, refresh the gauges. Never throws. */
    void round() {
        try {
            Connection c = connection();
            try {
                beat(c, roundTrip(c));
                recovered();
            } catch (TimeoutException | ExecutionException | SQLException e) {
                missed(e instanceof ExecutionException ? e.getCause() : e);
            }
            gauges(c);
        } catch (SQLException | RuntimeException e) {
            missed(e);
            closeConnection();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String roundTrip(Connection c) throws SQLException, InterruptedException, ExecutionException, TimeoutException {
        String nonce = UUID.randomUUID().toString();
        CompletableFuture<String> back = new CompletableFuture<>();
        inFlight.put(nonce, back);
        try {
            try (PreparedStatement st = c.prepareStatement(EMIT)) {
                st.setString(1, PROBE + nonce);
                st.execute();
            }
            String lsn = back.get(roundTripTimeout.toMillis(), TimeUnit.MILLISECONDS);
            RecordMetadata ack = sink.sendHeartbeat(cluster, "lsn " + lsn + " nonce " + nonce)
                    .get(roundTripTimeout.toMillis(), TimeUnit.MILLISECONDS);
            return "lsn " + lsn + ", kafka " + ack.topic() + "-" + ack.partition() + "@" + ack.offset();
        } finally {
            inFlight.remove(nonce);
        }
    }

    private static void beat(Connection c, String detail) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(BEAT)) {
            st.setString(1, detail);
            st.execute();
        }
    }

    private void gauges(Connection c) {
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery(AGES)) {
                while (rs.next()) {
                    long age = rs.getLong(2);
                    ageMillis.computeIfAbsent(rs.getString(1), k -> new AtomicLong()).set(rs.wasNull() ? -1 : age);
                }
            }
            try (ResultSet rs = st.executeQuery(STALE)) {
                rs.next();
                refusing.set(rs.getBoolean(1) ? 1 : 0);
            }
        } catch (SQLException e) {
            LOG.debug("heartbeat gauges not refreshed: {}", e.getMessage());
        }
    }

    private void recovered() {
        if (beats.getAndIncrement() == 0 || lastFailure != null) {
            LOG.info("capture heartbeat beating every {} ms (round trip through the slot and Kafka)", interval.toMillis());
            lastFailure = null;
        }
    }

    // Logged once per distinct failure, not every round.
    private void missed(Throwable e) {
        String why = e instanceof TimeoutException ? "no round trip within " + roundTripTimeout.toMillis() + " ms" : String.valueOf(e.getMessage());
        if (!why.equals(lastFailure)) {
            LOG.warn("capture heartbeat missed ({}); strict mode, when on, refuses guarded roles' destructive statements once the beat is stale",
                    why);
            lastFailure = why;
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = connections.open();
            try (Statement st = connection.createStatement()) {
                st.execute("SET application_name = 'firebreak-capture-beat'");
            }
        }
        return connection;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("closing the heartbeat connection: {}", e.getMessage());
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("capture heartbeat did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        inFlight.values().forEach(f -> f.cancel(true));
        closeConnection();
    }
}
