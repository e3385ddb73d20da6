package dev.firebreak.launcher.ops;

import static dev.firebreak.launcher.ops.OpsFiles.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import dev.firebreak.launcher.observability.PromQl;
import org.junit.jupiter.api.Test;

/**
 * The provisioned Grafana dashboards, portable to any Grafana: fixed uids, the data source chosen in
 * a {@code datasource} variable (never a hard-wired uid), every selector filtered by the
 * {@code environment} and {@code job} variables, windows from Grafana ({@code $__rate_interval},
 * {@code $__range}) rather than fixed, stat panels over the selected range, every target complete
 * (expr, refId, legendFormat), every template variable defined, annotations for revocations, guard
 * refusals and rule reloads, and every expression valid PromQL as Prometheus' own parser
 * ({@code promtool check rules}) sees it.
 */
class DashboardsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?(\\w+)");
    private static final String DATASOURCE = "${datasource}";
    private static final Pattern SELECTOR = Pattern.compile("([A-Za-z_:][\\w:]*)\\{([^}]*)}");
    private static final Pattern RANGE = Pattern.compile("\\[([^\\]]*)]");
    private static final Pattern OFFSET = Pattern.compile("offset\\s+([$\\w]+)");

    @Test
    void theThreeDashboardsExistWithTheirFixedUids() throws IOException {
        Map<String, JsonNode> boards = dashboards();
        assertThat(boards).containsKeys("firebreak-overview", "firebreak-principal", "firebreak-pipeline");
        boards.forEach((file, board) -> {
            assertThat(board.path("uid").asText()).as(file + " uid").isEqualTo(file);
            assertThat(board.path("schemaVersion").asInt()).as(file + " schemaVersion (Grafana 10+)").isGreaterThanOrEqualTo(38);
        });
    }

    @Test
    void everyTargetIsCompleteAndUsesTheDataSourceVariable() throws IOException {
        for (Map.Entry<String, JsonNode> board : dashboards().entrySet()) {
            Set<Integer> ids = new HashSet<>();
            for (JsonNode panel : board.getValue().path("panels")) {
                String where = board.getKey() + " / " + panel.path("title").asText();
                assertThat(ids.add(panel.path("id").asInt())).as(where + " unique panel id").isTrue();
                if (panel.path("type").asText().equals("row")) {
                    continue;
                }
                assertThat(panel.path("datasource").path("uid").asText()).as(where).isEqualTo(DATASOURCE);
                assertThat(panel.path("targets")).as(where + " targets").isNotEmpty();
                Set<String> refIds = new HashSet<>();
                for (JsonNode target : panel.path("targets")) {
                    assertThat(target.path("expr").asText()).as(where + " expr").isNotBlank();
                    assertThat(target.has("legendFormat")).as(where + " legendFormat").isTrue();
                    assertThat(refIds.add(target.path("refId").asText())).as(where + " unique refId").isTrue();
                    assertThat(target.path("refId").asText()).as(where + " refId").isNotBlank();
                    assertThat(target.path("datasource").path("uid").asText()).as(where).isEqualTo(DATASOURCE);
                    if (target.has("firebreak_may_be_empty")) {
                        assertThat(target.get("firebreak_may_be_empty").isBoolean()).as(where + " marker is a boolean").isTrue();
                    }
                }
            }
        }
    }

    @Test
    void principalDashboardOffersThePrincipalsSeenAndUsesOnlyDefinedVariables() throws IOException {
        for (Map.Entry<String, JsonNode> board : dashboards().entrySet()) {
            Set<String> defined = new HashSet<>();
            for (JsonNode variable : board.getValue().path("templating").path("list")) {
                defined.add(variable.path("name").asText());
            }
            for (String expr : expressions(board.getValue())) {
                Matcher m = VARIABLE.matcher(expr);
                while (m.find()) {
                    // Grafana's own ($__rate_interval, $__range, ...) need no definition
                    if (!m.group(1).startsWith("__")) {
                        assertThat(defined).as(board.getKey() + ": " + expr).contains(m.group(1));
                    }
                }
            }
        }
        JsonNode principal = variable(dashboards().get("firebreak-principal"), "principal");
        assertThat(principal.path("query").path("query").asText())
                .isEqualTo("label_values(firebreak_principal_events_total{job=~\"$job\",environment=~\"$environment\"}, principal)");
    }

    @Test
    void everyDashboardHasTheDataSourceEnvironmentAndJobVariables() throws IOException {
        for (Map.Entry<String, JsonNode> board : dashboards().entrySet()) {
            JsonNode list = board.getValue().path("templating").path("list");
            assertThat(list.get(0).path("name").asText()).as(board.getKey() + ": the data source comes first").isEqualTo("datasource");
            JsonNode datasource = variable(board.getValue(), "datasource");
            assertThat(datasource.path("type").asText()).isEqualTo("datasource");
            assertThat(datasource.path("query").asText()).isEqualTo("prometheus");
            for (String name : List.of("environment", "job")) {
                JsonNode v = variable(board.getValue(), name);
                String where = board.getKey() + " $" + name;
                assertThat(v.path("datasource").path("uid").asText()).as(where).isEqualTo(DATASOURCE);
                // All must match series without the label too: a single-environment Prometheus has none
                assertThat(v.path("includeAll").asBoolean()).as(where + " includeAll").isTrue();
                assertThat(v.path("allValue").asText()).as(where + " allValue").isEqualTo(".*");
                assertThat(v.path("query").path("query").asText()).as(where).startsWith("label_values(process_uptime_seconds");
            }
            board.getValue().path("templating").path("list").forEach(v -> {
                if (v.has("datasource")) {
                    assertThat(v.path("datasource").path("uid").asText()).as(board.getKey() + " $" + v.path("name").asText())
                            .isEqualTo(DATASOURCE);
                }
            });
            assertThat(board.getValue().path("links")).allSatisfy(l -> assertThat(l.path("includeVars").asBoolean())
                    .as(board.getKey() + " dashboard links keep the variables").isTrue());
        }
    }

    @Test
    void everySelectorIsFilteredByEnvironmentAndJobAndEveryWindowComesFromGrafana() throws IOException {
        for (Map.Entry<String, JsonNode> board : dashboards().entrySet()) {
            for (String expr : expressions(board.getValue())) {
                String where = board.getKey() + ": " + expr;
                Set<String> selected = new HashSet<>();
                Matcher selector = SELECTOR.matcher(expr);
                while (selector.find()) {
                    selected.add(selector.group(1));
                    assertThat(selector.group(2)).as(where).contains("job=~\"$job\"", "environment=~\"$environment\"");
                }
                assertThat(selected).as(where + ": every metric read through a filtered selector")
                        .containsAll(PromQl.metricNames(PromQl.substitute(expr, Map.of())));
                Matcher range = RANGE.matcher(expr);
                while (range.find()) {
                    assertThat(range.group(1)).as(where + ": window").isIn("$__rate_interval", "$__range");
                }
                Matcher offset = OFFSET.matcher(expr);
                while (offset.find()) {
                    assertThat(offset.group(1)).as(where + ": offset").isIn("$__rate_interval", "$__range");
                }
            }
        }
    }

    @Test
    void statPanelsCountOverTheSelectedRangeNotSinceStart() throws IOException {
        int counters = 0;
        for (Map.Entry<String, JsonNode> board : dashboards().entrySet()) {
            for (JsonNode panel : board.getValue().path("panels")) {
                boolean summary = panel.path("type").asText().equals("stat") || panel.path("type").asText().equals("bargauge");
                for (JsonNode target : panel.path("targets")) {
                    String expr = target.path("expr").asText();
                    if (!summary || !expr.contains("_total")) {
                        continue;
                    }
                    counters++;
                    String where = board.getKey() + " / " + panel.path("title").asText();
                    // increase over the range for series that existed at its start; a series born
                    // inside it counts from zero (increase() alone cannot see a counter's first step)
                    assertThat(expr).as(where).contains("[$__range]) and ", " offset $__range) or ");
                    assertThat(target.path("instant").asBoolean()).as(where + ": one value at the range's end").isTrue();
                }
            }
        }
        assertThat(counters).isGreaterThanOrEqualTo(10);
        assertThat(panel("firebreak-overview", "Principals revoked").path("targets").get(0).path("expr").asText())
                .as("principals, not targets").contains("firebreak_killswitch_principals_revoked_total")
                .doesNotContain("firebreak_killswitch_revocations_total");
    }

    @Test
    void topPrincipalsLinkToThePrincipalDashboardOverTheSameRange() throws IOException {
        for (JsonNode top : List.of(panel("firebreak-overview", "Top principals by destructive events"),
                panel("firebreak-principal", "Top principals by destructive events"))) {
            JsonNode link = top.path("fieldConfig").path("defaults").path("links").get(0);
            assertThat(link).as("a data link").isNotNull();
            assertThat(link.path("url").asText()).startsWith("/d/firebreak-principal/")
                    .contains("var-principal=${__field.labels.principal:percentencode}", "${__url_time_range}",
                            "${datasource:queryparam}", "${environment:queryparam}", "${job:queryparam}");
        }
    }

    @Test
    void annotationsMarkRevocationsGuardRefusalsAndRuleReloads() throws IOException {
        for (Map.Entry<String, JsonNode> board : dashboards().entrySet()) {
            Map<String, String> annotations = new java.util.TreeMap<>();
            for (JsonNode a : board.getValue().path("annotations").path("list")) {
                if (a.hasNonNull("expr")) {
                    assertThat(a.path("datasource").path("uid").asText()).as(board.getKey()).isEqualTo(DATASOURCE);
                    annotations.put(a.path("name").asText(), a.path("expr").asText());
                }
            }
            assertThat(annotations).as(board.getKey()).containsOnlyKeys("Revocations", "Guard refusals", "Rule reloads");
            assertThat(annotations.get("Revocations")).contains("firebreak_principal_revocations_total", "outcome=\"REVOKED\"");
            assertThat(annotations.get("Guard refusals")).contains("firebreak_ingest_guard_refusals_total");
            assertThat(annotations.get("Rule reloads")).contains("firebreak_detection_rule_reloads_total");
        }
    }

    @Test
    void thePipelineShowsStreamsStateRebalancesAndLateRecords() throws IOException {
        String all = String.join("\n", expressions(dashboards().get("firebreak-pipeline")));
        assertThat(all).contains("kafka_stream_client_state", "kafka_stream_thread_thread_state",
                "kafka_consumer_coordinator_rebalance_total", "kafka_stream_task_dropped_records_total",
                "kafka_stream_task_record_lateness_max");
        // Kafka Streams exports states as their enum ordinals; the panels name them
        JsonNode thread = panel("firebreak-pipeline", "Stream thread state");
        assertThat(thread.path("fieldConfig").path("defaults").path("mappings").get(0).path("options").path("4").path("text")
                .asText()).isEqualTo(org.apache.kafka.streams.processor.internals.StreamThread.State.values()[4].name());
        JsonNode client = panel("firebreak-pipeline", "Streams client state");
        for (org.apache.kafka.streams.KafkaStreams.State state : org.apache.kafka.streams.KafkaStreams.State.values()) {
            assertThat(client.path("fieldConfig").path("defaults").path("mappings").get(0).path("options")
                    .path(Integer.toString(state.ordinal())).path("text").asText()).isEqualTo(state.name());
        }
        for (org.apache.kafka.streams.processor.internals.StreamThread.State state
                : org.apache.kafka.streams.processor.internals.StreamThread.State.values()) {
            assertThat(thread.path("fieldConfig").path("defaults").path("mappings").get(0).path("options")
                    .path(Integer.toString(state.ordinal())).path("text").asText()).isEqualTo(state.name());
        }
    }

    private static JsonNode variable(JsonNode board, String name) {
        for (JsonNode v : board.path("templating").path("list")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        throw new AssertionError("no variable " + name + " in " + board.path("uid").asText());
    }

    private static JsonNode panel(String board, String title) throws IOException {
        for (JsonNode p : dashboards().get(board).path("panels")) {
            if (p.path("title").asText().equals(title)) {
                return p;
            }
        }
        throw new AssertionError("no panel '" + title + "' in " + board);
    }

    @Test
    void everyExpressionIsValidPromQl() throws Exception {
        ObjectNode rules = JSON.createObjectNode();
        ArrayNode list = rules.putArray("groups").addObject().put("name", "dashboards").putArray("rules");
        int n = 0;
        for (JsonNode board : dashboards().values()) {
            for (String expr : expressions(board)) {
                // a value of the variable, as Grafana would interpolate it
                list.addObject().put("record", "firebreak_dashboard_expr_" + ++n)
                        .put("expr", PromQl.substitute(expr, Map.of("principal", "pg:main/x")));
            }
        }
        assertThat(n).isGreaterThan(30);
        Path file = Files.createTempFile("firebreak-dashboards", ".yml");
        try {
            // JSON is YAML, which promtool reads
            JSON.writeValue(file.toFile(), rules);
            String out = OpsFiles.run("prometheus", "promtool", "check", "rules", file.toString());
            assertThat(out).contains("SUCCESS: " + n + " rules found");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void provisioningHasADefaultPrometheusAndTheDashboardFolder() throws IOException {
        Path root = OpsFiles.root();
        Map<String, Object> datasource = map(OpsFiles.list(
                OpsFiles.yaml(root.resolve("grafana/provisioning/datasources/prometheus.yml")).get("datasources")).get(0));
        assertThat(datasource).containsEntry("type", "prometheus").containsEntry("isDefault", true);
        Map<String, Object> provider = map(OpsFiles.list(
                OpsFiles.yaml(root.resolve("grafana/provisioning/dashboards/firebreak.yml")).get("providers")).get(0));
        assertThat(provider).containsEntry("type", "file");
        assertThat(map(provider.get("options"))).containsEntry("path", "/var/lib/grafana/dashboards");
    }

    /** Every PromQL expression of a board: panel targets and annotations. */
    private static List<String> expressions(JsonNode board) {
        List<String> out = new ArrayList<>();
        for (JsonNode panel : board.path("panels")) {
            panel.path("targets").forEach(t -> out.add(t.path("expr").asText()));
        }
        board.path("annotations").path("list").forEach(a -> {
            if (a.hasNonNull("expr")) {
                out.add(a.path("expr").asText());
            }
        });
        return out;
    }

    private static Map<String, JsonNode> dashboards() throws IOException {
        Map<String, JsonNode> out = new java.util.TreeMap<>();
        try (Stream<Path> files = Files.list(OpsFiles.root().resolve("grafana/dashboards"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                out.put(f.getFileName().toString().replaceFirst("\\.json$", ""), JSON.readTree(f.toFile()));
            }
        }
        return out;
    }
}
