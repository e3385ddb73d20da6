package dev.firebreak.detect;

import dev.firebreak.rules.AuditEvents;
import static dev.firebreak.rules.AuditEvents.CAPTURE_DELAY_US;
import static dev.firebreak.rules.AuditEvents.at;
import static dev.firebreak.rules.AuditEvents.event;
import static dev.firebreak.rules.AuditEvents.object;
import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.rules.RulesLoader;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
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

/**
 * The bundled rules judge by what is destroyed (the blast attributes V6 captures): ordinary tools
 * doing their job are never revoked, the destruction patterns of issue 14 are. Event times are
 * explicit; each case is one principal's stream through the whole topology.
 */
class BlastRuleTopologyTest {
    private static final String TOOL = "pg:prod/tool";
    private static final String ATTACKER = "pg:prod/attacker";
    private static final Instant LOADED = Instant.parse("2025-12-31T00:00:00Z");

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

    // ------------------------------------------------------------------ benign tools

    @Test
    void dbtStyleRebuildOfTwentyModelsIsNotRevoked() {
        startBundled();
        for (int i = 0; i < 20; i++) {
            // create tmp, rename swap, drop the backup: only the drop is destructive
            send(drop(TOOL, "m" + i, 0.1 * i, "analytics.model" + i + "__dbt_backup",
                    blast("50000", "run", "true", "false", "86400")));
        }
        assertNoRevocation();
    }

    @Test
    void partitionRetentionDroppingTwelveOldPartitionsIsNotRevoked() {
        startBundled();
        for (int i = 0; i < 12; i++) {
            send(drop(TOOL, "p" + i, 0.05 * i, "events.events_2025_11_" + (10 + i), blast("100000", null, "false", "true", null)));
        }
        assertNoRevocation();
    }

    @Test
    void testSuiteDroppingFixturesItJustCreatedIsNotRevoked() {
        startBundled();
        for (int i = 0; i < 30; i++) {
            send(drop(TOOL, "f" + i, 0.02 * i, "test.fixture" + i, blast("20", "session", "false", "false", "2")));
            send(truncate(TOOL, "t" + i, 0.02 * i + 0.01, "test.fixture" + i, blast("20", "session", "false", "false", "2")));
        }
        assertNoRevocation();
    }

    @Test
    void batchedJanitorDeletingThousandRowBatchesIsNotRevoked() {
        startBundled();
        // 121 batches of 1000 rows out of a 5M-row table, 50 ms apart: the old row rule fired 121 times
        for (int i = 0; i < 121; i++) {
            send(delete(TOOL, "j" + i, 0.05 * i, 1000, Map.of("blast_rows", "1000", "blast_fraction", "0.0002",
                    "blast_table_rows", "5000000", "statement_shape", "filtered")));
        }
        // the last batch empties what is left: the whole table at that moment, but a small amount
        send(delete(TOOL, "j-last", 7.0, 700, Map.of("blast_rows", "700", "blast_fraction", "1.0",
                "blast_table_rows", "700", "statement_shape", "filtered")));
        assertNoRevocation();
    }

    // ------------------------------------------------------------------ destruction

    @Test
    void threeTablesOthersCreatedDroppedWithinASecondRevoke() {
        startBundled();
        for (int i = 0; i < 3; i++) {
            send(drop(ATTACKER, "d" + i, 0.3 * i, "public.t" + i, blast("20", null, "false", "false", null)));
        }
        assertRevokedBy("pg-drop-table-burst");
    }

    @Test
    void oneOwnScratchTableAmongOthersDoesNotHideTheStatement() {
        startBundled();
        // DROP SCHEMA ... CASCADE of three tables: not every one is the principal's own, so it counts
        send(AuditEvent.newBuilder(drop(ATTACKER, "s1", 0.0, "shop.a", blast("900", null, "false", "false", null)))
                .setObjects(List.of(object("table", "shop.a", false), object("table", "shop.b", false),
                        object("table", "shop.c", false))).build());
        assertRevokedBy("pg-drop-table-burst");
    }

