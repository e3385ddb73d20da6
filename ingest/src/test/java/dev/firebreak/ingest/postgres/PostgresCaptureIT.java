package dev.firebreak.ingest.postgres;

import dev.firebreak.ingest.TopicReader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.guard.GuardPolicy;
import dev.firebreak.guard.GuardRule;
import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.guard.GuardConfig;
import dev.firebreak.ingest.guard.GuardPolicyInstaller;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The capture path on a real PostgreSQL 17 and a real KRaft Kafka. */
class PostgresCaptureIT {
    private static final String REGISTRY = "mem://ingest-it";
    private static EmbeddedPostgres17 pg;
    private static EmbeddedKafka kafka;
    private static PostgresCapture capture;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres17.start(Map.of());
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(Topics.PIPELINE_TOPICS, Map.of());
        capture = startCapture();
    }

    private static PostgresCapture startCapture() {
        PostgresCapture started = new PostgresCapture(IngestConfig.of("it", pg.host(), pg.port(), EmbeddedPostgres17.DATABASE,
                EmbeddedPostgres17.SUPERUSER, EmbeddedPostgres17.SUPERUSER_PASSWORD, kafka.bootstrapServers(), REGISTRY, 1),
                new SimpleMeterRegistry());
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
    void dropsAreCapturedWithWhoDidItBeforeCommit() throws Exception {
        String role = "agent_" + UUID.randomUUID().toString().substring(0, 8);
        createRoleOwningTables(role, "s_" + role, 3);
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection agent = pg.connect(role, "pw")) {
            agent.setAutoCommit(false);
            try (Statement st = agent.createStatement()) {
                st.execute("SET application_name = 'rogue-agent'");
                st.execute("DROP TABLE s_" + role + ".t0");
                // the transaction stays open: the event must arrive anyway
                List<AuditEvent> events = TopicReader.pollUntil(consumer, 1, e -> e.getPrincipal().equals("pg:it/" + role)
                        && e.getAttributes().get("trigger").equals("sql_drop"));
                AuditEvent drop = events.get(0);
                assertThat(drop.getAction()).isEqualTo("DROP TABLE");
                assertThat(drop.getSource()).isEqualTo(AuditSource.POSTGRES_EVENT_TRIGGER);
                assertThat(drop.getSessionUser()).isEqualTo(role);
                assertThat(drop.getEffectiveUser()).isEqualTo(role);
                assertThat(drop.getApplicationName()).isEqualTo("rogue-agent");
                assertThat(drop.getClientAddr()).isEqualTo("127.0.0.1");
                assertThat(drop.getBackendPid()).isPositive();
                assertThat(drop.getTxid()).isNotNull();
                assertThat(drop.getStatement()).isEqualTo("DROP TABLE s_" + role + ".t0");
                assertThat(drop.getLsn()).isNotNull();
                assertThat(drop.getEventId()).isEqualTo("pg:it/" + Long.toUnsignedString(drop.getLsn(), 16));
                assertThat(drop.getObjects()).extracting(AffectedObject::getObjectType, AffectedObject::getIdentity)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple("table", "s_" + role + ".t0"));
            }
            agent.rollback();
        }
    }

    @Test
    void dropSchemaCascadeListsEveryTable() throws Exception {
        String role = "agent_" + UUID.randomUUID().toString().substring(0, 8);
        createRoleOwningTables(role, "s_" + role, 25);
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
            st.execute("DROP SCHEMA s_" + role + " CASCADE");
            AuditEvent drop = TopicReader.pollUntil(consumer, 1, e -> e.getPrincipal().equals("pg:it/" + role)
                    && e.getAction().equals("DROP SCHEMA") && e.getAttributes().get("trigger").equals("sql_drop")).get(0);
            assertThat(drop.getObjects().stream().filter(o -> o.getObjectType().equals("table")).count()).isEqualTo(25);
            assertThat(drop.getObjects()).anyMatch(o -> o.getObjectType().equals("schema") && o.getOriginal());
        }
    }

    @Test
    void installerIsIdempotent() throws Exception {
        try (Connection admin = pg.superuserConnection()) {
            TriggerInstaller installer = new TriggerInstaller(IngestConfig.DEFAULT_MESSAGE_PREFIX, "firebreak_audit", 2048);
            assertThat(installer.install(admin)).isEmpty();
            assertThat(TriggerInstaller.installedVersion(admin)).isEqualTo(TriggerInstaller.latestVersion());
            try (Statement st = admin.createStatement(); var rs = st.executeQuery(
                    "SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'firebreak_%'")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(3);
            }
        }
    }

    @Test
    void theGuardRefusesWhileCaptureIsDownAndTheRefusalArrivesWhenItIsBack() throws Exception {
        String role = "guarded_" + UUID.randomUUID().toString().substring(0, 8);
        createRoleOwningTables(role, "s_" + role, 3);
        GuardPolicyInstaller all = new GuardPolicyInstaller(GuardConfig.fromMap(Map.of(GuardConfig.SCOPE, "all")), "it");
        try (Connection admin = pg.superuserConnection()) {
            all.apply(admin, new GuardPolicy(List.of(new GuardRule("it-statement-drops", "two relations at once",
                    GuardRule.Kind.STATEMENT_DROPS, GuardRule.Mode.ENFORCE, 2, 0, null, null, List.of())), List.of()));
        }
        capture.close();
        try (Connection agent = pg.connect(role, "pw"); Statement st = agent.createStatement()) {
            assertThatThrownBy(() -> st.execute("DROP SCHEMA s_" + role + " CASCADE"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("FB001"));
        } finally {
            capture = startCapture();
            try (Connection admin = pg.superuserConnection()) {
                new GuardPolicyInstaller(GuardConfig.defaults(), "it").apply(admin, GuardPolicy.NONE);
            }
        }
        try (KafkaConsumer<String, AuditEvent> consumer = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS)) {
            AuditEvent refused = TopicReader.pollUntil(consumer, 1, e -> e.getPrincipal().equals("pg:it/" + role)
                    && "blocked".equals(e.getAttributes().get("guard_outcome"))).get(0);
            assertThat(refused.getAction()).isEqualTo("DROP SCHEMA");
            assertThat(refused.getAttributes()).containsEntry("guard_rule", "it-statement-drops");
        }
        assertThat(tablesOf("s_" + role)).isEqualTo(3);
    }

    @Test
    void theIntegritySweepSeesDriftAndTheSlotsHoldOnTheDatabase() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (CaptureHealth health = new CaptureHealth(pg::superuserConnection, "firebreak_it", meters)) {
            health.sweep();
            assertThat(health.problems()).as("intact after install").isZero();
            assertThat(meters.get("firebreak_ingest_slot_safe_wal_bytes").gauge().value())
                    .as("capped by max_slot_wal_keep_size").isPositive();
            assertThat(meters.get("firebreak_ingest_slot_retained_wal_bytes").gauge().value()).isNotNegative();
            try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
                st.execute("ALTER EVENT TRIGGER firebreak_ddl_command_start DISABLE");
                st.execute("GRANT EXECUTE ON FUNCTION firebreak.emit(text, jsonb, boolean, text) TO PUBLIC");
                try {
                    health.sweep();
                    assertThat(health.problems()).isEqualTo(2);
                    assertThat(meters.get("firebreak_capture_integrity_problems").gauge().value()).isEqualTo(2.0);
                } finally {
                    st.execute("REVOKE EXECUTE ON FUNCTION firebreak.emit(text, jsonb, boolean, text) FROM PUBLIC");
                    st.execute("ALTER EVENT TRIGGER firebreak_ddl_command_start ENABLE");
                }
            }
            health.sweep();
            assertThat(health.problems()).isZero();
        }
    }

    @Test
    void otherRolesCannotForgeMessages() throws Exception {
        String role = "forger_" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'pw'");
        }
        try (Connection forger = pg.connect(role, "pw"); Statement st = forger.createStatement()) {
            assertThatThrownBy(() -> st.execute("SELECT pg_logical_emit_message(false, 'firebreak.audit.v1', "
                    + "'{\"v\":1,\"session_user\":\"postgres\"}', true)"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("permission denied");
            // nor through Firebreak's own emitter: only its trigger functions may call it
            assertThatThrownBy(() -> st.execute("SELECT firebreak.emit('sql_drop', '{\"tag\":\"DROP TABLE\"}'::jsonb, true, '')"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("permission denied for function emit");
        }
    }

    @Test
    void unparseableMessageGoesToTheDeadLetterTopicAndCaptureGoesOn() throws Exception {
        String marker = "not json " + UUID.randomUUID();
        try (KafkaConsumer<String, DeadLetter> dlq = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, DeadLetter.class, Topics.AUDIT_DLQ);
             KafkaConsumer<String, AuditEvent> events = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("SELECT pg_logical_emit_message(false, 'firebreak.audit.v1', '" + marker + "', true)");
            DeadLetter letter = TopicReader.pollUntil(dlq, 1,
                    d -> new String(d.getPayload().array(), StandardCharsets.UTF_8).equals(marker)).get(0);
            assertThat(letter.getReason()).contains("not JSON");
            assertThat(letter.getOrigin()).contains("lsn=");
            st.execute("CREATE TABLE after_dlq (id int)");
            st.execute("GRANT SELECT ON after_dlq TO PUBLIC");
            List<AuditEvent> after = TopicReader.pollUntil(events, 2, e -> e.getStatement() != null
                    && e.getStatement().contains("after_dlq"));
            assertThat(after).extracting(AuditEvent::getAction).contains("CREATE TABLE", "GRANT");
            assertThat(after.stream().filter(e -> e.getAction().equals("GRANT")).findFirst().orElseThrow()
                    .getObjects()).isNotEmpty();
        }
    }

    private static int tablesOf(String schema) throws SQLException {
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void createRoleOwningTables(String role, String schema, int tables) throws SQLException {
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'pw'");
            st.execute("CREATE SCHEMA " + schema + " AUTHORIZATION " + role);
            for (int i = 0; i < tables; i++) {
                st.execute("CREATE TABLE " + schema + ".t" + i + " (id int primary key, v text)");
                st.execute("ALTER TABLE " + schema + ".t" + i + " OWNER TO " + role);
            }
        }
    }
}
