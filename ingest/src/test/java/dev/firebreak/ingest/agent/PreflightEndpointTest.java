package dev.firebreak.ingest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.firebreak.ingest.classify.RulesActionClassifier;
import dev.firebreak.ingest.preflight.DecisionEngine;
import dev.firebreak.ingest.preflight.DecisionRules;
import dev.firebreak.ingest.preflight.LiveState;
import dev.firebreak.ingest.preflight.PreflightConfig;
import dev.firebreak.ingest.preflight.PreflightService;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.DecisionApproval;
import dev.firebreak.schema.PreflightDecision;
import dev.firebreak.schema.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/decisions} on the real endpoint with the real classifier and the bundled decision rules;
 * Kafka is a fake sink and recorder, the live state an in-memory {@link LiveState} fed as the topics
 * would feed it.
 */
class PreflightEndpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "preflight-token-0123456789";
    private static final String LIMITED = "limited-token-0123456789ab";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final FakeSink SINK = new FakeSink();
    private static final List<PreflightDecision> RECORDED = new CopyOnWriteArrayList<>();
    private static final LiveState STATE = new LiveState(Duration.ofHours(1), Duration.ofMinutes(15));
    private static AgentActionEndpoint endpoint;

    private static final String VOLUME_DELETE = "curl -X POST https://backboard.railway.app/graphql/v2 -H 'Authorization: Bearer x'"
            + " -d '{\"query\":\"mutation { volumeDelete(volumeId: \\\"3d2c\\\") }\"}'";

    @BeforeAll
    static void start() {
        AgentActionConfig config = AgentActionConfig.defaults().withHttp("127.0.0.1", 0,
                List.of(AgentTokenGrant.of(TOKEN, "*"), AgentTokenGrant.of(LIMITED, "other-bot")));
        PreflightService preflight = new PreflightService(PreflightConfig.defaults(), new DecisionEngine(DecisionRules.bundled()),
                STATE, d -> {
                    RECORDED.add(d);
                    return CompletableFuture.completedFuture(new RecordMetadata(new TopicPartition(Topics.PREFLIGHT_DECISIONS, 0),
                            RECORDED.size(), 0, 0L, 0, 0));
                });
        endpoint = new AgentActionEndpoint(config, "main", RulesActionClassifier.defaults(), SINK, new SimpleMeterRegistry(),
                preflight).start();
    }

    @AfterAll
    static void stop() {
        endpoint.close();
    }

    @Test
    void theIncidentIsHeldThenDeniedAndBenignCallsGoAhead() throws Exception {
        JsonNode first = decide("cleanup-bot", "bash", VOLUME_DELETE, "production", TOKEN).body;
        assertThat(first.path("decision").asText()).isEqualTo("ask");
        assertThat(first.path("rule").asText()).isEqualTo("preflight-destructive-production");
        assertThat(first.path("category").asText()).isEqualTo("http.graphql_delete");
        assertThat(first.path("status").asText()).isEqualTo("pending");
        String id = first.path("decision_id").asText();
        assertThat(RECORDED).anySatisfy(d -> assertThat(d.getDecisionId()).isEqualTo(id));
        assertThat(SINK.events).anySatisfy(e -> {
            assertThat(e.getSource()).isEqualTo(AuditSource.AGENT_PREFLIGHT);
            assertThat(e.getEventId()).isEqualTo("agent:cleanup-bot/decision:" + id);
            assertThat(e.getAttributes()).containsEntry("preflight_decision", "ask").containsEntry("decision_id", id);
            assertThat(e.getLinkedPrincipals()).containsExactly("token:railway/found");
        });

        JsonNode second = decide("cleanup-bot", "bash", VOLUME_DELETE, "production", TOKEN).body;
        assertThat(second.path("decision").asText()).isEqualTo("deny");
        assertThat(second.path("rule").asText()).isEqualTo("preflight-repeated-destructive");

        for (String benign : List.of("ls -la", "git status")) {
            assertThat(decide("cleanup-bot", "bash", benign, "production", TOKEN).body.path("decision").asText()).as(benign)
                    .isEqualTo("allow");
        }
        assertThat(decide("reporter", "sql", "SELECT * FROM orders WHERE id = 1", "production", TOKEN).body
                .path("decision").asText()).isEqualTo("allow");
        JsonNode staging = decide("reporter", "bash", VOLUME_DELETE, "staging", TOKEN).body;
        assertThat(staging.path("decision").asText()).isEqualTo("allow");
        assertThat(staging.path("destructive").asBoolean()).isTrue();
    }

    @Test
    void anAskWaitsForTheOperatorsAnswer() throws Exception {
        JsonNode ask = decide("approver-bot", "sql", "DROP TABLE orders", "production", TOKEN).body;
        String id = ask.path("decision_id").asText();
        assertThat(status(id, 0, TOKEN).body.path("status").asText()).isEqualTo("pending");

        CompletableFuture<Reply> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return status(id, 5000, TOKEN);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(200);
        STATE.onApproval(DecisionApproval.newBuilder().setDecisionId(id).setApproved(true).setOperator("alice")
                .setReason("CHG-1").setDecidedTimeUs(System.currentTimeMillis() * 1000).build(), System.currentTimeMillis() * 1000);
        Reply answered = waiting.get();
        assertThat(answered.body.path("status").asText()).isEqualTo("approved");
        assertThat(answered.body.path("operator").asText()).isEqualTo("alice");
        // an approved ask is not held against the agent: its next destructive call is asked again, not denied
        assertThat(decide("approver-bot", "sql", "DROP TABLE orders", "production", TOKEN).body.path("decision").asText())
                .isEqualTo("ask");
    }

    @Test
    void anotherAgentsTokenSeesNeitherTheDecisionNorMayAskForIt() throws Exception {
        String id = decide("secret-bot", "sql", "TRUNCATE payments", "production", TOKEN).body.path("decision_id").asText();
        assertThat(status(id, 0, LIMITED).status).isEqualTo(404);
        assertThat(status("d-unknown", 0, TOKEN).status).isEqualTo(404);
        assertThat(decide("secret-bot", "bash", "ls", null, LIMITED).status).isEqualTo(403);
        assertThat(decide("secret-bot", "bash", "ls", null, "wrong-token-0123456789abc").status).isEqualTo(401);
    }

    @Test
    void kafkaNotAcknowledgingTurnsAnAskIntoADeny() throws Exception {
        SINK.failing = true;
        try {
            JsonNode answer = decide("flaky-bot", "sql", "DROP TABLE orders", "production", TOKEN).body;
            assertThat(answer.path("decision").asText()).isEqualTo("deny");
            assertThat(answer.path("reason").asText()).contains("could not be recorded");
        } finally {
            SINK.failing = false;
        }
    }

    private record Reply(int status, JsonNode body) {
    }

    private static Reply decide(String agent, String tool, String input, String environment, String token) throws Exception {
        var record = JSON.createObjectNode().put("agent_id", agent).put("tool", tool).put("input", input)
                .put("credential", "token:railway/found");
        if (environment != null) {
            record.put("target_environment", environment);
        }
        HttpRequest request = HttpRequest.newBuilder(uri(AgentActionEndpoint.DECISIONS_PATH)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(record.toString())).build();
        HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), JSON.readTree(r.body()));
    }

    private static Reply status(String id, long waitMs, String token) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(uri(AgentActionEndpoint.DECISIONS_PATH + "/" + id + "?wait_ms=" + waitMs))
                .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + token).GET().build();
        HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), JSON.readTree(r.body()));
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + endpoint.port() + path);
    }
}
