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
 * checker ({@code promtool}), the rules' unit tests pass, every alert carries what on-call needs, and
 * the Alertmanager config loads ({@code amtool}).
 */
class PromtoolTest {
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
    void everyAlertHasForSeverityAnnotationsARunbookSectionAndAUnitTest() throws IOException {
        Path root = OpsFiles.root();
        String runbooks = Files.readString(root.resolve("docs/operations.md"));
        String tests = Files.readString(root.resolve("prometheus/tests/firebreak_test.yml"));
        List<Map<String, Object>> alerts = alerts(root.resolve("prometheus/rules/firebreak.yml"));
        assertThat(alerts).extracting(a -> a.get("alert")).contains("FirebreakIngestStalled", "FirebreakCaptureLagHigh",
                "FirebreakDetectionLagGrowing", "FirebreakRevocationFailures", "FirebreakKillSwitchDown",
                "FirebreakMissingPrivileges", "FirebreakDeadLettersGrowing", "FirebreakServiceDown");
        List<String> anchors = headingAnchors(runbooks);
        for (Map<String, Object> alert : alerts) {
            String name = (String) alert.get("alert");
            assertThat(alert).as(name).containsKey("for");
            assertThat(map(alert.get("labels")).get("severity")).as(name + " severity").isIn("critical", "warning");
            Map<String, Object> annotations = map(alert.get("annotations"));
            assertThat(annotations).as(name).containsKeys("summary", "description", "runbook");
            assertThat((String) annotations.get("runbook")).as(name + " runbook")
                    .isEqualTo("docs/operations.md#" + name.toLowerCase());
            assertThat(anchors).as("a section '%s' in docs/operations.md", name).contains(name.toLowerCase());
            assertThat(tests).as("a unit test of " + name).contains("alertname: " + name + "\n");
        }
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
