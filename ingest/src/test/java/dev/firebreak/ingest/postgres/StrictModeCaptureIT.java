package dev.firebreak.ingest.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.guard.GuardPolicy;
import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.TopicReader;
import dev.firebreak.ingest.agent.AgentActionConfig;
import dev.firebreak.ingest.guard.GuardConfig;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Strict mode driven by the real capture on a real PostgreSQL 17 and KRaft Kafka: capture beats
 * while its probes make the round trip through the slot and Kafka; stopped, its beat goes stale and
 * a guarded DROP is refused (FB004); started again, it beats and the DROP goes through, and the
 * refusal reaches the audit topic. Waits are bounded polls, never fixed sleeps.
 */
@Timeout(240)
class StrictModeCaptureIT {
    private static final String REGISTRY = "mem://strict-capture-it";
    private static final String GROUP = "strict_capture_guarded";
    private static final String ROLE = "strict_capture_agent";
    private static final long STALE_AFTER_MS = 3_000;
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static EmbeddedPostgres17 pg;
    private static EmbeddedKafka kafka;
    private static PostgresCapture capture;
    private static SimpleMeterRegistry meters;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres17.start(Map.of());
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(Topics.PIPELINE_TOPICS, Map.of());
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE ROLE " + GROUP + " NOLOGIN");
            st.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD 'pw' IN ROLE " + GROUP);
            st.execute("CREATE SCHEMA " + ROLE + " AUTHORIZATION " + ROLE);
        }
        capture = startCapture();
    }

    private static PostgresCapture startCapture() {
        meters = new SimpleMeterRegistry();
        GuardConfig guard = GuardConfig.fromMap(Map.of(GuardConfig.SCOPE, "members_of:" + GROUP,
                GuardConfig.STRICT_STALE_AFTER_MS, Long.toString(STALE_AFTER_MS),
                GuardConfig.HEARTBEAT_INTERVAL_MS, "500"));
        PostgresCapture started = new PostgresCapture(IngestConfig.of("it", pg.host(), pg.port(), EmbeddedPostgres17.DATABASE,
                EmbeddedPostgres17.SUPERUSER, EmbeddedPostgres17.SUPERUSER_PASSWORD, kafka.bootstrapServers(), REGISTRY, 1),
                AgentActionConfig.disabled(), null, guard, GuardPolicy.NONE, meters);
        started.start(Duration.ofSeconds(60));
        return started;
    }

    @AfterAll
    static void stop() {
        if (capture != null) {
            capture.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void aStoppedCaptureStopsGuardedDropsUntilItBeatsAgain() throws Exception {
        createTables("a", "b", "c");
        awaitBeats(capture, 2);
        assertThat(meters.get("firebreak_pipeline_heartbeat_age_seconds").tag("component", "capture").gauge().value())
                .isLessThan(STALE_AFTER_MS / 1000.0);
        assertThat(dropAs("a")).as("fresh beat: allowed").isNull();

        capture.close();
        capture = null;
        String refused = awaitOutcome("b", "FB004");
        assertThat(refused).isEqualTo("FB004");
        assertThat(exists("b")).isTrue();

        capture = startCapture();
        awaitBeats(capture, 1);
        assertThat(awaitOutcome("b", null)).as("beating again: allowed").isNull();
        assertThat(exists("b")).isFalse();

        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY,
                AuditEvent.class, Topics.AUDIT_EVENTS)) {
            AuditEvent refusal = TopicReader.pollUntil(consumer, 1, e -> e.getPrincipal().equals("pg:it/" + ROLE)
                    && "firebreak-strict".equals(e.getAttributes().get("guard_rule"))).get(0);
            assertThat(refusal.getAttributes()).containsEntry("guard_outcome", "blocked");
            assertThat(refusal.getAction()).isEqualTo("DROP TABLE");
        }
    }

    @Test
    void probesNeverBecomeAuditEventsAndReachOnlyTheHeartbeatTopic() throws Exception {
        awaitBeats(capture, 3);
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY,
                AuditEvent.class, Topics.AUDIT_EVENTS)) {
            ConsumerRecords<String, AuditEvent> records = consumer.poll(Duration.ofSeconds(3));
            records.forEach(r -> assertThat(r.value().getStatement()).doesNotContain(CaptureBeat.PROBE));
        }
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "group.id", "strict-it-heartbeat", "auto.offset.reset", "earliest"),
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.INGEST_HEARTBEAT));
            long deadline = System.nanoTime() + BOUND.toNanos();
            int seen = 0;
            while (seen == 0 && System.nanoTime() < deadline) {
                seen += consumer.poll(Duration.ofMillis(500)).count();
            }
            assertThat(seen).as("probes acknowledged on " + Topics.INGEST_HEARTBEAT).isPositive();
        }
    }

    private static void awaitBeats(PostgresCapture c, long more) throws InterruptedException {
        long target = c.heartbeats() + more;
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (c.heartbeats() < target && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(c.heartbeats()).as("capture beats").isGreaterThanOrEqualTo(target);
    }

    /**
     * Tries the DROP until it ends as {@code sqlState} (null: success); returns the last outcome. The
     * table is created again before each try: a try that went through dropped it.
     */
    private static String awaitOutcome(String table, String sqlState) throws InterruptedException {
        // strict mode refuses DROPs, never CREATEs
        long deadline = System.nanoTime() + BOUND.toNanos();
        String outcome;
        do {
            createTables(table);
            outcome = dropAs(table);
            if (java.util.Objects.equals(outcome, sqlState)) {
                return outcome;
            }
            Thread.sleep(250);
        } while (System.nanoTime() < deadline);
        return outcome;
    }

    private static String dropAs(String table) {
        try (Connection c = pg.connect(ROLE, "pw"); Statement st = c.createStatement()) {
            st.execute("DROP TABLE " + ROLE + "." + table);
            return null;
        } catch (SQLException e) {
            return e.getSQLState();
        }
    }

    private static void createTables(String... tables) {
        try (Connection c = pg.connect(ROLE, "pw"); Statement st = c.createStatement()) {
            for (String t : tables) {
                st.execute("CREATE TABLE IF NOT EXISTS " + ROLE + "." + t + " (id int)");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean exists(String table) throws SQLException {
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement();
             ResultSet rs = st.executeQuery("SELECT to_regclass('" + ROLE + "." + table + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
