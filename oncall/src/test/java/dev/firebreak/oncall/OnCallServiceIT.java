package dev.firebreak.oncall;

import static dev.firebreak.oncall.OnCallFixtures.killSwitchAlert;
import static dev.firebreak.oncall.OnCallFixtures.reinstate;
import static dev.firebreak.oncall.OnCallFixtures.revoke;
import static dev.firebreak.oncall.OnCallFixtures.ruleAlert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.stack.AlertmanagerProcess;
import dev.firebreak.stack.FakeSchemaRegistry;
import dev.firebreak.stack.EmbeddedKafka;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The notifier end to end: alerts and kill switch results in over Kafka, a real Alertmanager, and the
 * notifications Alertmanager sends to a webhook receiver served by the test.
 */
class OnCallServiceIT {
    static final String REGISTRY = "mem://oncall-service-it";
    static final Duration WAIT = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();

    static EmbeddedKafka kafka;
    static HttpServer receiver;
    static final List<Webhook> webhooks = new CopyOnWriteArrayList<>();
    static AlertmanagerProcess alertmanager;
    static OnCallService service;
    static final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    static KafkaProducer<String, byte[]> producer;
    static final RegistryAvroSerializer<Alert> alerts =
            new RegistryAvroSerializer<>(Alert.class, SchemaRegistries.forUrl(REGISTRY), false);
    static final RegistryAvroSerializer<RevocationResult> results =
            new RegistryAvroSerializer<>(RevocationResult.class, SchemaRegistries.forUrl(REGISTRY), false);
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** One notification Alertmanager posted to the receiver: which receiver path, and its JSON. */
    record Webhook(String path, JsonNode body) {
        String status() {
            return body.get("status").asText();
        }

        String principal() {
            return body.get("commonLabels").path("principal").asText();
        }
    }

    @BeforeAll
    static void start() throws IOException {
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(List.of(Topics.ALERTS, Topics.KILLSWITCH_RESULTS), Map.of());
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer());

        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            webhooks.add(new Webhook(exchange.getRequestURI().getPath(), JSON.readTree(body)));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();

