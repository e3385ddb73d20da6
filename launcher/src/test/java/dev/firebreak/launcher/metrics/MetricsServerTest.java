package dev.firebreak.launcher.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.stage.Health;
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

    @Test
    void healthProbesAnswer200WhenLiveAndReadyAnd503WithTheDetailOtherwise() throws Exception {
        try (MetricsServer server = new MetricsServer("127.0.0.1", 0)) {
            assertThat(get(server, MetricsServer.LIVE_PATH)).as("before any stage").isEqualTo(
                    "200 {\"live\":true,\"ready\":false,\"detail\":\"no stage started\"}");
            assertThat(get(server, MetricsServer.READY_PATH)).startsWith("503 ");

            server.health(Health::up);
            assertThat(get(server, MetricsServer.LIVE_PATH)).isEqualTo("200 {\"live\":true,\"ready\":true,\"detail\":\"\"}");
            assertThat(get(server, MetricsServer.READY_PATH)).isEqualTo("200 {\"live\":true,\"ready\":true,\"detail\":\"\"}");

            server.health(() -> Health.starting("detection is \"REBALANCING\""));
            assertThat(get(server, MetricsServer.LIVE_PATH)).startsWith("200 ");
            assertThat(get(server, MetricsServer.READY_PATH)).isEqualTo(
                    "503 {\"live\":true,\"ready\":false,\"detail\":\"detection is \\\"REBALANCING\\\"\"}");

            server.health(() -> Health.failed("capture engine stopped: slot gone"));
            assertThat(get(server, MetricsServer.LIVE_PATH)).isEqualTo(
                    "503 {\"live\":false,\"ready\":false,\"detail\":\"capture engine stopped: slot gone\"}");
            assertThat(get(server, MetricsServer.READY_PATH)).startsWith("503 ");

            server.health(() -> {
                throw new IllegalStateException("broken");
            });
            assertThat(get(server, MetricsServer.LIVE_PATH)).as("a health that cannot be read is not healthy").startsWith("503 ");
        }
    }

    private static String get(MetricsServer server, String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        return response.statusCode() + " " + response.body();
    }
}
