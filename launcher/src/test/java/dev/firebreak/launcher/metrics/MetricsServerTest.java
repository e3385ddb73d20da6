package dev.firebreak.launcher.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class MetricsServerTest {

    @Test
    void servesJvmProcessAndUptimeMetricsInThePrometheusFormat() throws Exception {
        try (MetricsServer server = new MetricsServer("127.0.0.1", 0)) {
            server.registry().counter("firebreak.test.things").increment();
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(server.url())).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
            assertThat(response.body()).contains("jvm_memory_used_bytes{", "jvm_threads_live_threads ",
                    "process_cpu_usage ", "system_cpu_usage ", "process_uptime_seconds ", "firebreak_test_things_total 1.0");
        }
    }
}
