package dev.firebreak.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class PrometheusProcessTest {

    @Test
    void scrapesATargetAndAnswersInstantAndRangeQueriesAndErrors() throws Exception {
        HttpServer target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        target.createContext("/metrics", exchange -> {
            byte[] body = "# TYPE firebreak_probe_total counter\nfirebreak_probe_total{kind=\"a\"} 3\nfirebreak_probe_total{kind=\"b\"} 4\n"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        target.start();
        Instant started = Instant.now();
        try (PrometheusProcess prometheus = PrometheusProcess.start(List.of(PrometheusProcess.Target.of("probe",
                "http://127.0.0.1:" + target.getAddress().getPort() + "/metrics")), List.of(), Duration.ofSeconds(60))) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    prometheus.query("firebreak_probe_total", Instant.now()).seriesCount() == 2);
            // Two more scrapes, so the range below has a step after the first sample.
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    prometheus.query("count_over_time(up{job=\"probe\"}[1m]) >= 3", Instant.now()).seriesCount() == 1);

            var sum = prometheus.query("sum(firebreak_probe_total{job=\"probe\"})", Instant.now());
            assertThat(sum.ok()).isTrue();
            assertThat(sum.resultType()).isEqualTo("vector");
            assertThat(sum.result().get(0).path("value").get(1).asText()).isEqualTo("7");
            var range = prometheus.queryRange("up{job=\"probe\"}", started, Instant.now(), Duration.ofSeconds(1));
            assertThat(range.ok()).isTrue();
            assertThat(range.resultType()).isEqualTo("matrix");
            assertThat(range.seriesCount()).as("%s", range).isEqualTo(1);
            var broken = prometheus.query("sum(rate(firebreak_probe_total[1m])", Instant.now());
            assertThat(broken.ok()).isFalse();
            assertThat(broken.errorType()).isEqualTo("bad_data");
            assertThat(broken.error()).contains("parse error");
            assertThat(prometheus.metricNames()).contains("firebreak_probe_total", "up");
        } finally {
            target.stop(0);
        }
    }

    @Test
    void aMissingBinaryNamesTheDebianPackageAndTheVariable() {
        assertThatThrownBy(() -> PrometheusProcess.binary("/nonexistent/prometheus"))
                .hasMessageContaining("'prometheus'").hasMessageContaining(PrometheusProcess.BINARY_ENV);
    }

    @Test
    void theConfigScrapesEachTargetEverySecondAndListsRuleFiles() {
        String config = PrometheusProcess.config(List.of(PrometheusProcess.Target.of("firebreak", "http://127.0.0.1:9400/metrics")),
                List.of(java.nio.file.Path.of("/tmp/rules/a.yml")));
        assertThat(config).contains("scrape_interval: 1s", "evaluation_interval: 1s", "- \"/tmp/rules/a.yml\"",
                "job_name: \"firebreak\"", "targets: [\"127.0.0.1:9400\"]", "metrics_path: \"/metrics\"");
    }

    @Test
    void targetLabelsAndAlertmanagersGoIntoTheConfig() {
        String config = PrometheusProcess.config(List.of(PrometheusProcess.Target.of("firebreak", "http://127.0.0.1:9400/metrics")
                        .withLabels(java.util.Map.of("environment", "it"))), List.of(), List.of("http://127.0.0.1:9093"));
        assertThat(config).contains("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"127.0.0.1:9093\"]",
                "      - targets: [\"127.0.0.1:9400\"]\n        labels:\n          \"environment\": \"it\"");
    }
}
