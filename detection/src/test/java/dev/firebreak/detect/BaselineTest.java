package dev.firebreak.detect;

import dev.firebreak.rules.AuditEvents;
import static dev.firebreak.rules.AuditEvents.CAPTURE_DELAY_US;
import static dev.firebreak.rules.AuditEvents.event;
import static dev.firebreak.rules.AuditEvents.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.detect.Baseline.BaselineSettings;
import dev.firebreak.detect.Baseline.Finding;
import dev.firebreak.rules.DetectionRule;
import dev.firebreak.rules.RuleException;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-principal baselines: the pure model, then the processor under TopologyTestDriver. */
class BaselineTest {
    private static final long MINUTE_US = 60_000_000L;
    private static final long T0 = 1_795_000_000_000_000L / MINUTE_US * MINUTE_US;
    private static final BaselineSettings SETTINGS = BaselineSettings.DEFAULTS;

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, AuditEvent> audit;
    private TestOutputTopic<String, Alert> alerts;
    private TestOutputTopic<String, RevokeCommand> commands;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void theFirstDestructiveActionIsNotedOnce() {
        Baseline.Step first = Baseline.NEW.observe(T0, SETTINGS);
        assertThat(first.finding()).isEqualTo(Finding.FIRST_DESTRUCTIVE);
        assertThat(first.next().observe(T0 + 1, SETTINGS).finding()).isEqualTo(Finding.NONE);
    }

    @Test
    void aSpikeFarAboveTheLearnedNormalIsFlaggedOncePerBucket() {
        Baseline b = learn(60, 2); // an hour of two deletes a minute
        List<Finding> findings = new ArrayList<>();
        for (int i = 0; i < 40; i++) { // then 40 in one minute
            Baseline.Step step = b.observe(T0 + 60 * MINUTE_US + i * 1_000_000L, SETTINGS);
            findings.add(step.finding());
            b = step.next();
        }
        assertThat(findings.stream().filter(f -> f == Finding.ABOVE_BASELINE).count()).isEqualTo(1);
        assertThat(findings.indexOf(Finding.ABOVE_BASELINE)).as("at the 20th event: the minimum, and above 10 x the learned ~1.9").isEqualTo(19);
    }

    @Test
    void aPrincipalWhoseNormalIsBusyIsNotFlaggedForBeingBusy() {
        Baseline b = learn(120, 30); // thirty a minute for two hours
        for (int i = 0; i < 35; i++) {
            Baseline.Step step = b.observe(T0 + 120 * MINUTE_US + i * 1_000_000L, SETTINGS);
            assertThat(step.finding()).isEqualTo(Finding.NONE);
            b = step.next();
        }
    }

    @Test
    void quietMinutesCountAsNormalToo() {
        Baseline busyThenQuiet = learn(30, 10);
        Baseline afterSilence = busyThenQuiet.observe(T0 + 30 * MINUTE_US + 600 * MINUTE_US, SETTINGS).next();
        assertThat(afterSilence.averagePerBucket()).isLessThan(busyThenQuiet.averagePerBucket() / 100);
    }

    @Test
    void stateRoundTripsAndUnknownVersionsFail() {
        Baseline b = learn(3, 4);
        assertThat(Baseline.fromBytes(b.toBytes())).isEqualTo(b);
        byte[] bytes = b.toBytes();
        bytes[0] = 9;
        assertThatThrownBy(() -> Baseline.fromBytes(bytes)).hasMessageContaining("version 9");
        assertThatThrownBy(() -> new BaselineSettings(Duration.ofMinutes(1), 0, 10, 20)).hasMessageContaining("alpha");
    }

    @Test
    void theTopologyAlertsButNeverRevokesAndIgnoresWhatIsNotDestructive() {
        String registry = "mem://baseline-test-" + UUID.randomUUID();
        DetectionSerdes serdes = DetectionSerdes.forRegistry(registry);
        DetectionConfig config = DetectionConfig.fromMap(Map.of(DetectionConfig.BOOTSTRAP_SERVERS, "unused:9092",
                DetectionConfig.SCHEMA_REGISTRY_URL, registry, DetectionConfig.STATE_DIR, stateDir.toString()));
        assertThat(config.baselines()).isTrue();
        driver = new TopologyTestDriver(DetectionTopology.build(List.of(DetectionRule.defaults()), serdes, SETTINGS, TestSigning.KEY),
                config.toStreamsProperties());
        audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(), serdes.auditEvents().serializer());
        alerts = driver.createOutputTopic(Topics.ALERTS, new StringDeserializer(), serdes.alerts().deserializer());
        commands = driver.createOutputTopic(Topics.KILLSWITCH_COMMANDS, new StringDeserializer(), serdes.revokeCommands().deserializer());

