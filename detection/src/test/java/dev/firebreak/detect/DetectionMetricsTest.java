package dev.firebreak.detect;

import dev.firebreak.rules.TestRules;
import dev.firebreak.rules.AuditEvents;
import static dev.firebreak.rules.AuditEvents.CAPTURE_DELAY_US;
import static dev.firebreak.rules.AuditEvents.at;
import static dev.firebreak.rules.AuditEvents.dropTables;
import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.metrics.BoundedLabel;
import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import dev.firebreak.schema.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The detection counters as the topology reports them, on TopologyTestDriver with explicit times. */
class DetectionMetricsTest {
    private static final String ALICE = "pg:prod/alice";
    /** The alert is emitted 40 ms after the trigger event's source time. */
    private static final long EMIT_DELAY_US = 40_000;
    private static final DetectionRule TABLES = DetectionRule.defaults();
    private static final DetectionRule INDEXES = TestRules.drops("pg-drop-index-burst", Set.of("index"), 10,
            Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(2), Severity.HIGH, Response.ALERT_ONLY,
            10_000);

    @TempDir
    Path stateDir;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private long nowUs;
    private TopologyTestDriver driver;
    private TestInputTopic<String, AuditEvent> audit;
    private String registry;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void aBurstCountsEventsHitsOneEpisodeItsLatencyAndAnOpenEpisode() {
        start(2, TABLES, INDEXES);
        for (int i = 0; i < 5; i++) {
            send(drop(ALICE, "e" + i, at(0.1 * (i + 1)), "public.t" + i));
        }

        assertThat(count("firebreak.detection.events", "outcome", "evaluated")).isEqualTo(5);
        assertThat(count("firebreak.detection.rule.hits", "rule", TABLES.id(), "severity", "critical")).isEqualTo(5);
        assertThat(meters.find("firebreak.detection.rule.hits").tag("rule", INDEXES.id()).counter())
                .as("no index was dropped").isNull();
        assertThat(count("firebreak.detection.episodes", "rule", TABLES.id(), "severity", "critical", "response", "revoke"))
                .as("one episode, however long the burst").isEqualTo(1);
        assertThat(count("firebreak.principal.episodes", "principal", ALICE, "rule", TABLES.id(), "severity", "critical"))
                .isEqualTo(1);
        assertThat(count("firebreak.principal.events", "principal", ALICE, "source", "postgres", "destructive", "true"))
                .isEqualTo(5);
        var latency = meters.get("firebreak.detection.latency").tag("rule", TABLES.id()).timer();
        assertThat(latency.count()).isEqualTo(1);
        assertThat(latency.max(TimeUnit.MICROSECONDS)).isEqualTo(EMIT_DELAY_US);
        assertThat(openEpisodes(TABLES.id())).isEqualTo(1.0);
    }

    @Test
    void theOpenEpisodeGaugeFallsOnceTheQuietPeriodHasPassed() {
        start(2, TABLES);
        for (int i = 0; i < 3; i++) {
            send(drop(ALICE, "e" + i, at(0.1 * (i + 1)), "public.t" + i));
        }
        assertThat(openEpisodes(TABLES.id())).isEqualTo(1.0);

        // Wall clock (the driver's) still before the quiet period's end: open.
        driver.advanceWallClockTime(RuleProcessor.OPEN_EPISODES_INTERVAL);
        assertThat(openEpisodes(TABLES.id())).isEqualTo(1.0);
        driver.advanceWallClockTime(TABLES.episodeQuiet().plusSeconds(1));
        assertThat(openEpisodes(TABLES.id())).isEqualTo(0.0);
    }

    @Test
    void replaysAndUnreadableRecordsHaveTheirOwnOutcomes() {
        start(2, TABLES);
        AuditEvent first = drop(ALICE, "e0", at(0.1), "public.t0");
        send(first);
        send(first);
        driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(), new ByteArraySerializer())
                .pipeInput(ALICE, "not avro".getBytes(StandardCharsets.UTF_8), Instant.ofEpochMilli(at(0.2) / 1000));

        assertThat(count("firebreak.detection.events", "outcome", "evaluated")).isEqualTo(2);
        assertThat(count("firebreak.detection.events", "outcome", "replayed")).isEqualTo(1);
        assertThat(count("firebreak.detection.events", "outcome", "dead_letter")).isEqualTo(1);
        assertThat(count("firebreak.detection.dead.letters", "reason", "unreadable")).isEqualTo(1);
        assertThat(meters.find("firebreak.detection.episodes").counters()).isEmpty();
    }

    @Test
    void principalsBeyondTheLimitShareOneLabel() {
        start(2, TABLES);
        for (String role : List.of("a", "b", "c", "d")) {
            send(drop("pg:prod/" + role, role, at(0.1), "public.t"));
        }
        assertThat(meters.find("firebreak.principal.events").counters()).extracting(c -> c.getId().getTag("principal"))
                .containsExactlyInAnyOrder("pg:prod/a", "pg:prod/b", BoundedLabel.OTHER);
        assertThat(count("firebreak.principal.events", "principal", BoundedLabel.OTHER, "source", "postgres",
                "destructive", "true")).isEqualTo(2);
    }

    /** A DROP TABLE as ingest reports it: destructive. */
    private static AuditEvent drop(String principal, String eventId, long timeUs, String table) {
        return AuditEvent.newBuilder(dropTables(principal, eventId, timeUs, table)).setDestructive(true).build();
    }

    private void start(int principalLimit, DetectionRule... rules) {
        registry = "mem://detection-metrics-test-" + UUID.randomUUID();
        DetectionSerdes serdes = DetectionSerdes.forRegistry(registry);
        DetectionConfig config = DetectionConfig.fromMap(Map.of(
                DetectionConfig.BOOTSTRAP_SERVERS, "unused:9092",
                DetectionConfig.SCHEMA_REGISTRY_URL, registry,
                DetectionConfig.STATE_DIR, stateDir.toString()));
        DetectionMetrics metrics = new MicrometerDetectionMetrics(meters, new BoundedLabel(principalLimit), () -> nowUs);
        // The driver's wall clock starts at the first event, as in production where event time is the database's clock.
        driver = new TopologyTestDriver(DetectionTopology.build(List.of(rules), serdes, null, metrics, TestSigning.KEY),
                config.toStreamsProperties(), Instant.ofEpochMilli(at(0) / 1000));
        audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(), serdes.auditEvents().serializer());
    }

    private void send(AuditEvent event) {
        nowUs = event.getEventTimeUs() + EMIT_DELAY_US;
        audit.pipeInput(event.getPrincipal(), event, Instant.ofEpochMilli((event.getEventTimeUs() + CAPTURE_DELAY_US) / 1000));
    }

    private double count(String name, String... tags) {
        return meters.get(name).tags(tags).counter().count();
    }

    private double openEpisodes(String rule) {
        return meters.get("firebreak.detection.open.episodes").tag("rule", rule).gauge().value();
    }
}
