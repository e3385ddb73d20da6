package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.firebreak.launcher.demo.BurstScenario;
import dev.firebreak.launcher.demo.DemoReport;
import dev.firebreak.launcher.demo.OutcomeWatcher;
import dev.firebreak.launcher.demo.RogueAgent;
import dev.firebreak.launcher.demo.Timeline;
import dev.firebreak.launcher.metrics.MetricsServer;
import dev.firebreak.launcher.observability.PromQl;
import dev.firebreak.launcher.pipeline.Pipeline;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.oncall.OnCallConfig;
import dev.firebreak.stack.AlertmanagerProcess;
import java.util.HashMap;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.stack.PrometheusProcess;
import dev.firebreak.stack.PrometheusProcess.QueryResult;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dashboards and alert rules of the repository against a real Prometheus scraping the real
 * pipeline: the embedded stack and pipeline as {@code demo} runs them, a role dropping tables fast
 * enough for pg-drop-table-burst to revoke it, benign events, and one malformed agent action that
 * goes to the dead-letter topic. Then every dashboard query must run and return data (unless its
 * target says {@code "firebreak_may_be_empty": true}), and every alert expression must parse and
 * read only metrics that exist.
 *
 * <p>The files are read from {@code grafana/dashboards/} and {@code prometheus/rules/} under the
 * repository root, or under the directory the system property {@value #ROOT_PROPERTY} names.
 */
class ObservabilityIT {
    static final String ROOT_PROPERTY = "firebreak.observability.root";
    private static final String CLUSTER = "obs";
    private static final String JOB = "firebreak";
    private static final String ENVIRONMENT = "it";
    private static final String ROGUE = "rogue_obs";
    private static final String PRINCIPAL = "pg:" + CLUSTER + "/" + ROGUE;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The values Grafana's variables take here: this test's principal, job and environment. */
    private static final Map<String, String> GRAFANA_VARIABLES = Map.of("principal", PRINCIPAL, "job", JOB,
            "environment", ENVIRONMENT);
    private static final java.util.regex.Pattern LABEL_VALUES = java.util.regex.Pattern.compile(
            "label_values\\((.+),\\s*\\w+\\)");
    private static LocalStack stack;
    private static MetricsServer metrics;
    private static Pipeline pipeline;
    private static OutcomeWatcher watcher;
    private static PrometheusProcess prometheus;
    private static AlertmanagerProcess alertmanager;
    private static DemoReport report;
    private static Instant windowStart;
    private static Instant queryTime;

    @BeforeAll
    static void runABurstUnderPrometheus() throws Exception {
        Path root = root();
        stack = LocalStack.start(1, m -> { });
        metrics = new MetricsServer("127.0.0.1", 0);
        // A real Alertmanager with the shipped example config, so the on-call notifier runs and pages.
        alertmanager = AlertmanagerProcess.start(root.resolve("alertmanager/alertmanager.yml"), Duration.ofSeconds(60));
        Map<String, String> flat = new HashMap<>(PipelineSettings.stackMap(stack, CLUSTER, List.of()));
        flat.put(OnCallConfig.ALERTMANAGER_URLS, alertmanager.url());
        PipelineSettings settings = PipelineSettings.fromMap(flat);
        pipeline = Pipeline.start(settings, metrics.registry(), m -> { });
        watcher = new OutcomeWatcher(stack.observerClientProperties(), stack.registryUrl(), a -> { }, r -> { });
        // As in prometheus/prometheus.yml: an environment label on the pipeline's target, Alertmanager
        // scraped as job alertmanager and sent the alerts, Prometheus scraping itself.
        prometheus = PrometheusProcess.start(List.of(
                        PrometheusProcess.Target.of(JOB, metrics.url()).withLabels(Map.of("environment", ENVIRONMENT)),
                        PrometheusProcess.Target.of("alertmanager", alertmanager.url() + "/metrics")),
                ruleFiles(root), List.of(alertmanager.url()), Duration.ofSeconds(60));
        // A first scrape before any traffic: counters must be seen at their value before the burst.
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                series("up{job=\"" + JOB + "\"} == 1") == 1);
        windowStart = Instant.now();

        postBenignAgentAction(settings);
        insertMalformedAgentAction();
        BurstScenario scenario = new BurstScenario(stack.postgres(), watcher, CLUSTER,
                new Timeline(new PrintStream(OutputStream.nullOutputStream()), true));
        RogueAgent rogue = scenario.prepare(ROGUE, "obs_shop", 12, 5);
        report = scenario.run(rogue, ROGUE, "obs_shop", RogueAgent.Mode.AUTOCOMMIT, 12, 20.0);

        // Everything the burst caused has been scraped: the dead letter, the episode, the revocation.
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
                series("firebreak_ingest_dead_letters_total{job=\"" + JOB + "\",reason=\"bad_principal\"} >= 1") == 1
                        && series("firebreak_detection_episodes_total{rule=\"pg-drop-table-burst\"} >= 1") == 1);
        Instant settled = Instant.now();
        // Two more scrapes after that, so rates over the window have samples on both sides of the burst.
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() ->
                series("count_over_time(up{job=\"" + JOB + "\"}[" + secondsSince(settled) + "s]) >= 2") == 1);
        awaitRecordingRules(root);
        queryTime = lastGoodScrape();
        printExported();
    }

    /**
     * Recording rules run on their own clock, after the scrapes: give each a few evaluations to
     * produce its series. One that produces none stays missing and the rule check reports it.
     */
    private static void awaitRecordingRules(Path root) throws IOException {
        Set<String> recorded = new TreeSet<>();
        for (Path file : ruleFiles(root)) {
            for (JsonNode group : new YAMLMapper().readTree(file.toFile()).path("groups")) {
                group.path("rules").forEach(r -> {
                    if (r.hasNonNull("record")) {
                        recorded.add(r.get("record").asText());
                    }
                });
            }
        }
        try {
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(500))
                    .until(() -> prometheus.metricNames().containsAll(recorded));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            System.out.println("recording rules without series after 10 s: " + recorded);
        }
    }

    /** The Firebreak and Debezium series as scraped, without histogram buckets: what the catalogue promises. */
    private static void printExported() {
        System.out.println("\n/metrics (firebreak_*, debezium_*; buckets left out):");
        metrics.registry().scrape().lines()
                .filter(l -> l.startsWith("firebreak_") || l.startsWith("debezium_"))
                .filter(l -> !l.contains("_bucket{"))
                .forEach(l -> System.out.println("  " + l));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {prometheus, watcher, pipeline, alertmanager, metrics, stack}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }

    @Test
    void theBurstWasRevokedAndTheCatalogueMetricsAreExported() {
        assertThat(report.revoked()).isTrue();
        List<String> names = prometheus.metricNames();
        assertThat(names).contains(
                "firebreak_ingest_events_total", "firebreak_ingest_capture_lag_seconds_bucket",
                "firebreak_ingest_dead_letters_total", "firebreak_ingest_last_event_timestamp_seconds",
                "firebreak_ingest_heartbeat_timestamp_seconds", "firebreak_ingest_agent_actions_accepted_total",
                "debezium_streaming_connected", "debezium_streaming_milliseconds_behind_source",
                "debezium_streaming_total_number_of_events_seen", "debezium_streaming_queue_remaining_capacity",
                "kafka_producer_record_send_total",
                "firebreak_detection_events_total", "firebreak_detection_rule_hits_total",
                "firebreak_detection_episodes_total", "firebreak_detection_open_episodes",
                "firebreak_detection_latency_seconds_bucket", "firebreak_detection_dead_letters_total",
                "firebreak_principal_events_total", "firebreak_principal_episodes_total",
                "kafka_consumer_fetch_manager_records_lag_max",
                "jvm_memory_used_bytes", "jvm_threads_live_threads", "process_cpu_usage", "system_cpu_usage",
                "process_uptime_seconds");
        assertThat(series("firebreak_ingest_events_total{source=\"postgres\",action=\"DROP TABLE\",destructive=\"true\"} >= 3"))
                .isEqualTo(1);
        assertThat(series("firebreak_ingest_events_total{source=\"agent_http\"} >= 1")).isEqualTo(1);
        assertThat(series("firebreak_principal_events_total{principal=\"" + PRINCIPAL + "\",destructive=\"true\"} >= 3"))
                .isEqualTo(1);
        assertThat(series("debezium_streaming_connected == 1")).isEqualTo(1);
        assertThat(series("firebreak_ingest_heartbeat_timestamp_seconds{source=\"postgres\"} > 0")).isEqualTo(1);
        assertThat(series("firebreak_detection_latency_seconds_count{rule=\"pg-drop-table-burst\"} >= 1")).isEqualTo(1);
    }

    @Test
    void principalsRevokedCountsTheOnePrincipalNotItsTargetsOrRepeatCommands() throws IOException {
        // the burst revoked one role; a later rule on the same principal found it ALREADY_REVOKED
        JsonNode overview = JSON.readTree(root().resolve("grafana/dashboards/firebreak-overview.json").toFile());
        String expr = null;
        for (JsonNode panel : overview.path("panels")) {
            if (panel.path("title").asText().equals("Principals revoked")) {
                expr = panel.path("targets").get(0).path("expr").asText();
            }
        }
        assertThat(expr).as("the Principals revoked panel").isNotNull();
        QueryResult result = prometheus.query(PromQl.substitute(expr, GRAFANA_VARIABLES), queryTime);
        assertThat(result.seriesCount()).isEqualTo(1);
        assertThat(result.result().get(0).path("value").get(1).asText()).isEqualTo("1");
    }

    @Test
    void everyDashboardQueryRunsAndReturnsData() throws IOException {
        Path dashboards = root().resolve("grafana/dashboards");
        if (!Files.isDirectory(dashboards)) {
            fail(dashboards + " does not exist: the dashboards (grafana/dashboards/*.json) are not in this tree yet");
        }
        List<Path> files = files(dashboards, ".json");
        assertThat(files).as("dashboards in %s", dashboards).isNotEmpty();
        List<String> problems = new ArrayList<>();
        List<String[]> table = new ArrayList<>();
        Set<String> known = new TreeSet<>(prometheus.metricNames());
        for (Path file : files) {
            JsonNode board = JSON.readTree(file.toFile());
            List<JsonNode> targets = new ArrayList<>();
            collectTargets(board, targets);
            // Annotations are range queries over the dashboard's time range: the test's window here.
            List<JsonNode> annotations = new ArrayList<>();
            board.path("annotations").path("list").forEach(a -> {
                if (a.hasNonNull("expr")) {
                    annotations.add(a);
                }
            });
            // A variable's label_values(selector, label) offers what the selector returns.
            List<JsonNode> variables = new ArrayList<>();
            board.path("templating").path("list").forEach(v -> {
                if (LABEL_VALUES.matcher(v.path("query").path("query").asText("")).matches()) {
                    variables.add(v);
                }
            });
            for (JsonNode target : concat(targets, annotations, variables)) {
                boolean annotation = annotations.contains(target);
                String raw = variables.contains(target)
                        ? LABEL_VALUES.matcher(target.path("query").path("query").asText()).replaceFirst("$1")
                        : target.path("expr").asText("");
                if (raw.isBlank()) {
                    continue;
                }
                String expr = PromQl.substitute(raw, GRAFANA_VARIABLES);
                boolean mayBeEmpty = target.path("firebreak_may_be_empty").asBoolean(false);
                Set<String> missing = new TreeSet<>(PromQl.metricNames(expr));
                missing.removeAll(known);
                // a counter created on its first increment (retries, ...) may not exist yet where empty is allowed
                if (!missing.isEmpty() && !mayBeEmpty) {
                    problems.add(file.getFileName() + " " + expr + "\n    reads metrics Prometheus has never seen: " + missing);
                }
                QueryResult result = annotation
                        ? prometheus.queryRange(expr, windowStart, queryTime, Duration.ofSeconds(1))
                        : prometheus.query(expr, queryTime);
                String where = file.getFileName() + " [" + target.path("refId").asText(target.path("name").asText("?")) + "] " + expr;
                if (!result.ok()) {
                    problems.add(where + "\n    error " + result.errorType() + ": " + result.error());
                } else if (result.seriesCount() == 0 && !mayBeEmpty) {
                    problems.add(where + "\n    returned no series (add \"firebreak_may_be_empty\": true to the target "
                            + "if that is expected in a healthy pipeline after a burst)");
                }
                table.add(new String[] {file.getFileName().toString(), expr,
                        result.ok() ? Integer.toString(result.seriesCount()) + (mayBeEmpty ? " (may be empty)" : "")
                                : "ERROR"});
            }
        }
        print("dashboard queries", table);
        assertThat(table).as("panel targets with an expr in %s", dashboards).isNotEmpty();
        assertThat(problems).as("dashboard queries that failed or returned nothing").isEmpty();
    }

    @Test
    void everyAlertExpressionParsesAndReadsMetricsThatExist() throws IOException {
        Path rules = root().resolve("prometheus/rules");
        if (!Files.isDirectory(rules)) {
            fail(rules + " does not exist: the alert rules (prometheus/rules/*.yml) are not in this tree yet");
        }
        Set<String> known = new TreeSet<>(prometheus.metricNames());
        List<String> problems = new ArrayList<>();
        List<String[]> table = new ArrayList<>();
        for (Path file : ruleFiles(root())) {
            for (JsonNode group : new YAMLMapper().readTree(file.toFile()).path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    String name = rule.hasNonNull("alert") ? rule.get("alert").asText() : "record " + rule.path("record").asText();
                    String expr = rule.path("expr").asText("");
                    QueryResult result = prometheus.query(expr, queryTime);
                    String where = file.getFileName() + " " + name + ": " + expr.strip();
                    if (!result.ok()) {
                        problems.add(where + "\n    error " + result.errorType() + ": " + result.error());
                    }
                    Set<String> missing = new TreeSet<>(PromQl.metricNames(expr));
                    missing.removeAll(known);
                    if (!missing.isEmpty()) {
                        problems.add(where + "\n    reads metrics Prometheus has never seen: " + missing);
                    }
                    table.add(new String[] {file.getFileName().toString(), name,
                            result.ok() ? Integer.toString(result.seriesCount()) : "ERROR"});
                }
            }
        }
        print("alert and recording rules", table);
        assertThat(table).as("rules in %s", rules).isNotEmpty();
        assertThat(problems).as("rules that fail to run or read missing metrics").isEmpty();
    }

    @Test
    void theWatchdogReachesAlertmanagerAndIsRoutedToTheHeartbeatReceiver() {
        // Prometheus evaluates every second; an alert dropped before it discovered Alertmanager is sent
        // again after its resend delay (1 s in PrometheusProcess). Alertmanager routes on arrival.
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            JsonNode alerts = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                            alertmanager.url() + "/api/v2/alerts?filter=" + java.net.URLEncoder.encode("alertname=\"Watchdog\"",
                                    java.nio.charset.StandardCharsets.UTF_8))).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(alerts).as("Watchdog alerts in Alertmanager").hasSize(1);
            JsonNode watchdog = alerts.get(0);
            assertThat(watchdog.path("status").path("state").asText()).isEqualTo("active");
            assertThat(watchdog.path("receivers").findValuesAsText("name")).containsExactly("heartbeat");
            assertThat(watchdog.path("annotations").path("runbook_url").asText()).startsWith("https://").endsWith("#watchdog");
            assertThat(watchdog.path("annotations").path("dashboard_url").asText()).startsWith("http://localhost:3000/d/");
        });
    }

    @SafeVarargs
    private static List<JsonNode> concat(List<JsonNode>... lists) {
        List<JsonNode> all = new ArrayList<>();
        for (List<JsonNode> list : lists) {
            all.addAll(list);
        }
        return all;
    }

    /** Panels nest in rows (and rows in rows); every object with {@code targets} is a panel. */
    private static void collectTargets(JsonNode node, List<JsonNode> into) {
        if (node.isObject()) {
            node.path("targets").forEach(t -> {
                if (t.isObject()) {
                    into.add(t);
                }
            });
            node.fields().forEachRemaining(e -> {
                if (!e.getKey().equals("targets")) {
                    collectTargets(e.getValue(), into);
                }
            });
        } else if (node.isArray()) {
            node.forEach(child -> collectTargets(child, into));
        }
    }

    private static void postBenignAgentAction(PipelineSettings settings) throws Exception {
        String body = "{\"agent_id\":\"obs-agent\",\"tool\":\"sql\",\"input\":\"SELECT count(*) FROM obs_shop.t001\"}";
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(pipeline.agentActionsUrl().orElseThrow()))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + settings.agentActions().httpTokens().get(0))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    }

    // An agent id with spaces is no principal: the table path sends the row to the DLQ.
    private static void insertMalformedAgentAction() throws Exception {
        try (Connection c = stack.postgres().superuserConnection(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO firebreak.agent_actions (agent_id, tool, input) VALUES ('agent with spaces', 'bash', 'ls')");
        }
    }

    /**
     * The last moment the pipeline's latest scrape had succeeded. On a loaded machine a scrape can
     * miss its 1 s timeout; the staleness marker it leaves would hide every gauge from an instant
     * query at "now", while the same query a second earlier sees the pipeline as it was.
     */
    private static Instant lastGoodScrape() {
        // the raw samples of up: each is one scrape, stamped with the scrape's start like every series it read
        QueryResult result = prometheus.query("up{job=\"" + JOB + "\"}[1m]", Instant.now());
        Instant good = null;
        if (result.ok() && result.seriesCount() == 1) {
            for (JsonNode sample : result.result().get(0).path("values")) {
                if (sample.get(1).asText().equals("1")) {
                    good = Instant.ofEpochMilli(Math.round(sample.get(0).asDouble() * 1000));
                }
            }
        }
        if (good == null) {
            throw new IllegalStateException("no successful scrape of " + JOB + " in the last minute: " + result.result());
        }
        return good;
    }

    /** Series {@code expr} returns at {@link #queryTime}, or now while setting up. */
    private static int series(String expr) {
        QueryResult result = prometheus.query(expr, queryTime == null ? Instant.now() : queryTime);
        if (!result.ok()) {
            throw new IllegalStateException(expr + ": " + result.error());
        }
        return result.seriesCount();
    }

    private static long secondsSince(Instant t) {
        return Math.max(1, Duration.between(t, Instant.now()).toSeconds() + 1);
    }

    private static List<Path> ruleFiles(Path root) throws IOException {
        Path rules = root.resolve("prometheus/rules");
        if (!Files.isDirectory(rules)) {
            return List.of();
        }
        List<Path> files = new ArrayList<>(files(rules, ".yml"));
        files.addAll(files(rules, ".yaml"));
        return files;
    }

    private static List<Path> files(Path dir, String suffix) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }

    /** The repository root (the directory above the launcher module), unless the property names another. */
    private static Path root() {
        String configured = System.getProperty(ROOT_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath();
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("launcher")))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the repository root above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    private static void print(String title, List<String[]> rows) {
        System.out.println("\n" + title + " at " + queryTime + " (window from " + windowStart + "): query -> series");
        for (String[] row : rows) {
            System.out.printf("  %-28s %-6s  %s%n", row[0], row[row.length - 1],
                    row.length > 2 ? row[1].replaceAll("\\s+", " ") : "");
        }
    }
}