        alertmanager = AlertmanagerProcess.start(alertmanagerConfig("/hook"), Duration.ofSeconds(30));
        service = OnCallService.start(config(alertmanager.url()), meters);
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
            assertThat(service.isRunning()).isFalse();
        }
        if (alertmanager != null) {
            alertmanager.close();
        }
        if (receiver != null) {
            receiver.stop(0);
        }
        if (producer != null) {
            producer.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void aRevokeAlertFiresWithWhatWasRevokedAndResolvesWhenThePrincipalIsReinstated() throws Exception {
        String principal = "pg:it/agent_one";
        Instant now = Instant.now();
        Alert alert = ruleAlert("drop-burst/" + principal + "/e1", principal, Response.REVOKE, now).build();
        produce(alert);
        produce(revoke(alert.getAlertId(), principal, principal, RevocationOutcome.REVOKED, "postgres", now.plusMillis(20)));
        produce(revoke(alert.getAlertId(), principal, "token:railway/abc", RevocationOutcome.REVOKED, "webhook", now.plusMillis(25)));

        JsonNode active = await().atMost(WAIT).until(() -> activeAlert(alertmanager, principal), a -> a.isPresent()
                && a.get().get("annotations").get("response_taken").asText().contains("token:railway/abc")).orElseThrow();
        Map<String, String> labels = strings(active.get("labels"));
        assertThat(labels).containsEntry("alertname", "FirebreakRuleTriggered").containsEntry("rule", "drop-burst")
                .containsEntry("severity", "critical").containsEntry("principal", principal)
                .containsEntry("owner", "alice@example.com").containsEntry("environment", "it")
                .containsEntry("response", "revoke").containsEntry("alert_id", alert.getAlertId());
        Map<String, String> annotations = strings(active.get("annotations"));
        assertThat(annotations.get("response_taken"))
                .contains("REVOKED pg:it/agent_one (postgres, 12.3 ms)")
                .contains("REVOKED token:railway/abc (webhook, 12.3 ms)");
        assertThat(annotations).containsEntry("summary", alert.getSummary())
                .containsEntry("triage", alert.getTriage())
                .containsEntry("dashboard", "http://grafana.it/d/p?var-principal=pg%3Ait%2Fagent_one&var-rule=drop-burst")
                .containsEntry("sample_statements", "DROP TABLE a\nDROP TABLE b\nDROP TABLE c")
                .containsKeys("recovery_point", "window");
        assertThat(annotations.get("recovery_point")).startsWith("LSN 1/6B374D48 at ");
        assertThat(active.get("generatorURL").asText()).isEqualTo(annotations.get("dashboard"));

        await().atMost(WAIT).until(() -> received("/hook", principal, "firing"));
        assertThat(firingIncludesAlertname("/hook", principal, "FirebreakRuleTriggered")).isTrue();

        produce(reinstate(principal, principal, RevocationOutcome.REINSTATED, Instant.now()));
        await().atMost(WAIT).until(() -> received("/hook", principal, "resolved"));
        await().atMost(WAIT).until(() -> activeAlert(alertmanager, principal).isEmpty());
        assertThat(counted("resolved", "sent")).isPositive();
    }

    @Test
    void aFailedRevocationResolvesWhenALaterAttemptRevokesTheTarget() throws Exception {
        String principal = "pg:it/agent_two";
        String command = "drop-burst/" + principal + "/e2";
        String target = "token:railway/xyz";
        Instant now = Instant.now();
        produce(revoke(command, principal, target, RevocationOutcome.FAILED, "webhook", now));
        produce(killSwitchAlert(AlertKind.REVOCATION_FAILED, command, principal, target, now.plusMillis(1)));

        JsonNode active = await().atMost(WAIT).until(() -> activeAlert(alertmanager, principal), Optional::isPresent).orElseThrow();
        assertThat(strings(active.get("labels"))).containsEntry("alertname", "FirebreakRevocationFailed")
                .containsEntry("response", "alert_only").containsEntry("owner", "none");
        assertThat(active.get("annotations").get("response_taken").asText())
                .isEqualTo("FAILED token:railway/xyz (webhook, 12.3 ms): issuer answered 503");
        await().atMost(WAIT).until(() -> received("/hook", principal, "firing"));

        produce(revoke(command, principal, target, RevocationOutcome.REVOKED, "webhook", Instant.now()));
        await().atMost(WAIT).until(() -> received("/hook", principal, "resolved"));
        await().atMost(WAIT).until(() -> activeAlert(alertmanager, principal).isEmpty());
    }

    @Test
    void anAlertIsDeliveredOnceAnUnreachableAlertmanagerStarts() throws Exception {
        String principal = "pg:it/agent_three";
        int port = AlertmanagerProcess.freePort();
        SimpleMeterRegistry ownMeters = new SimpleMeterRegistry();
        try (OnCallService late = OnCallService.start(config("http://127.0.0.1:" + port), ownMeters)) {
            produce(ruleAlert("drop-burst/" + principal + "/e3", principal, Response.ALERT_ONLY, Instant.now()).build());
            await().atMost(WAIT).until(() -> count(ownMeters, "firing", "failed") > 0);
            assertThat(count(ownMeters, "firing", "sent")).isZero();
            assertThat(ownMeters.get(OnCallService.ACTIVE_ALERTS).gauge().value()).isPositive();

            try (AlertmanagerProcess second = AlertmanagerProcess.start(alertmanagerConfig("/hook-late"), port, Duration.ofSeconds(30))) {
                JsonNode active = await().atMost(WAIT).until(() -> activeAlert(second, principal), Optional::isPresent).orElseThrow();
                assertThat(strings(active.get("annotations"))).containsEntry("response_taken", "alert only");
                await().atMost(WAIT).until(() -> received("/hook-late", principal, "firing"));
                assertThat(count(ownMeters, "firing", "sent")).isPositive();
            }
        }
    }

    @Test
    void anAlertReadWhileTheRegistryIsDownIsPagedOnceItIsBackNotSkipped() throws Exception {
        String principal = "pg:it/agent_four";
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            // The test's writer and the service's reader use different base URLs: no cache shared in this JVM.
            var writer = new RegistryAvroSerializer<>(Alert.class, SchemaRegistries.forUrl(registry.confluentUrl() + "/test"), false);
            Alert alert = ruleAlert("drop-burst/" + principal + "/e4", principal, Response.ALERT_ONLY, Instant.now()).build();
            producer.send(new ProducerRecord<>(Topics.ALERTS, principal, writer.serialize(Topics.ALERTS, alert))).get();
            registry.stop();
            SimpleMeterRegistry ownMeters = new SimpleMeterRegistry();
            try (OnCallService reader = OnCallService.start(config(alertmanager.url(), registry.confluentUrl() + "/oncall"),
                    ownMeters)) {
                await().atMost(WAIT).until(() -> ownMeters.get("firebreak.registry.retries").tag("stage", "oncall")
                        .functionCounter().count() >= 3);
                assertThat(ownMeters.get("firebreak.registry.unavailable").tag("stage", "oncall").gauge().value()).isEqualTo(1);
                assertThat(activeAlert(alertmanager, principal)).isEmpty();

                registry.restart();
                await().atMost(WAIT).until(() -> activeAlert(alertmanager, principal), Optional::isPresent);
                assertThat(ownMeters.get("firebreak.registry.unavailable").tag("stage", "oncall").gauge().value()).isZero();
            }
        }
    }

    static OnCallConfig config(String alertmanagerUrl) {
        return config(alertmanagerUrl, REGISTRY);
    }

    static OnCallConfig config(String alertmanagerUrl, String registryUrl) {
        Map<String, String> map = new HashMap<>();
        map.put(OnCallConfig.ALERTMANAGER_URLS, alertmanagerUrl);
        map.put(OnCallConfig.ENVIRONMENT, "it");
        map.put(OnCallConfig.DASHBOARD_URL, "http://grafana.it/d/p?var-principal={principal}&var-rule={rule}");
        map.put(OnCallConfig.RESEND_INTERVAL_MS, "500");
        map.put(OnCallConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        map.put(OnCallConfig.SCHEMA_REGISTRY_URL, registryUrl);
        return OnCallConfig.fromMap(map).orElseThrow();
    }

    /** Everything to the test's webhook at {@code path}, grouped as in production, resolutions included. */
    static Path alertmanagerConfig(String path) throws IOException {
        Path file = Files.createTempFile("firebreak-oncall-it", ".yml");
        file.toFile().deleteOnExit();
        Files.writeString(file, """
                route:
                  receiver: test
                  group_by: [alertname, principal, environment]
                  group_wait: 0s
                  group_interval: 1s
                  repeat_interval: 1h
                receivers:
                  - name: test
                    webhook_configs:
                      - url: http://127.0.0.1:%d%s
                        send_resolved: true
                """.formatted(receiver.getAddress().getPort(), path));
        return file;
    }

    static void produce(Alert alert) throws Exception {
        producer.send(new ProducerRecord<>(Topics.ALERTS, alert.getPrincipal(), alerts.serialize(Topics.ALERTS, alert))).get();
    }

    static void produce(RevocationResult result) throws Exception {
        producer.send(new ProducerRecord<>(Topics.KILLSWITCH_RESULTS, result.getTarget(),
                results.serialize(Topics.KILLSWITCH_RESULTS, result))).get();
    }

    /** The principal's alert as Alertmanager's v2 API lists it (active, not yet resolved). */
    static Optional<JsonNode> activeAlert(AlertmanagerProcess am, String principal) throws Exception {
        String filter = URLEncoder.encode("principal=\"" + principal + "\"", StandardCharsets.UTF_8);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create(am.url() + "/api/v2/alerts?filter=" + filter)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> found = new ArrayList<>();
        JSON.readTree(response.body()).forEach(found::add);
        assertThat(found).as("one alert per principal in these tests").hasSizeLessThanOrEqualTo(1);
        return found.stream().findFirst();
    }

    static boolean received(String path, String principal, String status) {
        return webhooks.stream().anyMatch(w -> w.path().equals(path) && w.principal().equals(principal)
                && w.status().equals(status));
    }

    static boolean firingIncludesAlertname(String path, String principal, String alertname) {
        return webhooks.stream().filter(w -> w.path().equals(path) && w.principal().equals(principal))
                .flatMap(w -> StreamSupport.stream(w.body().get("alerts").spliterator(), false))
                .anyMatch(a -> a.get("labels").get("alertname").asText().equals(alertname)
                        && a.get("status").asText().equals("firing"));
    }

    static Map<String, String> strings(JsonNode object) {
        Map<String, String> out = new HashMap<>();
        object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    static double counted(String state, String outcome) {
        return count(meters, state, outcome);
    }

    static double count(SimpleMeterRegistry registry, String state, String outcome) {
        Counter counter = registry.find(OnCallService.NOTIFICATIONS).tag("state", state).tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }
}
