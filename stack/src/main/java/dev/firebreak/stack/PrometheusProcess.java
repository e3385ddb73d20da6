package dev.firebreak.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Prometheus server as a child process on 127.0.0.1 and a free port, scraping the given
 * targets every second into a temporary TSDB, optionally evaluating rule files: what the
 * observability tests check dashboard queries and alert rules against. Stopped, and its data
 * deleted, on {@link #close()}; a shutdown hook kills it should this JVM exit without closing.
 */
public final class PrometheusProcess implements AutoCloseable {
    /** Environment variable naming the prometheus binary; default {@value #DEFAULT_BINARY}. */
    public static final String BINARY_ENV = "FIREBREAK_PROMETHEUS_BIN";
    public static final String DEFAULT_BINARY = "/usr/bin/prometheus";
    /** Scrape and rule evaluation interval. */
    public static final Duration INTERVAL = Duration.ofSeconds(1);
    /** The job under which Prometheus scrapes itself when it sends alerts. */
    public static final String SELF_JOB = "prometheus";
    private static final Logger LOG = LoggerFactory.getLogger(PrometheusProcess.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path home;
    private final String url;
    private final Thread reaper;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PrometheusProcess(Process process, Path home, int port) {
        this.process = process;
        this.home = home;
        this.url = "http://127.0.0.1:" + port;
        this.reaper = new Thread(process::destroyForcibly, "prometheus-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /**
     * One scrape target.
     *
     * @param job         the {@code job} label
     * @param address     host:port
     * @param metricsPath path of the metrics endpoint, e.g. {@code /metrics}
     * @param labels      extra target labels, e.g. {@code environment}, as a scrape config's {@code labels}
     */
    public record Target(String job, String address, String metricsPath, Map<String, String> labels) {
        public Target {
            labels = Map.copyOf(labels);
        }

        /** Without extra labels. */
        public Target(String job, String address, String metricsPath) {
            this(job, address, metricsPath, Map.of());
        }

        /** The target serving {@code metricsUrl} (e.g. {@code http://127.0.0.1:9400/metrics}) under {@code job}. */
        public static Target of(String job, String metricsUrl) {
            URI uri = URI.create(metricsUrl);
            return new Target(job, uri.getHost() + ":" + uri.getPort(), uri.getPath().isEmpty() ? "/metrics" : uri.getPath());
        }

        /** This target with {@code labels} attached to every series scraped from it. */
        public Target withLabels(Map<String, String> labels) {
            return new Target(job, address, metricsPath, labels);
        }
    }

    /**
     * The answer of a query: {@code status} is {@code success} or {@code error}; on success
     * {@code seriesCount} is the number of series (vector, matrix) or 1 (scalar, string).
     */
    public record QueryResult(String status, String errorType, String error, String resultType, int seriesCount,
                              JsonNode result) {
        public boolean ok() {
            return "success".equals(status);
        }
    }

    /** Starts Prometheus scraping {@code targets} and evaluating {@code ruleFiles}; waits until it is ready. */
    public static PrometheusProcess start(List<Target> targets, List<Path> ruleFiles, Duration readyTimeout) {
        return start(targets, ruleFiles, List.of(), readyTimeout);
    }

    /**
     * As {@link #start(List, List, Duration)}, and sending firing alerts to {@code alertmanagerUrls}
     * (base URLs, e.g. {@code http://127.0.0.1:9093}). With Alertmanagers, Prometheus also scrapes
     * itself as job {@value #SELF_JOB}, so rules about alert delivery ({@code prometheus_notifications_*})
     * read real series, as in a deployment.
     */
    public static PrometheusProcess start(List<Target> targets, List<Path> ruleFiles, List<String> alertmanagerUrls,
                                          Duration readyTimeout) {
        Path binary = binary(System.getenv(BINARY_ENV));
        int port = freePort();
        List<Target> scraped = new ArrayList<>(targets);
        if (!alertmanagerUrls.isEmpty()) {
            scraped.add(new Target(SELF_JOB, "127.0.0.1:" + port, "/metrics"));
        }
        Path home;
        try {
            home = Files.createTempDirectory("firebreak-prometheus");
            Path config = home.resolve("prometheus.yml");
            Files.writeString(config, config(scraped, ruleFiles, alertmanagerUrls), StandardCharsets.UTF_8);
            Path data = Files.createDirectory(home.resolve("data"));
            Process process = new ProcessBuilder(binary.toString(),
                    "--config.file=" + config,
                    "--storage.tsdb.path=" + data,
                    "--web.listen-address=127.0.0.1:" + port,
                    // Alerts that fire before the Alertmanagers are discovered (about 5 s) are dropped
                    // and sent again only after this delay: 1 min by default, 1 s at this pace.
                    "--rules.alert.resend-delay=1s",
                    "--log.level=warn")
                    .redirectErrorStream(true)
                    .redirectOutput(home.resolve("prometheus.log").toFile())
                    .start();
            PrometheusProcess prometheus = new PrometheusProcess(process, home, port);
            try {
                prometheus.awaitReady(readyTimeout);
            } catch (RuntimeException e) {
                prometheus.close();
                throw e;
            }
            LOG.info("Prometheus (pid {}) at {} scraping {}", process.pid(), prometheus.url, targets);
            return prometheus;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary, e);
        }
    }

    /** The binary {@code configured} (the environment variable's value, may be null) names, checked. */
    static Path binary(String configured) {
        Path binary = Path.of(configured == null || configured.isBlank() ? DEFAULT_BINARY : configured);
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("no Prometheus binary at " + binary + ": install the Debian package "
                    + "'prometheus' (apt-get install prometheus) or point " + BINARY_ENV + " at a prometheus binary");
        }
        return binary;
    }

    /** The generated configuration: every target scraped each second, rules evaluated each second. */
    static String config(List<Target> targets, List<Path> ruleFiles) {
        return config(targets, ruleFiles, List.of());
    }

    /** As {@link #config(List, List)}, with alerts sent to {@code alertmanagerUrls} (base URLs). */
    static String config(List<Target> targets, List<Path> ruleFiles, List<String> alertmanagerUrls) {
        StringBuilder y = new StringBuilder();
        y.append("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n");
        if (!ruleFiles.isEmpty()) {
            y.append("rule_files:\n");
            ruleFiles.forEach(f -> y.append("  - ").append(quote(f.toAbsolutePath().toString())).append('\n'));
        }
        if (!alertmanagerUrls.isEmpty()) {
            y.append("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [");
            y.append(String.join(", ", alertmanagerUrls.stream().map(u -> {
                URI uri = URI.create(u);
                return quote(uri.getHost() + ":" + uri.getPort());
            }).toList())).append("]\n");
        }
        y.append("scrape_configs:\n");
        for (Target t : targets) {
            y.append("  - job_name: ").append(quote(t.job())).append('\n')
                    .append("    metrics_path: ").append(quote(t.metricsPath())).append('\n')
                    .append("    static_configs:\n      - targets: [").append(quote(t.address())).append("]\n");
            if (!t.labels().isEmpty()) {
                y.append("        labels:\n");
                new java.util.TreeMap<>(t.labels()).forEach((k, v) -> y.append("          ").append(quote(k)).append(": ")
                        .append(quote(v)).append('\n'));
            }
        }
        return y.toString();
    }

    // JSON strings are valid YAML scalars; Jackson does the escaping.
    private static String quote(String value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Prometheus exited with " + process.exitValue() + ":\n" + logTail());
            }
            try {
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(url + "/-/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Prometheus", e);
            }
            sleep(100);
        }
        throw new IllegalStateException("Prometheus not ready within " + timeout + ":\n" + logTail());
    }

    /** Base URL, e.g. {@code http://127.0.0.1:41234}. */
    public String url() {
        return url;
    }

    /** An instant query at {@code time}. */
    public QueryResult query(String promql, Instant time) {
        return api("/api/v1/query", "query=" + encode(promql) + "&time=" + seconds(time));
    }

    /** A range query from {@code start} to {@code end} every {@code step}. */
    public QueryResult queryRange(String promql, Instant start, Instant end, Duration step) {
        return api("/api/v1/query_range", "query=" + encode(promql) + "&start=" + seconds(start) + "&end=" + seconds(end)
                + "&step=" + String.format(Locale.ROOT, "%.3f", step.toMillis() / 1000.0));
    }

    /** Every metric name Prometheus holds ({@code /api/v1/label/__name__/values}). */
    public List<String> metricNames() {
        JsonNode body = get("/api/v1/label/__name__/values");
        List<String> names = new ArrayList<>();
        body.path("data").forEach(n -> names.add(n.asText()));
        return names;
    }

    private QueryResult api(String path, String form) {
        JsonNode body = post(path, form);
        String status = body.path("status").asText();
        JsonNode data = body.path("data");
        String resultType = data.path("resultType").asText(null);
        JsonNode result = data.path("result");
        int series = "vector".equals(resultType) || "matrix".equals(resultType) ? result.size() : result.isMissingNode() ? 0 : 1;
        return new QueryResult(status, body.path("errorType").asText(null), body.path("error").asText(null),
                resultType, series, result);
    }

    // Prometheus answers errors with 400/422 and a JSON body; both are results, not exceptions.
    private JsonNode post(String path, String form) {
        return send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build());
    }

    private JsonNode get(String path) {
        return send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30)).build());
    }

    private JsonNode send(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("Prometheus at " + url + " did not answer " + request.uri().getPath(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while querying Prometheus", e);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String seconds(Instant time) {
        return String.format(Locale.ROOT, "%.3f", time.toEpochMilli() / 1000.0);
    }

    /** The last lines Prometheus logged, for error messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(home.resolve("prometheus.log"), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        ChildProcesses.stop(process, reaper);
        ChildProcesses.deleteTree(home);
    }

}
