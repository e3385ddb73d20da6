package dev.firebreak.launcher.preflight;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

/**
 * The agent's side of {@code /v1/decisions}: asks, and waits for an operator's answer to an ask by
 * holding {@code GET /v1/decisions/<id>?wait_ms=} requests until the deadline. Tokens are never printed.
 */
public final class PreflightClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long LONG_POLL_MS = 10_000;

    private final URI base;
    private final String token;
    private final Duration requestTimeout;
    private final HttpClient http;

    /**
     * @param base           the ingest agent endpoint, e.g. {@code http://127.0.0.1:8095}
     * @param token          the bearer token (a secret)
     * @param requestTimeout connect and answer timeout of one request
     */
    public PreflightClient(URI base, String token, Duration requestTimeout) {
        this.base = base;
        this.token = token;
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder().connectTimeout(requestTimeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    /**
     * One answer of the endpoint.
     *
     * @param decision   allow, deny or ask
     * @param status     for an ask: pending, approved, rejected, expired; otherwise null
     * @param rule       the rule that decided
     * @param reason     why
     * @param decisionId the decision's id
     */
    public record Answer(String decision, String status, String rule, String reason, String decisionId) {
        static Answer of(JsonNode n) {
            return new Answer(n.path("decision").asText(null), n.path("status").asText(null), n.path("rule").asText(null),
                    n.path("reason").asText(null), n.path("decision_id").asText(null));
        }
    }

    /** The endpoint refused the request itself (4xx): a misconfigured client, not an unreachable Firebreak. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(int status, String body) {
            super("HTTP " + status + ": " + body, null, false, false);
        }
    }

    /**
     * Asks about one action (the {@code /v1/actions} record).
     *
     * @throws IOException when Firebreak cannot be reached or answers 5xx
     */
    public Answer decide(ObjectNode record) throws IOException, InterruptedException, Refused {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/decisions")).timeout(requestTimeout)
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(record))).build();
        return Answer.of(send(request));
    }

    /**
     * Waits for an operator's answer to ask {@code id} until {@code deadline}: the last answer seen
     * (status still pending when the deadline passed first).
     */
    public Answer await(String id, Instant deadline) throws IOException, InterruptedException, Refused {
        while (true) {
            long left = Duration.between(Instant.now(), deadline).toMillis();
            long wait = Math.max(0, Math.min(left, LONG_POLL_MS));
            HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/decisions/" + id + "?wait_ms=" + wait))
                    .timeout(requestTimeout.plusMillis(wait)).header("Authorization", "Bearer " + token).GET().build();
            Answer answer = Answer.of(send(request));
            if (!"pending".equals(answer.status()) || left <= 0) {
                return answer;
            }
        }
    }

    private JsonNode send(HttpRequest request) throws IOException, InterruptedException, Refused {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 500) {
            throw new IOException("Firebreak answered HTTP " + response.statusCode());
        }
        if (response.statusCode() != 200) {
            throw new Refused(response.statusCode(), response.body().length() > 500 ? response.body().substring(0, 500) : response.body());
        }
        return JSON.readTree(response.body());
    }
}
