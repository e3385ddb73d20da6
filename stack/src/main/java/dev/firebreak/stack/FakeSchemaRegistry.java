package dev.firebreak.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A schema registry for outage tests: the Confluent REST calls Firebreak makes
 * ({@code PUT /config/{s}}, {@code POST /subjects/{s}/versions}, {@code GET /schemas/ids/{id}}) served
 * from maps by the
 * JDK's HTTP server on 127.0.0.1. It can answer 503 ({@link #unavailable(boolean)}) or stop listening
 * altogether and come back on the same port with the same schemas ({@link #stop()},
 * {@link #restart()}), which Apicurio's in-memory storage cannot. Unknown ids answer 404.
 */
public final class FakeSchemaRegistry implements RegistryService {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Integer> idsBySchema = new ConcurrentHashMap<>();
    private final Map<Integer, String> schemasById = new ConcurrentHashMap<>();
    // ids from 1001: a record written with another (in-memory) registry's small ids reads as unknown here
    private final AtomicInteger nextId = new AtomicInteger(1001);
    private final AtomicInteger requests = new AtomicInteger();
    private final Map<String, String> compatibility = new ConcurrentHashMap<>();
    private int port;
    private volatile boolean unavailable;
    private HttpServer server;

    private FakeSchemaRegistry(int port) {
        this.port = port;
    }

    /** Starts on a free port. */
    public static FakeSchemaRegistry start() {
        FakeSchemaRegistry registry = new FakeSchemaRegistry(0);
        registry.listen(0);
        return registry;
    }

    private synchronized void listen(int onPort) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.start();
        port = server.getAddress().getPort();
    }

    /** While true every request is answered 503, as a registry whose storage is down would. */
    public void unavailable(boolean on) {
        this.unavailable = on;
    }

    /** Stops listening: connections are refused until {@link #restart()}. */
    public synchronized void stop() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    /** Listens again on the same port, with the same schemas. */
    public synchronized void restart() {
        if (server == null) {
            listen(port);
        }
    }

    /** The compatibility level last set on {@code subject}, or null. */
    public String compatibility(String subject) {
        return compatibility.get(subject);
    }

    /** Requests received (any answer). */
    public int requests() {
        return requests.get();
    }

    public synchronized int port() {
        return port;
    }

    @Override
    public String confluentUrl() {
        return "http://127.0.0.1:" + port();
    }

    @Override
    public String describe() {
        return "fake schema registry at " + confluentUrl();
    }

    @Override
    public void close() {
        stop();
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        try (exchange) {
            if (unavailable) {
                reply(exchange, 503, "{\"error_code\":50301,\"message\":\"unavailable\"}");
                return;
            }
            String path = exchange.getRequestURI().getRawPath();
            // any base path works (http://host:port/anything/...), so tests can take a fresh client per URL
            for (String api : new String[] {"/subjects/", "/schemas/ids/", "/config/"}) {
                if (path.indexOf(api) > 0) {
                    path = path.substring(path.indexOf(api));
                }
            }
            if ("POST".equals(exchange.getRequestMethod()) && path.startsWith("/subjects/") && path.endsWith("/versions")) {
                String subject = URLDecoder.decode(path.substring("/subjects/".length(), path.length() - "/versions".length()),
                        StandardCharsets.UTF_8);
                JsonNode body = JSON.readTree(exchange.getRequestBody());
                String schema = body.path("schema").asText(null);
                if (subject.isEmpty() || schema == null) {
                    reply(exchange, 422, "{\"error_code\":42201,\"message\":\"invalid schema\"}");
                    return;
                }
                int id = idsBySchema.computeIfAbsent(schema, s -> {
                    int next = nextId.getAndIncrement();
                    schemasById.put(next, s);
                    return next;
                });
                reply(exchange, 200, "{\"id\":" + id + "}");
            } else if ("PUT".equals(exchange.getRequestMethod()) && path.startsWith("/config/")) {
                // Recorded, not enforced: outage tests register one version per subject.
                String level = JSON.readTree(exchange.getRequestBody()).path("compatibility").asText("");
                compatibility.put(URLDecoder.decode(path.substring("/config/".length()), StandardCharsets.UTF_8), level);
                reply(exchange, 200, JSON.writeValueAsString(Map.of("compatibility", level)));
            } else if ("GET".equals(exchange.getRequestMethod()) && path.startsWith("/schemas/ids/")) {
                String schema;
                try {
                    schema = schemasById.get(Integer.parseInt(path.substring("/schemas/ids/".length())));
                } catch (NumberFormatException e) {
                    schema = null;
                }
                if (schema == null) {
                    reply(exchange, 404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
                } else {
                    reply(exchange, 200, JSON.writeValueAsString(Map.of("schema", schema)));
                }
            } else {
                reply(exchange, 404, "{\"error_code\":404,\"message\":\"not found\"}");
            }
        }
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
