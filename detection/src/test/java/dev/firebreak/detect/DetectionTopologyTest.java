package dev.firebreak.detect;

import dev.firebreak.rules.TestRules;
import dev.firebreak.rules.AuditEvents;
import static dev.firebreak.rules.AuditEvents.CAPTURE_DELAY_US;
import static dev.firebreak.rules.AuditEvents.at;
import static dev.firebreak.rules.AuditEvents.dropSchemaCascade;
import static dev.firebreak.rules.AuditEvents.dropTables;
import static dev.firebreak.rules.AuditEvents.event;
import static dev.firebreak.rules.AuditEvents.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.signing.RecordSignatures;
import dev.firebreak.schema.signing.SigningKey;
import dev.firebreak.schema.Severity;
import dev.firebreak.schema.Topics;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DetectionTopologyTest {
    private static final String ALICE = "pg:prod/alice";
    private static final String BOB = "pg:prod/bob";
    private static final DetectionRule TABLES = DetectionRule.defaults();
    private static final DetectionRule INDEXES = TestRules.drops("pg-drop-index-burst", Set.of("index"), 10,
            Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(2), Severity.HIGH, Response.ALERT_ONLY,
            10_000);

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, AuditEvent> audit;
    private TestOutputTopic<String, Alert> alerts;
    private TestOutputTopic<String, RevokeCommand> commands;
    private TestOutputTopic<String, DeadLetter> deadLetters;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void threeTablesWithinOneSecondEmitOneAlertAndOneCommand() {
        start(TABLES);
        send(withPid(dropTables(ALICE, "e1", at(0.1), "public.orders"), 101));
        send(withPid(dropTables(ALICE, "e2", at(0.4), "public.customers"), 102));
        assertThat(alerts.isEmpty()).isTrue();
        send(withPid(dropTables(ALICE, "e3", at(0.9), "public.invoices"), 101));

        TestRecord<String, Alert> alertRecord = alerts.readRecord();
        String episode = "pg-drop-table-burst/pg:prod/alice/e1";
        assertThat(alertRecord.key()).isEqualTo(ALICE);
        assertThat(alertRecord.timestamp()).as("event time, not produce time").isEqualTo(at(0.9) / 1000);
        Alert alert = alertRecord.value();
        assertThat(alert.getAlertId()).isEqualTo(episode);
        assertThat(alert.getKind()).isEqualTo(AlertKind.RULE_TRIGGERED);
        assertThat(alert.getSeverity()).isEqualTo(Severity.CRITICAL);
        assertThat(alert.getResponse()).isEqualTo(Response.REVOKE);
        assertThat(alert.getRuleId()).isEqualTo("pg-drop-table-burst");
        assertThat(alert.getPrincipal()).isEqualTo(ALICE);
        assertThat(alert.getWindowStartUs()).isEqualTo(at(0.1));
        assertThat(alert.getWindowEndUs()).isEqualTo(at(0.9));
        assertThat(alert.getObserved()).isEqualTo(3);
        assertThat(alert.getThreshold()).isEqualTo(3);
        assertThat(alert.getFirstEventId()).isEqualTo("e1");
        assertThat(alert.getTriggerEventId()).isEqualTo("e3");
        assertThat(alert.getTriggerEventTimeUs()).isEqualTo(at(0.9));
        assertThat(alert.getRecoveryLsn()).isEqualTo(lsnAt(0.1));
        assertThat(alert.getRecoveryTimeUs()).isEqualTo(at(0.1));
        assertThat(alert.getSampleStatements()).containsExactly(
                "DROP TABLE public.orders", "DROP TABLE public.customers", "DROP TABLE public.invoices");
        assertThat(alert.getBackendPids()).containsExactly(101, 102);
        assertThat(alert.getCreatedTimeUs()).isEqualTo(at(0.9) + CAPTURE_DELAY_US);
        assertThat(alert.getSummary()).contains(ALICE, "3 table objects", "0.800 s");

        TestRecord<String, RevokeCommand> commandRecord = commands.readRecord();
        assertThat(commandRecord.key()).isEqualTo(ALICE);
        RevokeCommand command = commandRecord.value();
        assertThat(command.getCommandId()).isEqualTo(episode);
        assertThat(command.getRuleId()).isEqualTo("pg-drop-table-burst");
        assertThat(command.getPrincipal()).isEqualTo(ALICE);
        assertThat(command.getTargets()).containsExactly(ALICE);
        assertThat(command.getBackendPids()).containsExactly(101, 102);
        assertThat(command.getWindowStartUs()).isEqualTo(at(0.1));
        assertThat(command.getWindowEndUs()).isEqualTo(at(0.9));
        assertThat(command.getTriggerEventId()).isEqualTo("e3");
        assertThat(command.getTriggerEventTimeUs()).isEqualTo(at(0.9));
        assertThat(command.getIssuedTimeUs()).isEqualTo(at(0.9) + CAPTURE_DELAY_US);
        assertThat(command.getDryRun()).isFalse();
        // Signed where it was built, over what was emitted: the kill switch's key verifies it, no other does.
        assertThat(RecordSignatures.verify(command, TestSigning.KEY)).isEqualTo(RecordSignatures.Verification.VALID);
        assertThat(RecordSignatures.verify(command, SigningKey.of("not-the-detection-key-0123456789abcdef")))
                .isEqualTo(RecordSignatures.Verification.INVALID);
        assertThat(alerts.isEmpty()).isTrue();
        assertThat(commands.isEmpty()).isTrue();
    }

    @Test
    void twoTablesEmitNothing() {
        start(TABLES);
        send(dropTables(ALICE, "e1", at(0.1), "a"));
        send(dropTables(ALICE, "e2", at(0.2), "b"));
        assertNothingEmitted();
    }

    @Test
    void burstStraddlingASecondBoundaryIsCaught() {
        start(TABLES);
        // A tumbling window [0 s, 1 s) sees one drop and [1 s, 2 s) two: only a sliding window sees three.
        send(dropTables(ALICE, "e1", at(0.7), "a"));
        send(dropTables(ALICE, "e2", at(1.2), "b"));
        send(dropTables(ALICE, "e3", at(1.6), "c"));

        Alert alert = alerts.readValue();
        assertThat(alert.getWindowStartUs()).isEqualTo(at(0.7));
        assertThat(alert.getWindowEndUs()).isEqualTo(at(1.6));
        assertThat(alert.getTriggerEventId()).isEqualTo("e3");
        assertThat(commands.readValuesToList()).hasSize(1);
    }

    @Test
    void windowIncludesBothEnds() {
        start(TABLES);
        send(dropTables(ALICE, "e1", at(0.0), "a"));
        send(dropTables(ALICE, "e2", at(0.5), "b"));
        send(dropTables(ALICE, "e3", at(1.000001), "c"));
        assertNothingEmitted();

        send(dropTables(BOB, "f1", at(0.0), "a"));
        send(dropTables(BOB, "f2", at(0.5), "b"));
        send(dropTables(BOB, "f3", at(1.0), "c"));
        assertThat(alerts.readValue().getPrincipal()).isEqualTo(BOB);
    }

    @Test
    void dropsMoreThanAWindowApartNeverTrip() {
        start(TABLES);
        for (int i = 0; i < 10; i++) {
            send(dropTables(ALICE, "e" + i, at(i * 1.1), "t" + i));
        }
        assertNothingEmitted();
    }

    @Test
    void dropSchemaCascadeOfManyTablesTripsOnOneEvent() {
        start(TABLES);
        send(dropSchemaCascade(ALICE, "e1", at(0.5), "shop", 200));

        Alert alert = alerts.readValue();
        assertThat(alert.getObserved()).as("tables only, not the schema or indexes").isEqualTo(200);
        assertThat(alert.getWindowStartUs()).isEqualTo(at(0.5));
        assertThat(alert.getWindowEndUs()).isEqualTo(at(0.5));
        assertThat(alert.getFirstEventId()).isEqualTo("e1");
        assertThat(alert.getTriggerEventId()).isEqualTo("e1");
        assertThat(alert.getSampleStatements()).containsExactly("DROP SCHEMA shop CASCADE");
        assertThat(commands.readValue().getCommandId()).isEqualTo("pg-drop-table-burst/pg:prod/alice/e1");
        assertThat(alerts.isEmpty()).isTrue();
    }

    @Test
    void laterDropsOfTheSameBurstEmitNothingMore() {
        start(TABLES);
        for (int i = 0; i < 50; i++) {
            send(dropTables(ALICE, "e" + i, at(i * 0.02), "t" + i));
        }
        send(dropSchemaCascade(ALICE, "e50", at(1.5), "shop", 100));
        send(dropTables(ALICE, "e51", at(25.0), "late_one"));

        assertThat(alerts.readValuesToList()).extracting(Alert::getTriggerEventId).containsExactly("e2");
        assertThat(commands.readValuesToList()).hasSize(1);
    }

    @Test
    void aNewBurstAlertsAgainOnlyAfterTheEpisodeWentQuiet() {
        start(TABLES);
        burst(ALICE, "a", 0.0);
        burst(ALICE, "b", 20.0);                  // 19.8 s after the last drop: same episode
        burst(ALICE, "c", 20.2 + 30.1);           // 30.1 s of quiet: a new episode

        assertThat(alerts.readValuesToList()).extracting(Alert::getAlertId).containsExactly(
                "pg-drop-table-burst/pg:prod/alice/a0", "pg-drop-table-burst/pg:prod/alice/c0");
        List<RevokeCommand> emitted = commands.readValuesToList();
        assertThat(emitted).extracting(RevokeCommand::getCommandId).containsExactly(
                "pg-drop-table-burst/pg:prod/alice/a0", "pg-drop-table-burst/pg:prod/alice/c0");
        assertThat(emitted).extracting(c -> RecordSignatures.verify(c, TestSigning.KEY))
                .containsOnly(RecordSignatures.Verification.VALID);
    }

    @Test
    void principalsAreCountedIndependently() {
        start(TABLES);
        send(dropTables(ALICE, "a1", at(0.1), "a"));
        send(dropTables(BOB, "b1", at(0.2), "a"));
        send(dropTables(ALICE, "a2", at(0.3), "b"));
        send(dropTables(BOB, "b2", at(0.4), "b"));
        assertNothingEmitted();

        send(dropTables(ALICE, "a3", at(0.5), "c"));
        TestRecord<String, Alert> alert = alerts.readRecord();
        assertThat(alert.key()).isEqualTo(ALICE);
        assertThat(alert.value().getObserved()).isEqualTo(3);
        assertThat(commands.readValue().getTargets()).containsExactly(ALICE);
        assertNothingEmitted();

        send(dropTables(BOB, "b3", at(0.6), "c"));
        assertThat(alerts.readRecord().key()).isEqualTo(BOB);
        assertThat(commands.readValue().getTargets()).containsExactly(BOB);
    }

    @Test
    void objectsOfOtherTypesAreIgnored() {
        start(TABLES);
        List<AffectedObject> others = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            others.add(object("index", "public.i" + i, true));
            others.add(object("sequence", "public.s" + i, true));
        }
        send(event(ALICE, "e1", at(0.1), "DROP INDEX", "DROP INDEX ...", others));
        send(dropTables(ALICE, "e2", at(0.2), "a"));
        send(dropTables(ALICE, "e3", at(0.3), "b"));
        assertNothingEmitted();

        List<AffectedObject> mixed = new ArrayList<>(others);
        mixed.add(object("TABLE", "public.c", true));
        send(event(ALICE, "e4", at(0.4), "DROP TABLE", "DROP TABLE public.c", mixed));
        Alert alert = alerts.readValue();
        assertThat(alert.getObserved()).isEqualTo(3);
        assertThat(alert.getFirstEventId()).isEqualTo("e2");
    }

    @Test
    void tablesCreatedOrAlteredAreNotDrops() {
        start(TABLES);
        for (int i = 0; i < 10; i++) {
            send(event(ALICE, "c" + i, at(0.01 * i), "CREATE TABLE", "CREATE TABLE public.n" + i,
                    List.of(object("table", "public.n" + i, true))));
            send(event(ALICE, "a" + i, at(0.01 * i + 0.005), "ALTER TABLE", "ALTER TABLE public.n" + i + " OWNER TO x",
                    List.of(object("table", "public.n" + i, true))));
        }
        assertNothingEmitted();
        send(dropTables(ALICE, "d1", at(0.2), "a", "b"));
        send(event(ALICE, "d2", at(0.3), "DROP OWNED", "DROP OWNED BY alice", List.of(object("table", "public.c", false))));
        assertThat(alerts.readValue().getObserved()).isEqualTo(3);
    }

    @Test
    void outOfOrderDropWithinGraceIsCounted() {
        start(TABLES);
        send(dropTables(ALICE, "e1", at(1.0), "a"));
        send(dropTables(ALICE, "e2", at(1.5), "b"));
        send(dropTables(ALICE, "e3", at(0.8), "c"));

        Alert alert = alerts.readValue();
        assertThat(alert.getWindowStartUs()).isEqualTo(at(0.8));
        assertThat(alert.getWindowEndUs()).isEqualTo(at(1.5));
        assertThat(alert.getFirstEventId()).isEqualTo("e3");
        assertThat(alert.getTriggerEventId()).isEqualTo("e3");
        assertThat(alert.getRecoveryLsn()).as("smallest WAL position in the window").isEqualTo(lsnAt(0.8));
        assertThat(alert.getRecoveryTimeUs()).isEqualTo(at(0.8));
        assertThat(commands.readValue().getCommandId()).isEqualTo("pg-drop-table-burst/pg:prod/alice/e3");
    }

    @Test
    void dropsLaterThanGraceAreNotCounted() {
        start(TABLES);
        send(dropTables(ALICE, "e1", at(10.0), "a"));
        send(dropTables(ALICE, "e2", at(1.0), "b"));
        send(dropTables(ALICE, "e3", at(1.1), "c"));
        send(dropTables(ALICE, "e4", at(1.2), "d"));
        assertNothingEmitted();
    }

    @Test
    void alertOnlyRuleEmitsNoCommand() {
        start(TestRules.drops("pg-drop-table-watch", Set.of("table"), 3, Duration.ofSeconds(1),
                Duration.ofSeconds(30), Duration.ofSeconds(2), Severity.WARNING, Response.ALERT_ONLY, 10_000));
        burst(ALICE, "e", 0.0);

        Alert alert = alerts.readValue();
        assertThat(alert.getResponse()).isEqualTo(Response.ALERT_ONLY);
        assertThat(alert.getSeverity()).isEqualTo(Severity.WARNING);
        assertThat(alert.getRuleId()).isEqualTo("pg-drop-table-watch");
        assertThat(commands.isEmpty()).isTrue();
    }

    @Test
    void rulesRunSideBySide() {
        start(TABLES, INDEXES);
        send(dropSchemaCascade(ALICE, "e1", at(0.1), "shop", 20));
        assertThat(alerts.readValuesToList()).extracting(Alert::getRuleId, Alert::getObserved)
                .containsExactlyInAnyOrder(tuple("pg-drop-table-burst", 20L), tuple("pg-drop-index-burst", 20L));
        assertThat(commands.readValuesToList()).extracting(RevokeCommand::getRuleId)
                .containsExactly("pg-drop-table-burst");

        List<AffectedObject> indexes = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            indexes.add(object("index", "public.i" + i, true));
        }
        send(event(BOB, "f1", at(0.2), "DROP INDEX", "DROP INDEX ...", indexes));
        assertThat(alerts.readValuesToList()).extracting(Alert::getRuleId).containsExactly("pg-drop-index-burst");
        assertThat(commands.isEmpty()).isTrue();
    }

    @Test
    void replayedEventsAreNotCountedTwice() {
        start(TABLES);
        AuditEvent first = dropTables(ALICE, "e1", at(0.1), "a");
        AuditEvent second = dropTables(ALICE, "e2", at(0.2), "b");
        send(first);
        send(second);
        send(first);
        send(second);
        assertNothingEmitted();

        send(dropTables(ALICE, "e3", at(0.3), "c"));
        assertThat(alerts.readValue().getObserved()).isEqualTo(3);
    }

    @Test
    void unreadableInputGoesToTheDeadLetterQueueAndDetectionGoesOn() {
        start(TABLES);
        TestInputTopic<String, byte[]> raw = driver.createInputTopic(Topics.AUDIT_EVENTS,
                new StringSerializer(), new ByteArraySerializer());
        byte[] garbage = {7, 7, 7, 7, 7, 7};
        raw.pipeInput(ALICE, garbage, Instant.ofEpochMilli(at(0.05) / 1000));

        DeadLetter letter = deadLetters.readValue();
        assertThat(letter.getSource()).isEqualTo(DetectionNames.DEAD_LETTER_STAGE);
        assertThat(letter.getReason()).contains("magic byte");
        assertThat(letter.getOrigin()).isEqualTo(Topics.AUDIT_EVENTS + "-0@0");
        assertThat(bytes(letter.getPayload())).isEqualTo(garbage);
        assertThat(letter.getCapturedTimeUs()).isEqualTo(at(0.05));

        burst(ALICE, "e", 0.1);
        assertThat(alerts.readValuesToList()).hasSize(1);
    }

    @Test
    void eventsWithoutDatabaseTimeUseTheRecordTimestamp() {
        start(TABLES);
        for (int i = 1; i <= 3; i++) {
            AuditEvent event = AuditEvent.newBuilder(dropTables(ALICE, "e" + i, at(0), "t" + i))
                    .setEventTimeUs(0).setCapturedTimeUs(0).build();
            audit.pipeInput(ALICE, event, Instant.ofEpochMilli(at(i * 0.3) / 1000));
        }
        Alert alert = alerts.readValue();
        assertThat(alert.getWindowStartUs()).isEqualTo(at(0.3));
        assertThat(alert.getTriggerEventTimeUs()).isEqualTo(at(0.9));
        assertThat(alert.getCreatedTimeUs()).isEqualTo(at(0.9));
    }

    @Test
    void idlePrincipalsArePurgedFromTheStore() {
        start(TABLES);
        burst(ALICE, "a", 0.0);
        send(dropTables(BOB, "b1", at(120.0), "x"));

        var store = driver.<String, DropBurstState>getKeyValueStore(DetectionNames.dropBurstState(TABLES.id()));
        assertThat(store.get(ALICE)).isNull();
        assertThat(store.get(BOB).events()).extracting(DropBurstState.TrackedEvent::eventId).containsExactly("b1");
    }

    @Test
    void openEpisodesReachTheChangelogSoARestartDoesNotAlertAgain() {
        start(TABLES);
        burst(ALICE, "a", 0.0);

        String changelog = "firebreak-detection-drop-burst-state-pg-drop-table-burst-changelog";
        assertThat(driver.producedTopicNames()).contains(changelog);
        List<TestRecord<String, DropBurstState>> records = driver.createOutputTopic(changelog,
                new StringDeserializer(), new DropBurstStateSerde().deserializer()).readRecordsToList();
        DropBurstState last = records.get(records.size() - 1).value();
        assertThat(last.episodeId()).isEqualTo("pg-drop-table-burst/pg:prod/alice/a0");
        assertThat(last.latestUs()).isEqualTo(at(0.2));
        assertThat(last.events()).isEmpty();
    }

    @Test
    void everyNodeAndStoreIsNamed() {
        Topology topology = DetectionTopology.build(List.of(TABLES, INDEXES), DetectionSerdes.forRegistry(registry()), TestSigning.KEY);
        TopologyDescription description = topology.describe();
        Set<String> nodes = description.subtopologies().stream().flatMap(s -> s.nodes().stream())
                .map(TopologyDescription.Node::name).collect(Collectors.toSet());
        Set<String> stores = description.subtopologies().stream().flatMap(s -> s.nodes().stream())
                .filter(n -> n instanceof TopologyDescription.Processor)
                .flatMap(n -> ((TopologyDescription.Processor) n).stores().stream()).collect(Collectors.toSet());

        assertThat(description.subtopologies()).hasSize(1);
        assertThat(nodes).containsExactlyInAnyOrder("audit-events-source", "audit-events-parser", "audit-dlq-sink",
                "owner-events-sink", "owner-events-source",
                "drop-burst-detector-pg-drop-table-burst", "drop-burst-detector-pg-drop-index-burst",
                "alerts-sink", "revoke-commands-sink");
        assertThat(stores).containsExactlyInAnyOrder(
                "drop-burst-state-pg-drop-table-burst", "drop-burst-state-pg-drop-index-burst");
    }

    /**
     * Task ids ({@code <sub-topology>_<partition>}) name the state directories and must not move when
     * rules come and go: every rule, the baseline and the repartition hop live in sub-topology 0,
     * reading partition p of both the audit events and the owner events in task 0_p.
     */
    @Test
    void theRulesShareOneSubtopologyWhateverTheRuleSet() {
        DetectionSerdes serdes = DetectionSerdes.forRegistry(registry());
        List<Topology> topologies = List.of(
                DetectionTopology.build(List.of(TABLES), serdes, TestSigning.KEY),
                DetectionTopology.build(List.of(TABLES, INDEXES), serdes, TestSigning.KEY),
                DetectionTopology.build(List.of(INDEXES), serdes, Baseline.BaselineSettings.DEFAULTS, TestSigning.KEY),
                DetectionTopology.build(List.of(INDEXES, TABLES), serdes, Baseline.BaselineSettings.DEFAULTS,
                        DetectionMetrics.NONE, TestSigning.KEY, new ReissuePolicy(TestSigning.KEY, 3)));
        for (Topology topology : topologies) {
            TopologyDescription description = topology.describe();
            assertThat(description.subtopologies()).hasSize(1);
            TopologyDescription.Subtopology only = description.subtopologies().iterator().next();
            assertThat(only.id()).isZero();
            Set<String> sources = only.nodes().stream().filter(n -> n instanceof TopologyDescription.Source)
                    .flatMap(n -> ((TopologyDescription.Source) n).topicSet().stream()).collect(Collectors.toSet());
            assertThat(sources).containsExactlyInAnyOrder(Topics.AUDIT_EVENTS, Topics.DETECTION_OWNER_EVENTS);
        }
    }

    private void start(DetectionRule... rules) {
        String registry = registry();
        DetectionSerdes serdes = DetectionSerdes.forRegistry(registry);
        DetectionConfig config = DetectionConfig.fromMap(Map.of(
                DetectionConfig.BOOTSTRAP_SERVERS, "unused:9092",
                DetectionConfig.SCHEMA_REGISTRY_URL, registry,
                DetectionConfig.STATE_DIR, stateDir.toString()));
        driver = new TopologyTestDriver(DetectionTopology.build(List.of(rules), serdes, TestSigning.KEY), config.toStreamsProperties());
        audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(), serdes.auditEvents().serializer());
        alerts = driver.createOutputTopic(Topics.ALERTS, new StringDeserializer(), serdes.alerts().deserializer());
        commands = driver.createOutputTopic(Topics.KILLSWITCH_COMMANDS, new StringDeserializer(),
                serdes.revokeCommands().deserializer());
        deadLetters = driver.createOutputTopic(Topics.AUDIT_DLQ, new StringDeserializer(),
                serdes.deadLetters().deserializer());
    }

    private static String registry() {
        return "mem://detection-test-" + UUID.randomUUID();
    }

    /** Pipes with a record timestamp after the event time, as ingest produces it. */
    private void send(AuditEvent event) {
        audit.pipeInput(event.getPrincipal(), event, Instant.ofEpochMilli((event.getEventTimeUs() + CAPTURE_DELAY_US) / 1000));
    }

    /** Three single-table drops 0.1 s apart, ids prefix0..prefix2. */
    private void burst(String principal, String prefix, double startSeconds) {
        for (int i = 0; i < 3; i++) {
            send(dropTables(principal, prefix + i, at(startSeconds + i * 0.1), prefix + "_t" + i));
        }
    }

    private void assertNothingEmitted() {
        assertThat(alerts.readValuesToList()).isEmpty();
        assertThat(commands.readValuesToList()).isEmpty();
    }

    private static AuditEvent withPid(AuditEvent event, int pid) {
        return AuditEvent.newBuilder(event).setBackendPid(pid).build();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static long lsnAt(double seconds) {
        return 1_000_000L + (at(seconds) - AuditEvents.T0_US);
    }
}