    @Test
    void twentyFiveDropsPacedOneAndAHalfSecondsApartRevoke() {
        startBundled();
        for (int i = 0; i < 9; i++) {
            send(drop(ATTACKER, "slow" + i, 1.5 * i, "public.t" + i, blast("20", null, "false", "false", null)));
        }
        assertNoRevocation();
        send(drop(ATTACKER, "slow9", 13.5, "public.t9", blast("20", null, "false", "false", null)));
        assertRevokedBy("pg-drop-table-slow-burn");
    }

    @Test
    void dropColumnOnThirtyTablesAtTenPerSecondRevokes() {
        startBundled();
        for (int i = 0; i < 30; i++) {
            send(AuditEvent.newBuilder(event(ATTACKER, "c" + i, at(0.1 * i), "ALTER TABLE", "ALTER TABLE t" + i + " DROP COLUMN email",
                            List.of(object("table column", "public.t" + i + ".email", true))))
                    .setDestructive(true).setAttributes(blast("5000", null, "false", "false", null)).build());
        }
        assertRevokedBy("pg-column-drop-burst");
    }

    @Test
    void multiTableTruncateRevokes() {
        startBundled();
        send(truncate(ATTACKER, "tr1", 0.0, "public.orders", blast("3000", null, "false", "false", null)));
        send(truncate(ATTACKER, "tr2", 0.0, "public.customers", blast("400", null, "false", "false", null)));
        assertRevokedBy("pg-truncate-burst");
    }

    @Test
    void truncatingEmptyTablesDestroysNothing() {
        startBundled();
        send(truncate(ATTACKER, "e1", 0.0, "public.a", blast("0", null, "false", "false", null)));
        send(truncate(ATTACKER, "e2", 0.1, "public.b", blast("0", null, "false", "false", null)));
        assertNoRevocation();
    }

    @Test
    void wholeTableDeleteRevokes() {
        startBundled();
        send(delete(ATTACKER, "del", 0.0, 1500, Map.of("blast_rows", "1500", "blast_fraction", "1.0",
                "blast_table_rows", "1500", "statement_shape", "no_where")));
        assertRevokedBy("pg-whole-table-delete");
    }

    @Test
    void filteredDeletesOfMostOfBigTablesAddUpByRowsDestroyed() {
        startBundled();
        send(delete(ATTACKER, "b1", 0.0, 6000, Map.of("blast_rows", "6000", "blast_fraction", "0.95", "statement_shape", "filtered")));
        assertNoRevocation();
        send(delete(ATTACKER, "b2", 2.0, 6000, Map.of("blast_rows", "6000", "blast_fraction", "0.90", "statement_shape", "filtered")));
        assertRevokedBy("pg-mass-row-change");
    }

    @Test
    void destructiveAgentActionsInProductionRevoke() {
        startBundled();
        for (int i = 0; i < 3; i++) {
            send(AuditEvent.newBuilder(event("agent:bot", "a" + i, at(5.0 * i), "http.graphql_delete", "mutation { volumeDelete }",
                    List.of())).setSource(AuditSource.AGENT_ACTION_HTTP).setDestructive(true)
                    .setAttributes(Map.of("target_environment", "production")).build());
        }
        assertThat(commands.readValuesToList()).extracting(RevokeCommand::getRuleId).containsExactly("agent-destructive-burst");
    }

