package dev.firebreak.launcher.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PromQlTest {

    @Test
    void grafanaVariablesBecomeValuesThatExist() {
        assertThat(PromQl.substitute("sum by (principal) (rate(firebreak_principal_events_total{principal=~\"$principal\","
                + "job=~\"${job}\"}[$__rate_interval]))", Map.of("principal", "pg:obs/rogue")))
                .isEqualTo("sum by (principal) (rate(firebreak_principal_events_total{principal=~\"pg:obs/rogue\","
                        + "job=~\".*\"}[1m]))");
        assertThat(PromQl.substitute("x[$__interval] or y{a=~\"[[instance]]\"} or z{p=\"${principal:regex}\"}",
                Map.of("principal", "p1"))).isEqualTo("x[15s] or y{a=~\".*\"} or z{p=\"p1\"}");
    }

    @Test
    void metricNamesSkipFunctionsKeywordsLabelsAndDurations() {
        assertThat(PromQl.metricNames("histogram_quantile(0.99, sum by (le, rule) (rate("
                + "firebreak_detection_latency_seconds_bucket{job=~\"firebreak.*\"}[5m]))) > 0.5"))
                .containsExactly("firebreak_detection_latency_seconds_bucket");
        assertThat(PromQl.metricNames("time() - max(firebreak_ingest_heartbeat_timestamp_seconds{source=\"postgres\"}) > 30"
                + " and on (job) up == 1 unless absent(debezium_streaming_connected) or vector(0)"))
                .containsExactly("firebreak_ingest_heartbeat_timestamp_seconds", "up", "debezium_streaming_connected");
        assertThat(PromQl.metricNames("sum(increase(a_total[10m] offset 5m)) / ignoring(reason) group_left b_total"))
                .containsExactly("a_total", "b_total");
        assertThat(PromQl.metricNames("rate(x_total{msg=\"rate(y) by z\"}[1m:10s])")).containsExactly("x_total");
    }
}
