package dev.firebreak.ingest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
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
        AgentActionConfig config = AgentActionConfig.defaults().withHttp("127.0.0.1", 0,
                        List.of(AgentTokenGrant.of(TOKEN, "*"), AgentTokenGrant.of(OTHER_TOKEN, "cursor-*", "deploy-bot")))
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

    @Test
    void aRecordOfAnAgentTheTokenMayNotSpeakForIsForbiddenAndNothingIsAccepted() throws Exception {
        double before = rejected("forbidden_agent");
        String mallory = GOOD.replace("\"cursor-7\"", "\"mallory\"");
        HttpResponse<String> r = post("[" + GOOD + "," + GOOD.replace("r1", "r9") + "," + mallory + "]", OTHER_TOKEN);
        assertThat(r.statusCode()).isEqualTo(403);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("error").asText()).isEqualTo("forbidden_agent");
        assertThat(body.get("field").asText()).isEqualTo("agent_id");
        assertThat(body.get("index").asInt()).isEqualTo(2);
        assertThat(body.get("message").asText()).contains("record 2").contains("'mallory'")
                .doesNotContain(OTHER_TOKEN);
        assertThat(sink.events).isEmpty();
        assertThat(rejected("forbidden_agent")).isEqualTo(before + 1);
        // the same batch with a token for every agent is fine; glob and exact patterns both admit
        assertThat(post("[" + GOOD + "," + mallory + "]", TOKEN).statusCode()).isEqualTo(202);
        assertThat(post(GOOD.replace("\"cursor-7\"", "\"deploy-bot\""), OTHER_TOKEN).statusCode()).isEqualTo(202);
        assertThat(post(GOOD.replace("\"cursor-7\"", "\"deploy-bot2\""), OTHER_TOKEN).statusCode()).isEqualTo(403);
    }

    @Test
    void aTimeAheadOfTheReceiverByMoreThanTheSkewIsRefusedNamingTheField() throws Exception {
        String future = GOOD.replace("2025-04-25T10:00:00Z", java.time.Instant.now().plusSeconds(60).toString());
        HttpResponse<String> r = post(future, TOKEN);
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(JSON.readTree(r.body()).get("field").asText()).isEqualTo("occurred_at");
        assertThat(JSON.readTree(r.body()).get("message").asText()).contains("more than 5000 ms ahead");
        assertThat(sink.events).isEmpty();
        String nearlyNow = GOOD.replace("2025-04-25T10:00:00Z", java.time.Instant.now().plusSeconds(2).toString());
        assertThat(post(nearlyNow, TOKEN).statusCode()).isEqualTo(202);
    }

    @Test
    void slowClientsTricklingTheirBodiesDoNotHoldUpOthers() throws Exception {
        List<SlowClient> slow = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                slow.add(SlowClient.open(endpoint.port(), TOKEN));
            }
            Thread.sleep(200); // every slow request is on a worker, reading
            long t0 = System.nanoTime();
            assertThat(post(GOOD, TOKEN).statusCode()).isEqualTo(202);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
        } finally {
            for (SlowClient c : slow) {
                c.close();
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "trickling its headers: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aSlowClientHoldingTheOnlyWorkerIsCutOffAtTheReadTimeout(boolean inHeaders) throws Exception {
        AgentActionConfig config = AgentActionConfig.defaults()
                .withHttp("127.0.0.1", 0, List.of(AgentTokenGrant.of(TOKEN, "*")))
                .withBounds(1, 4, 400, 5000);
        FakeSink ownSink = new FakeSink();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (AgentActionEndpoint one = new AgentActionEndpoint(config, "main", new FakeActionClassifier(), ownSink, meters)
                .start(); SlowClient slow = SlowClient.open(one.port(), TOKEN, inHeaders)) {
            Thread.sleep(100); // the slow request holds the only worker
            long t0 = System.nanoTime();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + one.port()
                            + AgentActionEndpoint.ACTIONS_PATH)).timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString(GOOD)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(202);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
            assertThat(slow.closedByServer(Duration.ofSeconds(2))).isTrue();
            assertThat(ownSink.events).hasSize(1);
            assertThat(meters.counter("firebreak.ingest.agent.actions.rejected", "path", "http", "reason", "read_timeout")
                    .count()).isEqualTo(1);
        }
    }

    @Test
    void requestsBeyondTheQueueAreDroppedNotParked() throws Exception {
        AgentActionConfig config = AgentActionConfig.defaults()
                .withHttp("127.0.0.1", 0, List.of(AgentTokenGrant.of(TOKEN, "*")))
                .withBounds(1, 0, 5000, 5000);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (AgentActionEndpoint one = new AgentActionEndpoint(config, "main", new FakeActionClassifier(), new FakeSink(),
                meters).start(); SlowClient slow = SlowClient.open(one.port(), TOKEN)) {
            Thread.sleep(100); // the slow request holds the only worker and nothing may wait
            long t0 = System.nanoTime();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.send(HttpRequest.newBuilder(URI.create(
                            "http://127.0.0.1:" + one.port() + AgentActionEndpoint.ACTIONS_PATH)).timeout(Duration.ofSeconds(3))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString(GOOD)).build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(IOException.class)
                    .isNotInstanceOf(java.net.http.HttpTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
            assertThat(meters.counter("firebreak.ingest.agent.actions.rejected", "path", "http", "reason", "overloaded")
                    .count()).isEqualTo(1);
        }
    }

    /** Sends complete headers announcing a body, then one byte of it every 50 ms from its own thread. */
    private static final class SlowClient implements AutoCloseable {
        private final java.net.Socket socket;
        private final Thread trickle;

        private SlowClient(java.net.Socket socket) {
            this.socket = socket;
            this.trickle = new Thread(() -> {
                try {
                    var out = socket.getOutputStream();
                    while (!Thread.currentThread().isInterrupted()) {
                        out.write(' ');
                        out.flush();
                        Thread.sleep(50);
                    }
                } catch (IOException | InterruptedException e) {
                    // closed by the server or by the test
                }
            }, "slowloris");
            trickle.setDaemon(true);
        }

        static SlowClient open(int port, String token) throws IOException {
            return open(port, token, false);
        }

        /** @param inHeaders trickle a header value instead of the body (the headers never end) */
        static SlowClient open(int port, String token, boolean inHeaders) throws IOException {
            java.net.Socket socket = new java.net.Socket("127.0.0.1", port);
            socket.getOutputStream().write(("POST " + AgentActionEndpoint.ACTIONS_PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n"
                    + (inHeaders ? "X-Slow: x" : "Content-Length: 4000\r\n\r\n"))
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            SlowClient c = new SlowClient(socket);
            c.trickle.start();
            return c;
        }

        /** True when the server closed the connection (end of stream or reset) within {@code wait}. */
        boolean closedByServer(Duration wait) throws IOException {
            socket.setSoTimeout((int) wait.toMillis());
            try {
                byte[] buffer = new byte[1024];
                while (true) {
                    if (socket.getInputStream().read(buffer) < 0) {
                        return true;
                    }
                }
            } catch (java.net.SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true; // reset
            }
        }

        @Override
        public void close() throws IOException {
            trickle.interrupt();
            socket.close();
        }
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
