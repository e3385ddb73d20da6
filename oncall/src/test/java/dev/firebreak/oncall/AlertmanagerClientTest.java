package dev.firebreak.oncall;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The wire format and the per-Alertmanager outcome, against a local HTTP server. */
class AlertmanagerClientTest {
    HttpServer server;
    final List<String> bodies = new CopyOnWriteArrayList<>();
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    volatile int status = 200;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/prefix/api/v2/alerts", exchange -> {
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            authorizations.add(auth == null ? "" : auth);
            byte[] answer = status == 200 ? new byte[0] : "bad alert".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void postsTheV2JsonArrayToEveryAlertmanagerAndReportsEachOutcome() throws IOException {
        String base = "http://user:p%40ss@127.0.0.1:" + server.getAddress().getPort() + "/prefix/";
        int closedPort = dev.firebreak.stack.AlertmanagerProcess.freePort();
        AlertmanagerAlert alert = new AlertmanagerAlert(Map.of("alertname", "FirebreakRuleTriggered", "principal", "pg:x/a"),
                Map.of("summary", "dropped 12 tables"), Instant.parse("2026-11-21T12:00:00Z"),
                Instant.parse("2026-11-21T12:03:00Z"), "http://grafana/d/x");
        try (AlertmanagerClient client = new AlertmanagerClient(
                List.of(URI.create(base), URI.create("http://127.0.0.1:" + closedPort)), Duration.ofSeconds(2))) {
            List<AlertmanagerClient.Delivery> deliveries = client.post(List.of(alert));

            assertThat(deliveries).hasSize(2);
            assertThat(deliveries.get(0).accepted()).isTrue();
            assertThat(deliveries.get(0).alertmanager()).doesNotContain("p%40ss").contains("****@127.0.0.1");
            assertThat(deliveries.get(1).accepted()).isFalse();
            assertThat(deliveries.get(1).error()).isNotBlank();

            JsonNode body = new ObjectMapper().readTree(bodies.get(0));
            assertThat(body.isArray()).isTrue();
            JsonNode first = body.get(0);
            assertThat(first.get("labels").get("alertname").asText()).isEqualTo("FirebreakRuleTriggered");
            assertThat(first.get("annotations").get("summary").asText()).isEqualTo("dropped 12 tables");
            assertThat(first.get("startsAt").asText()).isEqualTo("2026-11-21T12:00:00Z");
            assertThat(first.get("endsAt").asText()).isEqualTo("2026-11-21T12:03:00Z");
            assertThat(first.get("generatorURL").asText()).isEqualTo("http://grafana/d/x");
            assertThat(authorizations.get(0)).isEqualTo("Basic " + java.util.Base64.getEncoder()
                    .encodeToString("user:p@ss".getBytes(StandardCharsets.UTF_8)));

            status = 400;
            AlertmanagerClient.Delivery refused = client.post(List.of(alert)).get(0);
            assertThat(refused.accepted()).isFalse();
            assertThat(refused.error()).isEqualTo("HTTP 400: bad alert");
        }
    }
}
