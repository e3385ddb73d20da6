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
import org.junit.jupiter.api.Test;

/**
 * The provisioned Grafana dashboards: fixed uids, the Prometheus data source by uid, every target
 * complete (expr, refId, legendFormat), every template variable defined, and every expression valid
 * PromQL as Prometheus' own parser ({@code promtool check rules}) sees it.
 */
class DashboardsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?(\\w+)");

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
    void everyTargetIsCompleteAndUsesThePrometheusDataSourceByUid() throws IOException {
        for (Map.Entry<String, JsonNode> board : dashboards().entrySet()) {
            Set<Integer> ids = new HashSet<>();
            for (JsonNode panel : board.getValue().path("panels")) {
                String where = board.getKey() + " / " + panel.path("title").asText();
                assertThat(ids.add(panel.path("id").asInt())).as(where + " unique panel id").isTrue();
                if (panel.path("type").asText().equals("row")) {
                    continue;
                }
                assertThat(panel.path("datasource").path("uid").asText()).as(where).isEqualTo("prometheus");
                assertThat(panel.path("targets")).as(where + " targets").isNotEmpty();
                Set<String> refIds = new HashSet<>();
                for (JsonNode target : panel.path("targets")) {
                    assertThat(target.path("expr").asText()).as(where + " expr").isNotBlank();
                    assertThat(target.has("legendFormat")).as(where + " legendFormat").isTrue();
                    assertThat(refIds.add(target.path("refId").asText())).as(where + " unique refId").isTrue();
                    assertThat(target.path("refId").asText()).as(where + " refId").isNotBlank();
                    assertThat(target.path("datasource").path("uid").asText()).as(where).isEqualTo("prometheus");
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
                    assertThat(defined).as(board.getKey() + ": " + expr).contains(m.group(1));
                }
            }
        }
        JsonNode principal = dashboards().get("firebreak-principal").path("templating").path("list").get(0);
        assertThat(principal.path("name").asText()).isEqualTo("principal");
        assertThat(principal.path("query").path("query").asText())
                .isEqualTo("label_values(firebreak_principal_events_total, principal)");
    }

    @Test
    void everyExpressionIsValidPromQl() throws Exception {
        ObjectNode rules = JSON.createObjectNode();
        ArrayNode list = rules.putArray("groups").addObject().put("name", "dashboards").putArray("rules");
        int n = 0;
        for (JsonNode board : dashboards().values()) {
            for (String expr : expressions(board)) {
                // a value of the variable, as Grafana would interpolate it
                list.addObject().put("record", "firebreak_dashboard_expr_" + ++n).put("expr", expr.replace("$principal", "pg:main/x"));
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
    void provisioningPointsAtThePrometheusUidAndTheDashboardFolder() throws IOException {
        Path root = OpsFiles.root();
        Map<String, Object> datasource = map(OpsFiles.list(
                OpsFiles.yaml(root.resolve("grafana/provisioning/datasources/prometheus.yml")).get("datasources")).get(0));
        assertThat(datasource).containsEntry("uid", "prometheus").containsEntry("type", "prometheus");
        Map<String, Object> provider = map(OpsFiles.list(
                OpsFiles.yaml(root.resolve("grafana/provisioning/dashboards/firebreak.yml")).get("providers")).get(0));
        assertThat(provider).containsEntry("type", "file");
        assertThat(map(provider.get("options"))).containsEntry("path", "/var/lib/grafana/dashboards");
    }

    private static List<String> expressions(JsonNode board) {
        List<String> out = new ArrayList<>();
        for (JsonNode panel : board.path("panels")) {
            panel.path("targets").forEach(t -> out.add(t.path("expr").asText()));
        }
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
