package dev.firebreak.launcher.ops;

import static dev.firebreak.launcher.ops.OpsFiles.list;
import static dev.firebreak.launcher.ops.OpsFiles.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus side of operations: the scrape config and alert rules load in Prometheus' own
 * checker ({@code promtool}), the rules' unit tests pass, every alert carries what on-call needs
 * (absolute runbook and dashboard links among it), the Alertmanager config loads ({@code amtool}) and
 * routes the Watchdog to the heartbeat receiver.
 */
class PromtoolTest {
    private static final String RUNBOOK_BASE = "runbook_base_url";
    private static final String GRAFANA_BASE = "grafana_url";
    private static final Pattern HEADING = Pattern.compile("(?m)^#{2,4} +(\\S+)\\s*$");

    @Test
    void scrapeConfigAndRuleFilesLoad() throws Exception {
        String out = OpsFiles.run("prometheus", "promtool", "check", "config", "prometheus/prometheus.yml");
        assertThat(out).contains("SUCCESS: 1 rule files found").doesNotContain("FAILED");
    }

    @Test
    void ruleUnitTestsPass() throws Exception {
        List<String> command = new ArrayList<>(List.of("promtool", "test", "rules"));
        try (Stream<Path> files = Files.list(OpsFiles.root().resolve("prometheus/tests"))) {
            files.filter(f -> f.toString().endsWith(".yml")).sorted()
                    .forEach(f -> command.add(OpsFiles.root().relativize(f).toString()));
        }
        assertThat(command).hasSizeGreaterThan(3);
        String out = OpsFiles.run("prometheus", command.toArray(String[]::new));
        assertThat(out).contains("SUCCESS").doesNotContain("FAILED");
    }

    @Test
    void alertmanagerConfigLoads() throws Exception {
        OpsFiles.run("prometheus-alertmanager", "amtool", "check-config", "alertmanager/alertmanager.yml");
    }

    @Test
    void alertmanagerRoutesTheWatchdogToTheHeartbeatAndPagesCriticalAlerts() throws Exception {
        assertThat(route("alertname=Watchdog", "severity=none")).isEqualTo("heartbeat");
        assertThat(route("alertname=FirebreakAlertmanagerDown", "severity=critical")).isEqualTo("pager");
        assertThat(route("alertname=FirebreakCaptureLagHigh", "severity=warning")).isEqualTo("ticket");
        Map<String, Object> heartbeat = list(map(OpsFiles.yaml(OpsFiles.root().resolve("alertmanager/alertmanager.yml"))
                .get("route")).get("routes")).stream().map(OpsFiles::map)
                .filter(r -> "heartbeat".equals(r.get("receiver"))).findFirst().orElseThrow();
        // a deadman's switch needs a steady beat: repeated well within a heartbeat service's period
        assertThat(heartbeat).containsEntry("repeat_interval", "5m").containsEntry("group_interval", "1m");
    }

    @Test
    void everyAlertHasForSeverityAbsoluteLinksARunbookSectionAndAUnitTest() throws IOException {
        Path root = OpsFiles.root();
        String tests = Files.readString(root.resolve("prometheus/tests/firebreak_test.yml"));
        List<Map<String, Object>> alerts = alerts(root.resolve("prometheus/rules/firebreak.yml"));
        assertThat(alerts).extracting(a -> a.get("alert")).contains("FirebreakIngestStalled", "FirebreakCaptureLagHigh",
                "FirebreakDetectionLagGrowing", "FirebreakRevocationFailures", "FirebreakKillSwitchDown",
                "FirebreakMissingPrivileges", "FirebreakDeadLettersGrowing", "FirebreakServiceDown",
                "Watchdog", "FirebreakAlertmanagerDown", "FirebreakAlertNotificationsFailing");
        Map<String, Object> external = map(map(OpsFiles.yaml(root.resolve("prometheus/prometheus.yml")).get("global"))
                .get("external_labels"));
        for (String base : List.of(RUNBOOK_BASE, GRAFANA_BASE)) {
            assertThat((String) external.get(base)).as("prometheus.yml sets external label " + base).matches("https?://\\S+");
        }
        for (Map<String, Object> alert : alerts) {
            String name = (String) alert.get("alert");
            assertThat(alert).as(name).containsKey("for");
            assertThat(map(alert.get("labels")).get("severity")).as(name + " severity")
                    .isIn(name.equals("Watchdog") ? List.of("none") : List.of("critical", "warning"));
            Map<String, Object> annotations = map(alert.get("annotations"));
            assertThat(annotations).as(name).containsKeys("summary", "description", "runbook_url", "dashboard_url")
                    .doesNotContainKey("runbook");
            String runbook = absolute(name, (String) annotations.get("runbook_url"), RUNBOOK_BASE);
            // the base is the repository's docs/ folder: the rest is a file there and a heading anchor in it
            String[] fileAndAnchor = runbook.split("#", 2);
            Path doc = root.resolve("docs").resolve(fileAndAnchor[0]);
            assertThat(doc).as(name + " runbook file").isRegularFile();
            assertThat(fileAndAnchor).as(name + " runbook anchor").hasSize(2);
            assertThat(fileAndAnchor[1]).isEqualTo(name.toLowerCase());
            assertThat(headingAnchors(Files.readString(doc))).as("a section '%s' in %s", name, doc).contains(fileAndAnchor[1]);
            String dashboard = absolute(name, (String) annotations.get("dashboard_url"), GRAFANA_BASE);
            assertThat(dashboard).as(name + " dashboard_url").matches("d/firebreak-(overview|pipeline|principal)/.+")
                    .contains("from=now-1h&to=now");
            assertThat(tests).as("a unit test of " + name).contains("alertname: " + name + "\n");
        }
    }

    /**
     * A link annotation is {@code {{ or $externalLabels.<base> "<default>" }}/<rest>}: absolute with or
     * without the external label. Returns {@code rest}.
     */
    private static String absolute(String alert, String template, String base) {
        Matcher m = Pattern.compile("^\\{\\{ or \\$externalLabels\\." + base + " \"(https?://[^\"\\s]+)\" }}/(.+)$")
                .matcher(template == null ? "" : template);
        assertThat(m.matches()).as("%s: '%s' starts with {{ or $externalLabels.%s \"http(s)://...\" }}/", alert, template, base)
                .isTrue();
        return m.group(2);
    }

    private static String route(String... labels) throws Exception {
        List<String> command = new ArrayList<>(List.of("amtool", "config", "routes", "test",
                "--config.file=alertmanager/alertmanager.yml"));
        command.addAll(List.of(labels));
        String out = OpsFiles.run("prometheus-alertmanager", command.toArray(String[]::new));
        return out.lines().filter(l -> !l.startsWith("Warning")).reduce((a, b) -> b).orElse("").strip();
    }

    private static List<Map<String, Object>> alerts(Path rulesFile) throws IOException {
        List<Map<String, Object>> alerts = new ArrayList<>();
        for (Object group : list(OpsFiles.yaml(rulesFile).get("groups"))) {
            for (Object rule : list(map(group).get("rules"))) {
                if (map(rule).containsKey("alert")) {
                    alerts.add(map(rule));
                }
            }
        }
        return alerts;
    }

    // GitHub's anchor of a one-word heading is the word in lower case.
    private static List<String> headingAnchors(String markdown) {
        List<String> anchors = new ArrayList<>();
        Matcher m = HEADING.matcher(markdown);
        while (m.find()) {
            anchors.add(m.group(1).toLowerCase());
        }
        return anchors;
    }
}
