package dev.firebreak.launcher.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.firebreak.stage.Health;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Serves the process's Micrometer registry in the Prometheus text format at {@code /metrics}, with
 * the JVM (memory, GC, threads, classes), processor and uptime metrics bound once, here, so every
 * command that starts one exposes them alike; and the process's stages' {@link Health} for probes:
 * {@value #LIVE_PATH} and {@value #READY_PATH} answer 200 when every stage is live (ready), 503
 * with the detail otherwise, as JSON {@code {"live":..,"ready":..,"detail":".."}}.
 */
public final class MetricsServer implements AutoCloseable {
    /** Liveness probe: 503 once a stage stopped for good (restart the process). */
    public static final String LIVE_PATH = "/health/live";
    /** Readiness probe: 503 while a stage starts or is not doing its job. */
    public static final String READY_PATH = "/health/ready";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    private final HttpServer server;
    /** Until {@link #health} names the stages: up, but nothing is ready yet. */
    private volatile Supplier<Health> health = () -> Health.starting("no stage started");

    /** Binds to {@code host:port}; port 0 picks a free one. */
    public MetricsServer(String host, int port) {
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(host), port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the metrics endpoint to " + host + ":" + port, e);
        }
        server.createContext("/metrics", exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext(LIVE_PATH, exchange -> probe(exchange, Health::live));
        server.createContext(READY_PATH, exchange -> probe(exchange, Health::ready));
        server.start();
    }

    /** Where {@value #LIVE_PATH} and {@value #READY_PATH} read the stages' health from. */
    public void health(Supplier<Health> source) {
        this.health = Objects.requireNonNull(source, "source");
    }

    private void probe(HttpExchange exchange, Predicate<Health> passes) throws IOException {
        Health now;
        try {
            now = health.get();
        } catch (RuntimeException e) {
            // a probe that cannot read the health must not look healthy
            now = Health.failed("health unavailable: " + e);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("live", now.live());
        body.put("ready", now.ready());
        body.put("detail", now.detail());
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(passes.test(now) ? 200 : 503, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public String url() {
        return baseUrl() + "/metrics";
    }

    /** {@code http://host:port} of this server, for {@value #LIVE_PATH} and {@value #READY_PATH}. */
    public String baseUrl() {
        return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        gcMetrics.close();
        registry.close();
    }
}
