package dev.firebreak.ingest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The endpoint on a real JDK HttpServer on loopback, producing into a fake sink. */
class AgentActionEndpointTest {
    private static final String TOKEN = "test-token-0123456789abcdef";
    private static final String OTHER_TOKEN = "second-token-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GOOD = "{\"agent_id\": \"cursor-7\", \"run_id\": \"r1\", \"tool\": \"bash\", \"input\": \"ls\","
            + " \"credential\": \"token:railway/abc123\", \"occurred_at\": \"2025-04-25T10:00:00Z\"}";

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final SimpleMeterRegistry METERS = new SimpleMeterRegistry();
    private static final FakeSink SINK = new FakeSink();
    // One server for the class: stopping a JDK HttpServer takes its grace second every time.
    private static AgentActionEndpoint endpoint;
    private final HttpClient client = CLIENT;
    private final FakeSink sink = SINK;

    @BeforeAll
    static void start() {
        AgentActionConfig config = AgentActionConfig.defaults().withHttp("127.0.0.1", 0, List.of(TOKEN, OTHER_TOKEN))
                .withLimits(1000, 4096, 3);
        endpoint = new AgentActionEndpoint(config, "main", new FakeActionClassifier(), SINK, METERS).start();
    }

    @AfterAll
    static void stop() {
        endpoint.close();
    }

    @BeforeEach
    void reset() {
        SINK.events.clear();
        SINK.deadLetters.clear();
        SINK.failing = false;
    }

    @Test
    void goodSingleRecord() throws Exception {
        double acceptedBefore = METERS.counter("firebreak.ingest.agent.actions.accepted", "path", "http").count();
        HttpResponse<String> r = post(GOOD, TOKEN);
        assertThat(r.statusCode()).isEqualTo(202);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("accepted").asInt()).isEqualTo(1);
        assertThat(body.get("event_ids").get(0).asText()).isEqualTo(sink.events.get(0).getEventId()).startsWith("agent:cursor-7/");
        assertThat(sink.events).singleElement().satisfies(e -> {
            assertThat(e.getPrincipal()).isEqualTo("agent:cursor-7");
            assertThat(e.getLinkedPrincipals()).containsExactly("token:railway/abc123");
        });
        assertThat(METERS.counter("firebreak.ingest.agent.actions.accepted", "path", "http").count())
                .isEqualTo(acceptedBefore + 1);
    }

