package dev.firebreak.ingest.agent;

import dev.firebreak.ingest.TopicReader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.firebreak.ingest.IngestConfig;
import dev.firebreak.ingest.classify.ActionClassifier;
import dev.firebreak.ingest.classify.RulesActionClassifier;
import dev.firebreak.ingest.postgres.PostgresCapture;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Both agent action paths on a real PostgreSQL 17, a real KRaft Kafka and the real capture engine. */
class AgentActionCaptureIT {
    private static final String REGISTRY = "mem://agent-action-it";
    private static final String TOKEN = "it-token-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The call from the incident thread: one GraphQL mutation that deleted a production volume. */
    private static final String RAILWAY_CURL = "curl -X POST https://backboard.railway.app/graphql/v2 "
            + "-H \"Authorization: Bearer [token]\" "
            + "-d '{\"query\":\"mutation { volumeDelete(volumeId: \\\"3d2c42fb-0000\\\") }\"}'";
    private static EmbeddedPostgres17 pg;
    private static EmbeddedKafka kafka;
    private static PostgresCapture capture;
    private static AgentActionEndpoint endpoint;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() {
        pg = EmbeddedPostgres17.start(Map.of());
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(Topics.PIPELINE_TOPICS, Map.of());
        // The real, rules-driven classifier: the railway assertions must hold with the bundled rules.
        ActionClassifier classifier = RulesActionClassifier.defaults();
        AgentActionConfig agent = AgentActionConfig.defaults().withHttp("127.0.0.1", 0, List.of(AgentTokenGrant.of(TOKEN, "*")))
                .withLimits(AgentActionParser.DEFAULT_INPUT_MAX_CHARS, 64 * 1024, 100);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        capture = new PostgresCapture(IngestConfig.of("it", pg.host(), pg.port(), EmbeddedPostgres17.DATABASE,
                EmbeddedPostgres17.SUPERUSER, EmbeddedPostgres17.SUPERUSER_PASSWORD, kafka.bootstrapServers(), REGISTRY, 1),
                agent, classifier, meters);
        capture.start(Duration.ofSeconds(60));
        endpoint = new AgentActionEndpoint(agent, "it", classifier, AuditEventSink.of(capture.sink()), meters).start();
    }

    @AfterAll
    static void stop() {
        if (endpoint != null) {
            endpoint.close();
        }
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
    void insertedActionsArriveWithAgentAndTokenPrincipals() throws Exception {
        String agent = "cursor-" + UUID.randomUUID();
        try (KafkaConsumer<String, AuditEvent> events = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS)) {
            long curl = insert(agent, "run-1", "token:railway/abc123", "bash", RAILWAY_CURL, "production");
            long select = insert(agent, "run-1", "pg:it/app_ro", "psql", "SELECT count(*) FROM orders", null);
            List<AuditEvent> got = TopicReader.pollUntil(events, 2, e -> e.getPrincipal().equals("agent:" + agent));
            AuditEvent deletion = byId(got, "pg:it/agent_actions/" + curl);
            assertThat(deletion.getSource()).isEqualTo(AuditSource.AGENT_ACTION_TABLE);
            assertThat(deletion.getLinkedPrincipals()).containsExactly("token:railway/abc123");
            assertThat(deletion.getDestructive()).as("the railway volumeDelete call").isTrue();
            assertThat(deletion.getClassification()).isNotNull();
            assertThat(deletion.getStatement()).isEqualTo(RAILWAY_CURL);
            assertThat(deletion.getLsn()).isNotNull();
            assertThat(deletion.getCluster()).isEqualTo("it");
            assertThat(deletion.getAttributes()).containsEntry("run_id", "run-1").containsEntry("tool", "bash")
                    .containsEntry("target_environment", "production").containsEntry("row_id", Long.toString(curl));
            AuditEvent read = byId(got, "pg:it/agent_actions/" + select);
            assertThat(read.getLinkedPrincipals()).containsExactly("pg:it/app_ro");
            assertThat(read.getDestructive()).isFalse();
            assertThat(read.getAttributes()).containsEntry("kind", "SQL");
        }
    }

