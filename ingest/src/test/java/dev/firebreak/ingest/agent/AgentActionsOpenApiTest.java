package dev.firebreak.ingest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.stack.OpenApiContract;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/openapi/agent-actions.yaml against the running endpoint: the document is valid OpenAPI 3.1 for
 * the specification's own schema (reference validator on npm), every request the tests send as valid
 * conforms to it, and every answer the real server gives (each documented status, with its body)
 * conforms to the document. A status or field the server sends but the document lacks fails here.
 */
class AgentActionsOpenApiTest {
    private static final String TOKEN = "openapi-token-0123456789abcdef";
    private static final String CURSOR_ONLY = "cursor-token-0123456789abcdef";
    private static final String ACTIONS = "/paths/~1v1~1actions/post";
    private static final String HEALTH = "/paths/~1health/get";
    private static final String GOOD = "{\"agent_id\":\"cleanup-bot\",\"run_id\":\"r-17\",\"credential\":\"token:railway/3f9a\","
            + "\"tool\":\"bash\",\"input\":\"rm -rf /data\",\"target_environment\":\"production\","
            + "\"occurred_at\":\"2025-04-25T10:00:00Z\",\"action_id\":\"a-1\","
            + "\"http\":{\"method\":\"POST\",\"url\":\"https://api.example.com/v1/volumes/3d2c\",\"body\":{\"x\":1}}}";
    private static final String MINIMAL = "{\"agent_id\":\"cursor-7\",\"tool\":\"sql\",\"input\":\"DROP TABLE t\","
            + "\"occurred_at\":1745575200000}";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final FakeSink SINK = new FakeSink();
    private static AgentActionEndpoint endpoint;
    private static OpenApiContract contract;

    @BeforeAll
    static void start() throws Exception {
        contract = OpenApiContract.load("agent-actions.yaml");
        AgentActionConfig config = AgentActionConfig.defaults().withHttp("127.0.0.1", 0,
                        List.of(AgentTokenGrant.of(TOKEN, "*"), AgentTokenGrant.of(CURSOR_ONLY, "cursor-*")))
                .withLimits(1000, 4096, 3);
        endpoint = new AgentActionEndpoint(config, "main", new FakeActionClassifier(), SINK, new SimpleMeterRegistry())
                .start();
    }

    @AfterAll
    static void stop() {
        endpoint.close();
    }

    @Test
    void theDocumentIsValidOpenApi31() throws Exception {
        assertThat(contract.documentProblems()).isEmpty();
        assertThat(contract.document().get("openapi").asText()).isEqualTo("3.1.0");
    }

    @Test
    void acceptedRequestsAndTheir202ConformToTheDocument() throws Exception {
        for (String body : List.of(GOOD, MINIMAL, "[" + GOOD + "," + MINIMAL + "]")) {
            assertThat(contract.requestProblems(ACTIONS, "application/json", body)).as(body).isEmpty();
            HttpResponse<String> r = send(post(body, TOKEN));
            assertThat(r.statusCode()).isEqualTo(202);
            assertConforms(ACTIONS, r);
        }
    }

    @Test
    void everyRefusalTheServerGivesIsDocumented() throws Exception {
        List<HttpRequest> refused = List.of(
                post("{\"agent_id\":", TOKEN),                                   // 400 malformed_json
                post("[]", TOKEN),                                               // 400 empty_batch
                post(GOOD, null),                                                // 401 unauthenticated
                post(GOOD, "not-a-token-0123456789"),                            // 401 invalid_token
                post(GOOD, CURSOR_ONLY),                                         // 403 forbidden_agent
                HttpRequest.newBuilder(uri("/v1/actions")).header("Authorization", "Bearer " + TOKEN).GET().build(), // 405
                post("[" + MINIMAL + "," + MINIMAL + "," + MINIMAL + "," + MINIMAL + "]", TOKEN), // 413 too_many_records
                post("{\"input\":\"" + "x".repeat(5000) + "\"}", TOKEN),          // 413 too_large
                HttpRequest.newBuilder(uri("/v1/actions")).header("Authorization", "Bearer " + TOKEN)
                        .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(GOOD)).build(), // 415
                post(GOOD.replace("cleanup-bot", "cleanup bot"), TOKEN),          // 422 invalid_record
                post("{\"agent_id\":\"a\",\"tool\":\"bash\",\"input\":\"ls\",\"credentail\":\"x\"}", TOKEN)); // 422 unknown field
        List<Integer> statuses = new java.util.ArrayList<>();
        for (HttpRequest request : refused) {
            HttpResponse<String> r = send(request);
            statuses.add(r.statusCode());
            assertConforms(ACTIONS, r);
        }
        assertThat(statuses).containsExactly(400, 400, 401, 401, 403, 405, 413, 413, 415, 422, 422);
    }

    @Test
    void kafkaUnavailableIsA503AsDocumented() throws Exception {
        SINK.failing = true;
        try {
            HttpResponse<String> r = send(post(MINIMAL, TOKEN));
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("Retry-After")).isPresent();
            assertConforms(ACTIONS, r);
        } finally {
            SINK.failing = false;
        }
    }

    @Test
    void healthConformsAndNeedsNoToken() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/health")).GET().build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertConforms(HEALTH, r);
        assertThat(contract.document().at(HEALTH + "/security").isEmpty()).isTrue();
    }

    @Test
    void theCheckCatchesAnAnswerTheDocumentDoesNotAllow() {
        // the contract check itself can fail: an undocumented status, an unknown field, a missing one
        assertThat(contract.responseProblems(ACTIONS, 418, "application/json", "{}")).isNotEmpty();
        assertThat(contract.responseProblems(ACTIONS, 202, "application/json",
                "{\"accepted\":1,\"event_ids\":[\"agent:a/x\"],\"extra\":true}")).isNotEmpty();
        assertThat(contract.responseProblems(ACTIONS, 400, "application/json", "{\"error\":\"malformed_json\"}")).isNotEmpty();
        assertThat(contract.requestProblems(ACTIONS, "application/json", "{\"agent_id\":\"a b\",\"tool\":\"x\",\"input\":\"y\"}"))
                .isNotEmpty();
    }

    private static void assertConforms(String operation, HttpResponse<String> r) {
        assertThat(contract.responseProblems(operation, r.statusCode(), r.headers().firstValue("Content-Type").orElse(null),
                r.body())).as("HTTP %d %s", r.statusCode(), r.body()).isEmpty();
        String status = Integer.toString(r.statusCode());
        var response = contract.document().at(operation + "/responses/" + status);
        response.path("headers").fields().forEachRemaining(h -> {
            if (h.getValue().path("required").asBoolean()) {
                assertThat(r.headers().firstValue(h.getKey())).as("header %s of HTTP %s", h.getKey(), status).isPresent();
            }
        });
    }

    private static HttpRequest post(String body, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri("/v1/actions")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b.build();
    }

    private static HttpResponse<String> send(HttpRequest request) throws Exception {
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + endpoint.port() + path);
    }
}
