package dev.firebreak.detect;

import dev.firebreak.rules.AuditEvents;
import static dev.firebreak.rules.AuditEvents.CAPTURE_DELAY_US;
import static dev.firebreak.rules.AuditEvents.at;
import static dev.firebreak.rules.AuditEvents.dropTables;
import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Topics;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a flood writes to the rule's changelog, and that the changelog holds what a restore needs.
 * {@code TopologyTestDriver} commits after every input record, so the record cache cannot merge
 * writes here: these figures are the per-event worst case (one write per event and key), which a
 * real deployment's cache turns into one write per key and commit interval.
 */
class ChangelogWritesTest {
    private static final String ALICE = "pg:prod/alice";
    private static final String CHANGELOG = "firebreak-detection-drop-burst-state-pg-drop-table-burst-changelog";

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, AuditEvent> audit;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void aFloodWritesOneBoundedRecordPerEventAtMostAndTheLastOneRestoresTheEpisode() {
        start();
        int events = 2_000;
        for (int i = 0; i < events; i++) {
            AuditEvent event = dropTables(ALICE, "e" + i, at(i * 0.001), "public.t" + i);
            audit.pipeInput(ALICE, event, Instant.ofEpochMilli((event.getEventTimeUs() + CAPTURE_DELAY_US) / 1000));
        }
        List<TestRecord<String, byte[]>> records = driver.createOutputTopic(CHANGELOG, new StringDeserializer(),
                new ByteArrayDeserializer()).readRecordsToList();
        long bytes = records.stream().mapToLong(r -> r.value().length).sum();
        int largest = records.stream().mapToInt(r -> r.value().length).max().orElse(0);
        System.out.printf("changelog of %s: %d records for %d input events (%.3f per event), %d bytes, largest %d bytes%n",
                DetectionRule.DEFAULT_ID, records.size(), events, records.size() / (double) events, bytes, largest);

        assertThat(records).hasSizeLessThanOrEqualTo(events);
        assertThat(largest).isLessThanOrEqualTo(DropBurstState.MAX_BYTES);
        DropBurstState last = DropBurstStateSerde.read(CHANGELOG, records.get(records.size() - 1).value());
        assertThat(last.episodeId()).isEqualTo("pg-drop-table-burst/pg:prod/alice/e0");
        assertThat(last.latestUs()).isEqualTo(at((events - 1) * 0.001));
    }

    private void start() {
        String registry = "mem://changelog-test-" + UUID.randomUUID();
        DetectionSerdes serdes = DetectionSerdes.forRegistry(registry);
        DetectionConfig config = DetectionConfig.fromMap(Map.of(
                DetectionConfig.BOOTSTRAP_SERVERS, "unused:9092",
                DetectionConfig.SCHEMA_REGISTRY_URL, registry,
                DetectionConfig.STATE_DIR, stateDir.toString()));
        driver = new TopologyTestDriver(DetectionTopology.build(List.of(DetectionRule.defaults()), serdes, TestSigning.KEY),
                config.toStreamsProperties());
        audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(), serdes.auditEvents().serializer());
    }
}