        send(delete("pg:prod/etl", "select", T0, false));
        assertThat(alerts.isEmpty()).isTrue();
        send(delete("pg:prod/etl", "d1", T0 + 1_000_000, true));
        Alert first = alerts.readValue();
        assertThat(first.getRuleId()).isEqualTo(BaselineProcessor.FIRST_DESTRUCTIVE_RULE);
        assertThat(first.getResponse()).isEqualTo(Response.ALERT_ONLY);
        for (int i = 0; i < 30; i++) {
            send(delete("pg:prod/etl", "s" + i, T0 + 2_000_000 + i * 100_000L, true));
        }
        Alert spike = alerts.readValue();
        assertThat(spike.getRuleId()).isEqualTo(BaselineProcessor.ABOVE_BASELINE_RULE);
        assertThat(spike.getObserved()).isEqualTo(20);
        assertThat(alerts.isEmpty()).isTrue();
        assertThat(commands.isEmpty()).as("baselines never revoke").isTrue();
    }

    @Test
    void anExceptionForAllRulesSilencesBaselinesToo() {
        String registry = "mem://baseline-test-" + UUID.randomUUID();
        DetectionSerdes serdes = DetectionSerdes.forRegistry(registry);
        DetectionConfig config = DetectionConfig.fromMap(Map.of(DetectionConfig.BOOTSTRAP_SERVERS, "unused:9092",
                DetectionConfig.SCHEMA_REGISTRY_URL, registry, DetectionConfig.STATE_DIR, stateDir.toString()));
        Instant start = Instant.ofEpochSecond(T0 / 1_000_000);
        RuleException migration = new RuleException(RuleException.ANY_RULE, "pg:prod/migrator", null,
                start.minusSeconds(60), start.plusSeconds(3600), "schema migration 42", start.plusSeconds(86_400), "test");
        driver = new TopologyTestDriver(DetectionTopology.build(
                List.of(DetectionRule.defaults().withExceptions(List.of(migration))), serdes, SETTINGS, TestSigning.KEY),
                config.toStreamsProperties());
        audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(), serdes.auditEvents().serializer());
        alerts = driver.createOutputTopic(Topics.ALERTS, new StringDeserializer(), serdes.alerts().deserializer());
        for (int i = 0; i < 30; i++) {
            send(delete("pg:prod/migrator", "m" + i, T0 + i * 100_000L, true));
        }
        assertThat(alerts.isEmpty()).as("no first-destructive, no above-normal alert inside the window").isTrue();
        send(delete("pg:prod/migrator", "late", T0 + 7200 * 1_000_000L, true));
        assertThat(alerts.readValue().getRuleId()).as("after the window the baseline speaks again")
                .isEqualTo(BaselineProcessor.FIRST_DESTRUCTIVE_RULE);
    }

    @Test
    void aBaselineHasOneFixedSizeWhateverThePrincipalDoes() {
        Baseline busy = new Baseline(Long.MAX_VALUE, Double.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
        assertThat(busy.toBytes()).hasSize(Baseline.BYTES);
        assertThat(learn(60, 100).toBytes()).hasSize(Baseline.BYTES);
        assertThat(Baseline.NEW.toBytes()).hasSize(Baseline.BYTES);
        assertThatThrownBy(() -> new BaselineSettings(Duration.ofMinutes(1), 0.05, 10, 20, Duration.ofSeconds(59)))
                .hasMessageStartingWith("baseline.retention=PT59S is invalid");
    }

    @Test
    void baselinesIdleForTheRetentionArePurgedAndTheirNextActionIsAFirstAgain() {
        String registry = "mem://baseline-test-" + UUID.randomUUID();
        DetectionSerdes serdes = DetectionSerdes.forRegistry(registry);
        DetectionConfig config = DetectionConfig.fromMap(Map.of(DetectionConfig.BOOTSTRAP_SERVERS, "unused:9092",
                DetectionConfig.SCHEMA_REGISTRY_URL, registry, DetectionConfig.STATE_DIR, stateDir.toString()));
        BaselineSettings hour = new BaselineSettings(Duration.ofMinutes(1), 0.05, 10, 20, Duration.ofHours(1));
        driver = new TopologyTestDriver(DetectionTopology.build(List.of(DetectionRule.defaults()), serdes, hour, TestSigning.KEY),
                config.toStreamsProperties());
        audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(), serdes.auditEvents().serializer());
        alerts = driver.createOutputTopic(Topics.ALERTS, new StringDeserializer(), serdes.alerts().deserializer());
        var store = driver.<String, byte[]>getKeyValueStore(DetectionNames.BASELINE_STATE);

        send(delete("pg:prod/a", "a1", T0, true));
        send(delete("pg:prod/b", "b1", T0, true));
        send(delete("pg:prod/c", "c1", T0 + 30 * MINUTE_US, true));
        assertThat(alerts.readValuesToList()).hasSize(3);
        send(delete("pg:prod/c", "c2", T0 + 70 * MINUTE_US, true)); // a and b idle for more than an hour

        assertThat(store.get("pg:prod/a")).isNull();
        assertThat(store.get("pg:prod/b")).isNull();
        assertThat(store.get("pg:prod/c")).isNotNull();
        assertThat(alerts.isEmpty()).isTrue();
        send(delete("pg:prod/a", "a2", T0 + 71 * MINUTE_US, true));
        assertThat(alerts.readValue().getRuleId()).isEqualTo(BaselineProcessor.FIRST_DESTRUCTIVE_RULE);
    }

    private static Baseline learn(int minutes, int perMinute) {
        Baseline b = Baseline.NEW;
        for (int m = 0; m < minutes; m++) {
            for (int i = 0; i < perMinute; i++) {
                b = b.observe(T0 + m * MINUTE_US + i * 1_000_000L, SETTINGS).next();
            }
        }
        return b;
    }

    private static AuditEvent delete(String principal, String id, long timeUs, boolean destructive) {
        AuditEvent e = event(principal, id, timeUs, "DELETE", "DELETE FROM staging.rows WHERE batch = 1",
                List.of(object("table", "staging.rows", true)));
        e.setDestructive(destructive);
        e.setRowCount(1L);
        return e;
    }

    private void send(AuditEvent event) {
        audit.pipeInput(event.getPrincipal(), event, Instant.ofEpochMilli((event.getEventTimeUs() + CAPTURE_DELAY_US) / 1000));
    }
}
