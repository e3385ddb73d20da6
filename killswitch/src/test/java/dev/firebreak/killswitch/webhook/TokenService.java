package dev.firebreak.killswitch.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A token issuer as the webhook contract describes it, on 127.0.0.1: verifies the signature (401
 * otherwise), keeps a token store, honours Idempotency-Key by replaying the stored answer, and can be
 * scripted to fail, reject or lose answers.
 */
public final class TokenService implements AutoCloseable {
    static final String PATH = "/firebreak/tokens";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A token as the issuer stores it; reinstate must bring back exactly this. */
    public record Token(boolean active, List<String> scopes, String expiresAt) {
    }

    /** What arrived, for assertions: headers of interest (lower-case names, first values) and the raw body. */
    record Received(String idempotencyKey, String contentType, String timestamp, String body, Map<String, String> headers) {
    }

    private record Answer(int code, String body, Map<String, String> headers) {
    }

    private final String secret;
    private final WebhookScheme scheme;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "token-service");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Token> tokens = new HashMap<>();
    private final Map<String, Answer> byIdempotencyKey = new HashMap<>();
    private final Deque<Answer> scripted = new ArrayDeque<>();
    private final List<Received> received = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private int answersToLose;
    private int revocations;

    /** An issuer verifying Standard Webhooks signatures (the kill switch's default scheme). */
    public TokenService(String secret) throws IOException {
        this(secret, WebhookScheme.STANDARD_WEBHOOKS);
    }

    public TokenService(String secret, WebhookScheme scheme) throws IOException {
        this.secret = secret;
        this.scheme = scheme;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(PATH, this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + PATH);
    }

    public synchronized void put(String tokenId, Token token) {
        tokens.put(tokenId, token);
    }

    public synchronized Token token(String tokenId) {
        return tokens.get(tokenId);
    }

    public synchronized boolean usable(String tokenId) {
        Token t = tokens.get(tokenId);
        return t != null && t.active();
    }

    /** The next requests (after the signature check) get these answers instead of being processed. */
    synchronized void script(int code, String body, Map<String, String> headers) {
        scripted.add(new Answer(code, body, headers));
    }

    /** The next {@code n} processed requests take effect but their answer never leaves (the client times out). */
    synchronized void loseAnswers(int n) {
        answersToLose = n;
    }

    synchronized List<Received> received() {
        return List.copyOf(received);
    }

    public synchronized int requests() {
        return received.size();
    }

    /** How many times a token was actually switched off. */
    public synchronized int revocations() {
        return revocations;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            String timestamp = exchange.getRequestHeaders().getFirst(scheme == WebhookScheme.STANDARD_WEBHOOKS
                    ? StandardWebhookSignature.TIMESTAMP_HEADER : WebhookSignature.TIMESTAMP_HEADER);
            Map<String, String> headers = new java.util.TreeMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(java.util.Locale.ROOT),
                    values.get(0)));
            boolean lose;
            Answer answer;
            synchronized (this) {
                received.add(new Received(key, exchange.getRequestHeaders().getFirst("Content-Type"), timestamp,
                        new String(body, StandardCharsets.UTF_8), headers));
                WebhookSignature.Verification v = scheme.verify(secret, exchange.getRequestHeaders()::getFirst, body,
                        Instant.now(), WebhookSignature.DEFAULT_MAX_SKEW);
                if (!v.valid()) {
                    answer = new Answer(401, "{\"error\":\"signature " + v + "\"}", Map.of());
                } else if (!scripted.isEmpty()) {
                    answer = scripted.poll();
                } else {
                    answer = process(key, JSON.readTree(body));
                }
                lose = v.valid() && answersToLose > 0 && answer.code() == 200;
                if (lose) {
                    answersToLose--;
                }
            }
            if (lose) {
                // The work is done and stored; the answer is held back until the client gave up on it.
                release.await(5, TimeUnit.SECONDS);
            }
            send(exchange, answer);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Answer process(String key, JsonNode request) {
        if (key == null || !key.equals(request.path("idempotency_key").asText())) {
            return new Answer(400, "{\"error\":\"Idempotency-Key header missing or not the body's idempotency_key\"}", Map.of());
        }
        Answer stored = byIdempotencyKey.get(key);
        if (stored != null) {
            return new Answer(stored.code(), stored.body(), Map.of("Idempotent-Replayed", "true"));
        }
        String tokenId = request.path("token_id").asText();
        Token token = tokens.get(tokenId);
        if (token == null) {
            return new Answer(404, "{\"error\":\"no such token\"}", Map.of());
        }
        ObjectNode out = JSON.createObjectNode();
        switch (request.path("action").asText()) {
            case "revoke" -> {
                if (!token.active()) {
                    out.put("status", "already_revoked");
                } else {
                    out.put("status", "revoked");
                    out.set("previous_state", JSON.valueToTree(token));
                    out.put("detail", "token disabled");
                    tokens.put(tokenId, new Token(false, token.scopes(), token.expiresAt()));
                    revocations++;
                }
            }
            case "reinstate" -> {
                Token previous = JSON.convertValue(request.get("previous_state"), Token.class);
                tokens.put(tokenId, previous);
                out.put("status", "reinstated");
            }
            default -> {
                return new Answer(400, "{\"error\":\"unknown action\"}", Map.of());
            }
        }
        Answer answer = new Answer(200, out.toString(), Map.of());
        byIdempotencyKey.put(key, answer);
        return answer;
    }

    private static void send(HttpExchange exchange, Answer answer) throws IOException {
        byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
        answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(answer.code(), bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } 
    }

    /** Stops listening: later connections are refused. */
    public void stop() {
        release.countDown();
        server.stop(0);
    }

    @Override
    public void close() {
        stop();
        executor.shutdownNow();
    }
}