    @Test
    void bytesDestroyedSumsWhatDroppedRelationsHeld() {
        start(RulesLoader.load(Map.of("rules.yaml", """
                version: 1
                rules:
                  - id: big-drops
                    description: a gigabyte dropped within a minute
                    match: {action_regex: "DROP .*", blast: {min_age: 1h}}
                    measure: bytes_destroyed
                    threshold: 1073741824
                    window: 60s
                    severity: critical
                    response: revoke
                """), LOADED).rules());
        Map<String, String> old = new HashMap<>(blast("1", null, "false", "false", "7200"));
        old.put("blast_bytes", "600000000");
        Map<String, String> young = new HashMap<>(old);
        young.put("blast_age_s", "60");
        send(drop(ATTACKER, "y", 0.0, "public.young", young));
        send(drop(ATTACKER, "o1", 1.0, "public.old1", old));
        assertNoRevocation();
        Map<String, String> unknownAge = new HashMap<>(old);
        unknownAge.remove("blast_age_s"); // older than the install: old enough
        send(drop(ATTACKER, "o2", 2.0, "public.old2", unknownAge));
        assertRevokedBy("big-drops");
    }

    // ------------------------------------------------------------------ helpers

    private static Map<String, String> blast(String rows, String created, String replaced, String partition, String ageS) {
        Map<String, String> a = new HashMap<>();
        a.put("trigger", "sql_drop");
        a.put("blast_relations", "1");
        a.put("blast_rows", rows);
        a.put("blast_fraction", "1.0");
        a.put("blast_replaced", replaced);
        a.put("blast_partition", partition);
        if (created != null) {
            a.put("blast_created", created);
        }
        if (ageS != null) {
            a.put("blast_age_s", ageS);
        }
        return a;
    }

    private static AuditEvent drop(String principal, String id, double seconds, String table, Map<String, String> attributes) {
        return AuditEvent.newBuilder(event(principal, id, at(seconds), "DROP TABLE", "DROP TABLE " + table,
                List.of(object("table", table, true)))).setDestructive(true).setAttributes(attributes).build();
    }

    private static AuditEvent truncate(String principal, String id, double seconds, String table, Map<String, String> attributes) {
        return AuditEvent.newBuilder(event(principal, id, at(seconds), "TRUNCATE", "TRUNCATE " + table,
                List.of(object("table", table, true)))).setDestructive(true).setAttributes(attributes).build();
    }

    private static AuditEvent delete(String principal, String id, double seconds, long rows, Map<String, String> attributes) {
        return AuditEvent.newBuilder(event(principal, id, at(seconds), "DELETE", "DELETE FROM public.logs WHERE ...",
                List.of(object("table", "public.logs", true)))).setRowCount(rows).setDestructive(true)
                .setAttributes(attributes).build();
    }

    private void startBundled() {
        start(RulesLoader.loadBundled(LOADED).rules());
    }

    private void start(List<DetectionRule> rules) {
        String registry = "mem://blast-rule-topology-test-" + UUID.randomUUID();
        DetectionSerdes serdes = DetectionSerdes.forRegistry(registry);
        DetectionConfig config = new DetectionConfig("firebreak-detection", "unused:9092", registry, stateDir, rules,
                null, false, Map.of());
        driver = new TopologyTestDriver(DetectionTopology.build(rules, serdes, TestSigning.KEY), config.toStreamsProperties());
        audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(), serdes.auditEvents().serializer());
        alerts = driver.createOutputTopic(Topics.ALERTS, new StringDeserializer(), serdes.alerts().deserializer());
        commands = driver.createOutputTopic(Topics.KILLSWITCH_COMMANDS, new StringDeserializer(),
                serdes.revokeCommands().deserializer());
    }

    private void send(AuditEvent event) {
        audit.pipeInput(event.getPrincipal(), event, Instant.ofEpochMilli((event.getEventTimeUs() + CAPTURE_DELAY_US) / 1000));
    }

    private void assertNoRevocation() {
        assertThat(commands.readValuesToList()).as("revoke commands").isEmpty();
        assertThat(alerts.readValuesToList()).as("alerts of rules that may revoke")
                .filteredOn(a -> a.getResponse() == dev.firebreak.schema.Response.REVOKE).isEmpty();
    }

    private void assertRevokedBy(String rule) {
        assertThat(commands.readValuesToList()).extracting(RevokeCommand::getRuleId).containsExactly(rule);
    }
}
