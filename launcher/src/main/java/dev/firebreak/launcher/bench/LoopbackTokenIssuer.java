package dev.firebreak.launcher.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.firebreak.killswitch.webhook.WebhookScheme;
import dev.firebreak.killswitch.webhook.WebhookSignature;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A token issuer on 127.0.0.1 implementing the kill switch webhook contract (docs/killswitch-webhook.md):
 * verifies the signature, revokes and reinstates tokens. Stands in for a PaaS in the kill switch bench,
 * so the webhook figures are Firebreak's own cost plus one loopback HTTP exchange.
 */
final class LoopbackTokenIssuer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String secret;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();

    LoopbackTokenIssuer(String secret) throws IOException {
        this.secret = secret;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/revoke", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/revoke");
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        WebhookSignature.Verification v = WebhookScheme.STANDARD_WEBHOOKS.verify(secret,
                exchange.getRequestHeaders()::getFirst, body, Instant.now(), WebhookSignature.DEFAULT_MAX_SKEW);
        if (!v.valid()) {
            respond(exchange, 401, "{\"error\":\"bad signature\"}");
            return;
        }
        JsonNode request = JSON.readTree(body);
        String token = request.path("token_id").asText();
        String answer = switch (request.path("action").asText()) {
            case "revoke" -> revoked.add(token)
                    ? "{\"status\":\"revoked\",\"previous_state\":{\"active\":true}}" : "{\"status\":\"already_revoked\"}";
            case "reinstate" -> {
                revoked.remove(token);
                yield "{\"status\":\"reinstated\"}";
            }
            default -> null;
        };
        respond(exchange, answer == null ? 400 : 200, answer == null ? "{\"error\":\"unknown action\"}" : answer);
    }

    private static void respond(HttpExchange exchange, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