    @Test
    void goodBatchWithTheSecondToken() throws Exception {
        HttpResponse<String> r = post("[" + GOOD + "," + GOOD.replace("\"ls\"", "\"pwd\"") + "," + GOOD.replace("r1", "r2") + "]",
                OTHER_TOKEN);
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(r.body()).get("accepted").asInt()).isEqualTo(3);
        assertThat(JSON.readTree(r.body()).get("event_ids")).hasSize(3);
        assertThat(sink.events).hasSize(3);
    }

    @Test
    void malformedJson() throws Exception {
        double before = rejected("malformed_json");
        HttpResponse<String> r = post("{\"agent_id\": \"a\",", TOKEN);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r)).isEqualTo("malformed_json");
        assertThat(message(r)).contains("malformed JSON at line 1");
        assertThat(sink.events).isEmpty();
        assertThat(rejected("malformed_json")).isEqualTo(before + 1);
    }

    @Test
    void duplicateKeysAreMalformed() throws Exception {
        HttpResponse<String> r = post("{\"agent_id\": \"a\", \"agent_id\": \"b\", \"tool\": \"t\", \"input\": \"x\"}", TOKEN);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(message(r)).contains("agent_id");
    }

    @Test
    void aBadFieldNamesTheFieldAndTheIndexAndRejectsTheWholeBatch() throws Exception {
        HttpResponse<String> r = post("[" + GOOD + ", {\"tool\": \"bash\", \"input\": \"ls\"}]", TOKEN);
        assertThat(r.statusCode()).isEqualTo(422);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("error").asText()).isEqualTo("invalid_record");
        assertThat(body.get("field").asText()).isEqualTo("agent_id");
        assertThat(body.get("index").asInt()).isEqualTo(1);
        assertThat(body.get("message").asText()).isEqualTo("record 1: field 'agent_id' is required");
        assertThat(sink.events).as("all or nothing").isEmpty();
    }

    @Test
    void aBadFieldInASingleRecord() throws Exception {
        HttpResponse<String> r = post(GOOD.replace("\"cursor-7\"", "\"cursor 7\""), TOKEN);
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(JSON.readTree(r.body()).get("field").asText()).isEqualTo("agent_id");
        assertThat(JSON.readTree(r.body()).get("index").asInt()).isZero();
    }

    @Test
    void wrongToken() throws Exception {
        double before = rejected("invalid_token");
        HttpResponse<String> r = post(GOOD, TOKEN + "x");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v ->
                assertThat(v).startsWith("Bearer").contains("invalid_token"));
        assertThat(r.body()).doesNotContain(TOKEN);
        assertThat(sink.events).isEmpty();
        assertThat(rejected("invalid_token")).isEqualTo(before + 1);
    }

    @Test
    void missingToken() throws Exception {
        HttpResponse<String> r = client.send(request(GOOD).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"firebreak\"");
        assertThat(sink.events).isEmpty();
    }

    @Test
    void otherSchemesAreNotBearerTokens() throws Exception {
        HttpResponse<String> r = client.send(request(GOOD).header("Authorization", "Basic " + TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
    }

    @Test
    void oversizedByContentLength() throws Exception {
        HttpResponse<String> r = post("[" + (GOOD + ",").repeat(40) + GOOD + "]", TOKEN);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(message(r)).contains("more than the limit of 4096 bytes");
        assertThat(sink.events).isEmpty();
    }

    @Test
    void oversizedChunkedBodyIsCutOffWhileReading() throws Exception {
        byte[] big = ("[" + (GOOD + ",").repeat(40) + GOOD + "]").getBytes(StandardCharsets.UTF_8);
        HttpRequest chunked = request(null).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
        HttpResponse<String> r = client.send(chunked, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(error(r)).isEqualTo("too_large");
    }

    @Test
    void tooManyRecords() throws Exception {
        HttpResponse<String> r = post("[" + GOOD + "," + GOOD + "," + GOOD + "," + GOOD + "]", TOKEN);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(message(r)).contains("4 records, more than the limit of 3");
    }

    @Test
    void wrongContentType() throws Exception {
        HttpResponse<String> r = client.send(request(null).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(GOOD)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(415);
        HttpResponse<String> latin1 = client.send(request(null).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json; charset=ISO-8859-1").POST(HttpRequest.BodyPublishers.ofString(GOOD))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(latin1.statusCode()).isEqualTo(415);
        assertThat(sink.events).isEmpty();
    }

    @Test
    void charsetUtf8IsFine() throws Exception {
        HttpResponse<String> r = client.send(request(null).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "Application/JSON; charset=\"UTF-8\"").POST(HttpRequest.BodyPublishers.ofString(GOOD))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(202);
    }

    @Test
    void unknownToolIsKeptAsOther() throws Exception {
        HttpResponse<String> r = post("{\"agent_id\": \"a\", \"tool\": \"quantum-eraser\", \"input\": \"zap\"}", TOKEN);
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(sink.events).singleElement().satisfies(e -> {
            assertThat(e.getAttributes()).containsEntry("kind", "OTHER").containsEntry("tool", "quantum-eraser");
            assertThat(e.getAction()).isEqualTo("quantum-eraser");
        });
    }

    @Test
    void kafkaNotAcknowledgingIs503() throws Exception {
        double before = rejected("kafka_unavailable");
        sink.failing = true;
        HttpResponse<String> r = post(GOOD, TOKEN);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(rejected("kafka_unavailable")).isEqualTo(before + 1);
    }

    @Test
    void otherMethodsAndPaths() throws Exception {
        HttpResponse<String> get = client.send(request(null).header("Authorization", "Bearer " + TOKEN).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        HttpResponse<String> elsewhere = client.send(HttpRequest.newBuilder(uri("/v1/actions/extra")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(elsewhere.statusCode()).isEqualTo(404);
    }

    @Test
    void health() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/health")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("UP");
    }

    private HttpResponse<String> post(String body, String token) throws Exception {
        return client.send(request(body).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(AgentActionEndpoint.ACTIONS_PATH)).timeout(Duration.ofSeconds(10));
        if (body != null) {
            b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        }
        return b;
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + endpoint.port() + path);
    }

    private double rejected(String reason) {
        return METERS.counter("firebreak.ingest.agent.actions.rejected", "path", "http", "reason", reason).count();
    }

    private static String error(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).get("error").asText();
    }

    private static String message(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).get("message").asText();
    }
}
