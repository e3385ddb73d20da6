package dev.firebreak.launcher.bench;

import static dev.firebreak.launcher.bench.CapturePath.marker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.firebreak.launcher.bench.CapturePath.Probe;
import dev.firebreak.schema.AuditSource;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

/**
 * Posts agent actions to the ingest endpoint as an agent framework would: JSON, a bearer token,
 * one record or a batch, over kept-alive HTTP/1.1 connections. Safe for concurrent use.
 */
final class AgentActionClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final URI endpoint;
    private final String token;

    AgentActionClient(String endpointUrl, String token) {
        this.endpoint = URI.create(endpointUrl);
        this.token = token;
    }

    /** The agent HTTP path: one record per sample, its input carrying the marker. */
    CapturePath capturePath() {
        return new CapturePath("agent-http", "POST /v1/actions, 1 record, answered after Kafka acked",
                "the client's clock just before the POST (occurred_at)", seq -> {
            String marker = marker("fbb_agent_http", seq);
            return new Probe(EventMatchers.agentAction(AuditSource.AGENT_ACTION_HTTP, marker),
                    () -> post(action(DatabasePaths.AGENT_ID, "ls /tmp/" + marker, Instant.now())));
        });
    }

    /** One action record; {@code occurredAt} may be null (the endpoint then uses its receive time). */
    static ObjectNode action(String agentId, String input, Instant occurredAt) {
        ObjectNode record = JSON.createObjectNode()
                .put("agent_id", agentId)
                .put("tool", "bash")
                .put("input", input);
        if (occurredAt != null) {
            record.put("occurred_at", occurredAt.toString());
        }
        return record;
    }

    static ArrayNode batch() {
        return JSON.createArrayNode();
    }

    /** Posts a record or a batch; fails unless the endpoint answered 202 (every event acknowledged by Kafka). */
    void post(JsonNode body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(endpoint)
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 202) {
            throw new IOException("POST " + endpoint + " answered " + response.statusCode() + ": " + response.body());
        }
    }
}