    @Test
    void aMalformedRowGoesToTheDeadLetterTopicAndCaptureGoesOn() throws Exception {
        String marker = UUID.randomUUID().toString();
        String good = "agent-" + marker;
        try (KafkaConsumer<String, DeadLetter> dlq = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, DeadLetter.class, Topics.AUDIT_DLQ);
             KafkaConsumer<String, AuditEvent> events = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS)) {
            long bad = insert("agent with spaces " + marker, null, null, "bash", "ls", null);
            insert(good, null, null, "quantum-eraser", "zap", null);
            DeadLetter letter = TopicReader.pollUntil(dlq, 1, d -> payload(d).contains(marker)).get(0);
            assertThat(letter.getSource()).isEqualTo(AgentActionTableRouter.SOURCE_NAME);
            assertThat(letter.getReason()).contains("row " + bad).contains("field 'agent_id'");
            assertThat(letter.getOrigin()).contains("lsn=");
            JsonNode row = JSON.readTree(payload(letter));
            assertThat(row.get("id").asLong()).isEqualTo(bad);
            assertThat(row.get("tool").asText()).isEqualTo("bash");
            AuditEvent after = TopicReader.pollUntil(events, 1, e -> e.getPrincipal().equals("agent:" + good)).get(0);
            assertThat(after.getAttributes()).as("unknown tools are kept").containsEntry("kind", "OTHER");
        }
    }

    @Test
    void changingTheLogIsReportedAsTampering() throws Exception {
        String agent = "sneaky-" + UUID.randomUUID();
        try (KafkaConsumer<String, AuditEvent> events = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            long id = insert(agent, "run-9", "token:railway/abc123", "bash", "rm -rf /var/lib/postgresql", "production");
            st.executeUpdate("UPDATE firebreak.agent_actions SET input = 'ls' WHERE id = " + id);
            st.executeUpdate("DELETE FROM firebreak.agent_actions WHERE id = " + id);
            List<AuditEvent> got = TopicReader.pollUntil(events, 3, e -> e.getPrincipal().equals("agent:" + agent));
            List<AuditEvent> tampered = got.stream()
                    .filter(e -> e.getAction().equals(AgentActionNormalizer.TAMPERED_ACTION)).toList();
            assertThat(tampered).hasSize(2).allSatisfy(e -> {
                assertThat(e.getDestructive()).isTrue();
                assertThat(e.getClassification()).isEqualTo(AgentActionNormalizer.TAMPERED_RULE_ID);
                assertThat(e.getLinkedPrincipals()).containsExactly("token:railway/abc123");
            });
            assertThat(tampered).extracting(e -> e.getAttributes().get("tampered_operation"))
                    .containsExactlyInAnyOrder("UPDATE", "DELETE");
            assertThat(tampered).extracting(AuditEvent::getStatement)
                    .as("each reports the row as it was before the change")
                    .containsExactlyInAnyOrder("rm -rf /var/lib/postgresql", "ls");
        }
    }

    @Test
    void truncatingTheLogIsDeadLettered() throws Exception {
        try (KafkaConsumer<String, DeadLetter> dlq = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, DeadLetter.class, Topics.AUDIT_DLQ);
             Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("TRUNCATE firebreak.agent_actions");
            assertThat(TopicReader.pollUntil(dlq, 1, d -> d.getReason().contains("TRUNCATE")).get(0).getSource())
                    .isEqualTo(AgentActionTableRouter.SOURCE_NAME);
        }
    }

    @Test
    void eventTriggerMessagesStillFlowBesideTheTable() throws Exception {
        String table = "t_" + UUID.randomUUID().toString().replace("-", "");
        try (KafkaConsumer<String, AuditEvent> events = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS);
             Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE TABLE " + table + " (id int)");
            st.execute("DROP TABLE " + table);
            AuditEvent drop = TopicReader.pollUntil(events, 1, e -> e.getSource() == AuditSource.POSTGRES_EVENT_TRIGGER
                    && e.getAction().equals("DROP TABLE") && e.getStatement().contains(table)).get(0);
            assertThat(drop.getPrincipal()).isEqualTo("pg:it/postgres");
        }
    }

    @Test
    void writersNeedAGrantAndCannotRewriteTheLog() throws Exception {
        String role = "framework_" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'pw'");
        }
        String insert = "INSERT INTO firebreak.agent_actions (agent_id, tool, input) VALUES ('a', 'bash', 'ls')";
        try (Connection framework = pg.connect(role, "pw"); Statement st = framework.createStatement()) {
            assertThatThrownBy(() -> st.execute(insert)).isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
        }
        try (Connection admin = pg.superuserConnection(); Statement st = admin.createStatement()) {
            st.execute("GRANT INSERT ON firebreak.agent_actions TO " + role);
            st.execute("GRANT USAGE ON SEQUENCE firebreak.agent_actions_id_seq TO " + role);
        }
        try (Connection framework = pg.connect(role, "pw"); Statement st = framework.createStatement()) {
            st.execute(insert);
            assertThatThrownBy(() -> st.execute("DELETE FROM firebreak.agent_actions")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("permission denied");
        }
    }

    @Test
    void installerIsIdempotent() throws Exception {
        try (Connection admin = pg.superuserConnection()) {
            AgentActionTableInstaller installer = new AgentActionTableInstaller("firebreak_audit");
            installer.install(admin);
            installer.install(admin);
            try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT (SELECT count(*) FROM pg_publication_tables WHERE pubname = 'firebreak_audit'"
                            + " AND schemaname = 'firebreak' AND tablename = 'agent_actions'),"
                            + " (SELECT relreplident FROM pg_class WHERE oid = 'firebreak.agent_actions'::regclass)")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);
                assertThat(rs.getString(2)).isEqualTo("f");
            }
        }
    }

    @Test
    void postedActionsArriveOnTheEventsTopic() throws Exception {
        String agent = "http-" + UUID.randomUUID();
        String batch = JSON.writeValueAsString(List.of(
                Map.of("agent_id", agent, "run_id", "r1", "tool", "bash", "input", RAILWAY_CURL,
                        "credential", "token:railway/abc123", "target_environment", "production"),
                Map.of("agent_id", agent, "run_id", "r1", "tool", "psql", "input", "SELECT 1",
                        "occurred_at", "2025-04-25T10:00:00Z", "action_id", "step-2"),
                Map.of("agent_id", agent, "run_id", "r1", "tool", "http", "input", "delete the staging volume",
                        "action_id", "step-3", "http", Map.of("method", "POST",
                                "url", "https://backboard.railway.app/graphql/v2",
                                "body", Map.of("query", "mutation { volumeDelete(volumeId: \"3d2c42fb-0000\") }")))));
        try (KafkaConsumer<String, AuditEvent> events = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS)) {
            HttpResponse<String> r = post(batch, TOKEN, "application/json");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            JsonNode ids = JSON.readTree(r.body()).get("event_ids");
            List<AuditEvent> got = TopicReader.pollUntil(events, 3, e -> e.getPrincipal().equals("agent:" + agent));
            assertThat(got).extracting(AuditEvent::getEventId)
                    .containsExactlyInAnyOrder(ids.get(0).asText(), ids.get(1).asText(), ids.get(2).asText());
            assertThat(got).allSatisfy(e -> assertThat(e.getSource()).isEqualTo(AuditSource.AGENT_ACTION_HTTP));
            AuditEvent curl = got.stream().filter(e -> e.getAttributes().get("tool").equals("bash")).findFirst().orElseThrow();
            assertThat(curl.getDestructive()).isTrue();
            assertThat(curl.getLinkedPrincipals()).containsExactly("token:railway/abc123");
            assertThat(byId(got, "agent:" + agent + "/id:step-2").getDestructive()).isFalse();
            AuditEvent call = byId(got, "agent:" + agent + "/id:step-3");
            assertThat(call.getDestructive()).as("the reported GraphQL volumeDelete call").isTrue();
            assertThat(call.getAttributes()).containsEntry("kind", "HTTP");
        }
    }

    @Test
    void httpRefusalsOnTheRealStack() throws Exception {
        String agent = "refused-" + UUID.randomUUID();
        String record = "{\"agent_id\": \"" + agent + "\", \"tool\": \"bash\", \"input\": \"ls\"}";
        HttpResponse<String> malformed = post("[" + record + ", {\"agent_id\": \"" + agent + "\", \"input\": \"ls\"}]",
                TOKEN, "application/json");
        assertThat(malformed.statusCode()).isEqualTo(422);
        assertThat(JSON.readTree(malformed.body()).get("field").asText()).isEqualTo("tool");
        assertThat(JSON.readTree(malformed.body()).get("index").asInt()).isEqualTo(1);
        HttpResponse<String> unauthenticated = HTTP.send(HttpRequest.newBuilder(actionsUri())
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(record)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(unauthenticated.statusCode()).isEqualTo(401);
        assertThat(post(record, "not-the-token-0123456789", "application/json").statusCode()).isEqualTo(401);
        String oversized = "{\"agent_id\": \"" + agent + "\", \"tool\": \"bash\", \"input\": \"" + "x".repeat(70_000) + "\"}";
        assertThat(post(oversized, TOKEN, "application/json").statusCode()).isEqualTo(413);
        assertThat(post(record, TOKEN, "text/plain").statusCode()).isEqualTo(415);
        // Nothing of the refused requests reached Kafka: a later accepted one is the only event of this agent.
        String marker = "{\"agent_id\": \"" + agent + "\", \"tool\": \"bash\", \"input\": \"accepted\"}";
        assertThat(post(marker, TOKEN, "application/json").statusCode()).isEqualTo(202);
        try (KafkaConsumer<String, AuditEvent> events = TopicReader.subscribe(kafka.bootstrapServers(), REGISTRY, AuditEvent.class, Topics.AUDIT_EVENTS)) {
            List<AuditEvent> got = TopicReader.pollUntil(events, 1, e -> e.getPrincipal().equals("agent:" + agent));
            drain(events, got, e -> e.getPrincipal().equals("agent:" + agent));
            assertThat(got).extracting(AuditEvent::getStatement).containsExactly("accepted");
        }
    }

    private static long insert(String agent, String run, String credential, String tool, String input, String env)
            throws SQLException {
        try (Connection admin = pg.superuserConnection(); PreparedStatement st = admin.prepareStatement(
                "INSERT INTO firebreak.agent_actions (agent_id, run_id, credential, tool, input, target_environment)"
                        + " VALUES (?, ?, ?, ?, ?, ?) RETURNING id")) {
            st.setString(1, agent);
            st.setString(2, run);
            st.setString(3, credential);
            st.setString(4, tool);
            st.setString(5, input);
            st.setString(6, env);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static HttpResponse<String> post(String body, String token, String contentType) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(actionsUri()).header("Authorization", "Bearer " + token)
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static URI actionsUri() {
        return URI.create("http://127.0.0.1:" + endpoint.port() + AgentActionEndpoint.ACTIONS_PATH);
    }

    private static AuditEvent byId(List<AuditEvent> events, String id) {
        return events.stream().filter(e -> e.getEventId().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no event " + id + " among " + events));
    }

    private static String payload(DeadLetter letter) {
        return new String(letter.getPayload().array(), StandardCharsets.UTF_8);
    }

    /** Keeps polling briefly so that records that should not exist would show up. */
    private static <T> void drain(KafkaConsumer<String, T> consumer, List<T> found, Predicate<T> match) {
        long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        while (System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(100)).forEach(r -> {
                if (match.test(r.value())) {
                    found.add(r.value());
                }
            });
        }
    }
}
