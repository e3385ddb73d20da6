package dev.firebreak.detect;

import dev.firebreak.rules.AuditEvents;
import static dev.firebreak.rules.AuditEvents.at;
import static dev.firebreak.rules.AuditEvents.CAPTURE_DELAY_US;
import static dev.firebreak.rules.AuditEvents.dropTables;
import static dev.firebreak.rules.AuditEvents.event;
import static dev.firebreak.rules.AuditEvents.object;
import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.rules.RulesLoader;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Severity;
import dev.firebreak.schema.Topics;
import java.nio.file.Path;
import java.time.Instant;
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

/** Rules as data through the whole topology: each measure, each kind of match, exceptions and shadow mode. */
class RuleTopologyTest {
    private static final String ALICE = "pg:prod/alice";
    private static final String BOB = "pg:prod/bob";
    private static final String BOT = "agent:cleanup-bot";
    /** Load time of the rule files: before every event time of these tests. */
    private static final Instant LOADED = Instant.parse("2025-12-31T00:00:00Z");

    private static final String RULES = """
            version: 1
            lists:
              row_changes: [DELETE, UPDATE]
              agents: [AGENT_ACTION_TABLE, AGENT_ACTION_HTTP]
              prod: [production, prod]
            macros:
              agent_action: {source: [$agents]}
              destructive_agent: {macros: [agent_action], destructive: true}
              in_production: {target_environment: [$prod]}
            rules:
              - id: truncates
                description: truncate burst
                match: {action: [TRUNCATE]}
                measure: events
                threshold: 2
                window: 5s
                severity: high
                response: revoke
              - id: mass-rows
                description: mass delete
                match: {action: [$row_changes]}
                measure: rows
                threshold: 1000
                window: 10s
                severity: high
                response: revoke
              - id: tables-touched
                description: rows deleted from many tables
                match: {action: [DELETE], object_type: [table]}
                measure: distinct_objects
                threshold: 3
                window: 10s
                severity: warning
                response: alert
              - id: drop-database
                description: one is enough
                match: {source: [POSTGRES_SERVER_LOG], action: [DROP DATABASE], object_type: [database]}
                measure: objects
                threshold: 1
                window: 1s
                severity: critical
                response: revoke
              - id: agent-burst
                description: destructive agent actions in production
                triage: stop the run
                match: {macros: [destructive_agent, in_production]}
                measure: events
                threshold: 3
                window: 60s
                severity: critical
                response: revoke
            """;

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
    void eventsMeasureCountsMatchingEvents() {
        start(RULES, "");
        send(truncate(ALICE, "t1", 0.0));
        send(dropTables(ALICE, "d1", at(1.0), "x"));
        assertNothingEmitted();
        send(truncate(ALICE, "t2", 4.9));

        Alert alert = alerts.readValue();
        assertThat(alert.getRuleId()).isEqualTo("truncates");
        assertThat(alert.getObserved()).isEqualTo(2);
        assertThat(alert.getTriggerEventId()).isEqualTo("t2");
        assertThat(alert.getSummary()).contains(ALICE + ": 2 events within 4.900 s");
        assertThat(commands.readValue().getCommandId()).isEqualTo("truncates/" + ALICE + "/t1");
        assertNothingEmitted();

        send(truncate(BOB, "b1", 0.0));
        send(truncate(BOB, "b2", 5.1));
        assertNothingEmitted();
    }

    @Test
    void rowsMeasureSumsRowCounts() {
        start(RULES, "");
        send(rows(ALICE, "r1", 0.0, "DELETE", 400, "public.a"));
        send(rows(ALICE, "r2", 2.0, "UPDATE", 400, "public.a"));
        send(rows(ALICE, "r3", 3.0, "INSERT", 5000, "public.a"));
        send(rows(ALICE, "r4", 4.0, "DELETE", 199, "public.a"));
        assertNothingEmitted();
        send(rows(ALICE, "r5", 9.0, "DELETE", 1, "public.a"));

        Alert alert = alerts.readValue();
        assertThat(alert.getRuleId()).isEqualTo("mass-rows");
        assertThat(alert.getObserved()).isEqualTo(1000);
        assertThat(alert.getThreshold()).isEqualTo(1000);
        assertThat(alert.getFirstEventId()).isEqualTo("r1");
        assertThat(alert.getSummary()).contains("1000 rows");
        assertThat(commands.readValue().getRuleId()).isEqualTo("mass-rows");
        assertNothingEmitted();
    }

    @Test
    void oneStatementOverTheRowThresholdIsEnough() {
        start(RULES, "");
        send(rows(BOB, "r1", 0.0, "DELETE", 250_000, "public.orders"));
        assertThat(alerts.readValue().getObserved()).isEqualTo(250_000);
        assertThat(commands.readValuesToList()).hasSize(1);
    }

    @Test
    void statementsRunByARoutineAlertButNeverCountTowardsARevocation() {
        start(RULES, "");
        for (int i = 0; i < 5; i++) {
            send(AuditEvent.newBuilder(rows(BOB, "p" + i, i * 0.1, "DELETE", 400, "mallory.bait"))
                    .setAttributes(Map.of("origin", "routine",
                            "routine", "PL/pgSQL function mallory.plant() line 1 at SQL statement")).build());
        }
        // 2,000 rows, but each ran inside mallory's routine: bob may have been framed
        assertThat(commands.isEmpty()).isTrue();
        // the alert-only rule still sees them (three distinct tables would be needed; one is not enough)
        assertThat(alerts.isEmpty()).isTrue();
        send(rows(BOB, "own", 1.0, "DELETE", 1000, "public.orders")); // bob's own statement is a fact about bob
        assertThat(commands.readValue().getTriggerEventId()).isEqualTo("own");
    }

    @Test
    void distinctObjectsMeasureCountsEachObjectOnce() {
        start(RULES, "");
        for (int i = 0; i < 10; i++) {
            send(rows(ALICE, "a" + i, i * 0.1, "DELETE", 0, "public.a"));
        }
        send(rows(ALICE, "b1", 1.5, "DELETE", 0, "public.b"));
        assertNothingEmitted();
        send(rows(ALICE, "c1", 2.0, "DELETE", 0, "public.c"));

        Alert alert = alerts.readValue();
        assertThat(alert.getRuleId()).isEqualTo("tables-touched");
        assertThat(alert.getObserved()).isEqualTo(3);
        assertThat(alert.getResponse()).isEqualTo(Response.ALERT_ONLY);
        assertThat(alert.getSummary()).contains("3 distinct table objects");
        assertThat(commands.isEmpty()).isTrue();
    }

    @Test
    void distinctObjectsLeaveTheWindowWithTheirLastEvent() {
        start(RULES, "");
        send(rows(ALICE, "a1", 0.0, "DELETE", 0, "public.a"));
        send(rows(ALICE, "b1", 1.0, "DELETE", 0, "public.b"));
        send(rows(ALICE, "a2", 9.0, "DELETE", 0, "public.a"));
        send(rows(ALICE, "c1", 11.5, "DELETE", 0, "public.c"));   // a (at 9 s) and c; b (1 s) left the window
        assertNothingEmitted();
        send(rows(ALICE, "d1", 12.0, "DELETE", 0, "public.d"));   // a, c, d
        assertThat(alerts.readValue().getFirstEventId()).isEqualTo("a2");
    }

    @Test
    void matchesBySourceActionAndObjectType() {
        start(RULES, "");
        AuditEvent fromTrigger = event(ALICE, "x1", at(0.0), "DROP DATABASE", "DROP DATABASE shop",
                List.of(object("database", "shop", true)));
        send(fromTrigger);
        send(AuditEvent.newBuilder(fromTrigger).setEventId("x2").setSource(AuditSource.POSTGRES_SERVER_LOG)
                .setObjects(List.of(object("tablespace", "fast", true))).build());
        assertNothingEmitted();
        send(AuditEvent.newBuilder(fromTrigger).setEventId("x3").setSource(AuditSource.POSTGRES_SERVER_LOG).build());

        Alert alert = alerts.readValue();
        assertThat(alert.getRuleId()).isEqualTo("drop-database");
        assertThat(alert.getSeverity()).isEqualTo(Severity.CRITICAL);
        assertThat(commands.readValue().getTriggerEventId()).isEqualTo("x3");
    }

    @Test
    void listsAndMacrosMatchAgentActionsInProductionOnly() {
        start(RULES, "");
        send(agent("s1", 0.0, AuditSource.AGENT_ACTION_HTTP, true, "staging"));
        send(agent("s2", 1.0, AuditSource.AGENT_ACTION_HTTP, true, "staging"));
        send(agent("s3", 2.0, AuditSource.AGENT_ACTION_TABLE, false, "production"));
        send(agent("s4", 3.0, AuditSource.POSTGRES_EVENT_TRIGGER, true, "production"));
        send(agent("p1", 4.0, AuditSource.AGENT_ACTION_HTTP, true, "production"));
        send(agent("p2", 5.0, AuditSource.AGENT_ACTION_TABLE, true, "PROD"));
        assertNothingEmitted();
        send(agent("p3", 6.0, AuditSource.AGENT_ACTION_HTTP, true, "production"));

        Alert alert = alerts.readValue();
        assertThat(alert.getRuleId()).isEqualTo("agent-burst");
        assertThat(alert.getFirstEventId()).isEqualTo("p1");
        assertThat(alert.getSummary()).endsWith(". Triage: stop the run");
        RevokeCommand command = commands.readValue();
        assertThat(command.getPrincipal()).isEqualTo(BOT);
        assertThat(command.getTargets()).containsExactly(BOT);
    }

    @Test
    void activeExceptionsAreNotCounted() {
        start(RULES, """
                exceptions:
                  - rule: truncates
                    principal: "pg:prod/etl_*"
                    reason: nightly reload
                    expires: 2027-01-01T00:00:00Z
                  - rule: "*"
                    principal: pg:prod/alice
                    application_name: "migrate*"
                    reason: schema migration tool
                    expires: 2027-01-01T00:00:00Z
                """);
        send(truncate("pg:prod/etl_orders", "e1", 0.0));
        send(truncate("pg:prod/etl_orders", "e2", 0.1));
        send(named(truncate(ALICE, "a1", 0.0), "migrate-v2"));
        send(named(truncate(ALICE, "a2", 0.1), "migrate-v2"));
        send(named(rows(ALICE, "a3", 0.2, "DELETE", 5000, "public.a"), "migrate-v2"));
        assertNothingEmitted();

        send(truncate(ALICE, "a4", 0.3));                        // no application_name
        send(named(truncate(ALICE, "a5", 0.4), "psql"));         // another application
        assertThat(alerts.readValue().getFirstEventId()).isEqualTo("a4");
        assertThat(commands.readValuesToList()).hasSize(1);
    }

    @Test
    void maintenanceWindowsAndExpiryUseTheEventTime() {
        // at(0) is 2026-01-01T00:00:00Z
        start(RULES, """
                exceptions:
                  - rule: truncates
                    principal: pg:prod/alice
                    from: 2026-01-01T00:00:10Z
                    until: 2026-01-01T00:00:20Z
                    reason: maintenance window
                    expires: 2027-01-01T00:00:00Z
                  - rule: truncates
                    principal: pg:prod/bob
                    reason: expires during the burst
                    expires: 2026-01-01T00:00:01Z
                """);
        send(truncate(ALICE, "in1", 10.0));
        send(truncate(ALICE, "in2", 19.9));
        assertNothingEmitted();
        send(truncate(ALICE, "out1", 20.0));
        send(truncate(ALICE, "out2", 21.0));
        assertThat(alerts.readValue().getFirstEventId()).isEqualTo("out1");
        assertThat(commands.readValuesToList()).hasSize(1);

        send(truncate(BOB, "b1", 0.5));
        send(truncate(BOB, "b2", 1.0));
        send(truncate(BOB, "b3", 1.5));
        assertThat(alerts.readValue().getFirstEventId()).as("expired at 1 s").isEqualTo("b2");
        assertThat(commands.readValuesToList()).hasSize(1);
    }

    @Test
    void exceptionsExpiredAtLoadAreReportedAndIgnored() {
        RulesLoader.RuleSet set = RulesLoader.load(Map.of("rules.yaml", RULES, "exceptions.yaml", """
                exceptions:
                  - rule: truncates
                    principal: pg:prod/alice
                    reason: old ticket
                    expires: 2025-06-01T00:00:00Z
                """), LOADED);
        assertThat(set.warnings()).singleElement().asString()
                .startsWith("exceptions.yaml:2: exception for rule 'truncates' and principal 'pg:prod/alice' expired at 2025-06-01T00:00:00Z; ignored");
        start(set.rules());
        send(truncate(ALICE, "a1", 0.0));
        send(truncate(ALICE, "a2", 0.1));
        assertThat(alerts.readValuesToList()).hasSize(1);
    }

    @Test
    void shadowRulesAlertWithWhatTheyWouldDoAndNeverRevoke() {
        start(RULES.replace("description: truncate burst\n", "description: truncate burst\n    shadow: true\n"), "");
        send(truncate(ALICE, "t1", 0.0));
        send(truncate(ALICE, "t2", 0.5));

        Alert alert = alerts.readValue();
        assertThat(alert.getRuleId()).isEqualTo("truncates");
        assertThat(alert.getResponse()).isEqualTo(Response.ALERT_ONLY);
        assertThat(alert.getSummary()).startsWith("[shadow] would revoke: " + ALICE + ": 2 events");
        assertThat(alert.getAlertId()).isEqualTo("truncates/" + ALICE + "/t1");
        assertThat(commands.isEmpty()).isTrue();

        send(truncate(ALICE, "t3", 1.0));
        assertNothingEmitted();
    }

    /** Every bundled rule side by side: the drop-table burst behaves exactly as the single rule did. */
    @Test
    void bundledRulesCatchTheDropBurstAloneWithOneAlertAndOneCommand() {
        start(RulesLoader.loadBundled(LOADED).rules());
        send(dropTables(ALICE, "e1", at(0.1), "a"));
        send(dropTables(ALICE, "e2", at(0.4), "b"));
        assertNothingEmitted();
        send(dropTables(ALICE, "e3", at(0.9), "c"));
        List<Alert> all = alerts.readValuesToList();
        assertThat(all).extracting(Alert::getRuleId).containsExactly("pg-drop-table-burst");
        assertThat(all.get(0).getAlertId()).isEqualTo("pg-drop-table-burst/" + ALICE + "/e1");
        assertThat(commands.readValuesToList()).extracting(RevokeCommand::getCommandId)
                .containsExactly("pg-drop-table-burst/" + ALICE + "/e1");
    }

    @Test
    void bundledDropDatabaseRevokesAndAlertOnlyRulesDoNot() {
        start(RulesLoader.loadBundled(LOADED).rules());
        AuditEvent dropDatabase = AuditEvent.newBuilder(event(BOB, "db1", at(0.0), "DROP DATABASE", "DROP DATABASE shop",
                List.of(object("database", "shop", true)))).setSource(AuditSource.POSTGRES_SERVER_LOG).build();
        send(dropDatabase);
        Alert alert = alerts.readValue();
        assertThat(alert.getRuleId()).isEqualTo("pg-drop-database");
        assertThat(alert.getSummary()).doesNotContain("[shadow]");
        assertThat(commands.readValuesToList()).extracting(RevokeCommand::getRuleId).containsExactly("pg-drop-database");

        send(AuditEvent.newBuilder(event(BOB, "g1", at(1.0), "GRANT", "GRANT SELECT ON orders TO public", List.of()))
                .build());
        send(AuditEvent.newBuilder(event(BOB, "g2", at(2.0), "ALTER ROLE", "ALTER ROLE mallory SUPERUSER",
                List.of(object("role", "mallory", true)))).setSource(AuditSource.POSTGRES_SERVER_LOG).build());
        send(AuditEvent.newBuilder(event(BOB, "g3", at(3.0), "ALTER ROLE", "ALTER ROLE mallory NOSUPERUSER",
                List.of(object("role", "mallory", true)))).setSource(AuditSource.POSTGRES_SERVER_LOG).build());
        assertThat(alerts.readValuesToList()).extracting(Alert::getRuleId, Alert::getTriggerEventId)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("pg-grant-to-public", "g1"),
                        org.assertj.core.groups.Tuple.tuple("pg-superuser-granted", "g2"));
        assertThat(commands.isEmpty()).isTrue();
    }

    /**
     * Pre-flight attempts (source AGENT_PREFLIGHT): an ask alerts for the operator, a denied destructive
     * attempt revokes, and neither counts as an action taken (agent-destructive-action stays quiet).
     */
    @Test
    void bundledRulesAlertOnAPreflightAskAndRevokeOnADeniedRepeat() {
        start(RulesLoader.loadBundled(LOADED).rules());
        String agent = "agent:cleanup-bot";
        send(preflight(agent, "p1", at(0.0), "ask"));
        assertThat(alerts.readValuesToList()).extracting(Alert::getRuleId).containsExactly("agent-preflight-ask");
        assertThat(commands.isEmpty()).isTrue();

        send(preflight(agent, "p2", at(5.0), "deny"));
        assertThat(alerts.readValuesToList()).extracting(Alert::getRuleId).containsExactly("agent-preflight-denied");
        assertThat(commands.readValuesToList()).extracting(RevokeCommand::getRuleId, RevokeCommand::getPrincipal)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("agent-preflight-denied", agent));
    }

    private static AuditEvent preflight(String principal, String id, long timeUs, String decision) {
        return AuditEvent.newBuilder(event(principal, id, timeUs, "http.graphql_delete",
                        "curl -X POST https://backboard.railway.app/graphql/v2 -d 'mutation { volumeDelete }'", List.of()))
                .setSource(AuditSource.AGENT_PREFLIGHT).setDestructive(true).setDatabase(null).setSessionUser(null)
                .setBackendPid(null).setLinkedPrincipals(List.of("token:railway/found"))
                .setAttributes(Map.of("target_environment", "production", "tool", "bash", "preflight_decision", decision,
                        "preflight_rule", "r", "decision_id", "d-" + id)).build();
    }

    /** Summaries of routine DELETEs count their rows towards pg-routine-row-deletion only, and only alert. */
    @Test
    void bundledRulesCountSummarisedRoutineDeletesButNeverRevokeOnThem() {
        start(RulesLoader.loadBundled(LOADED).rules());
        send(summary(BOB, "s1", at(0.0), "DELETE", 4_000));
        send(summary(BOB, "s2", at(1.0), "UPDATE", 9_000));
        send(summary(BOB, "s3", at(2.0), "DELETE", 5_000));
        assertNothingEmitted();
        send(summary(BOB, "s4", at(3.0), "DELETE", 1_000));
        assertThat(alerts.readValuesToList()).extracting(Alert::getRuleId, Alert::getTriggerEventId)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("pg-routine-row-deletion", "s4"));
        assertThat(commands.isEmpty()).isTrue();
    }

    private static AuditEvent summary(String principal, String id, double seconds, String of, long rows) {
        return AuditEvent.newBuilder(event(principal, id, at(seconds), "DML SUMMARY", of + " FROM public.t WHERE id = $1",
                        List.of(object("table", "public.t", true)))).setRowCount(rows).setDestructive(true)
                .setAttributes(Map.of("trigger", "dml_summary", "summary_of", of, "origin", "summary", "calls", "1")).build();
    }

    private void start(String rules, String exceptions) {
        start(RulesLoader.load(Map.of("rules.yaml", rules, "exceptions.yaml", exceptions), LOADED).rules());
    }

    private void start(List<DetectionRule> rules) {
        String registry = "mem://rule-topology-test-" + UUID.randomUUID();
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

    private void assertNothingEmitted() {
        assertThat(alerts.readValuesToList()).isEmpty();
        assertThat(commands.readValuesToList()).isEmpty();
    }

    private static AuditEvent truncate(String principal, String id, double seconds) {
        return AuditEvent.newBuilder(event(principal, id, at(seconds), "TRUNCATE", "TRUNCATE public.t",
                List.of(object("table", "public.t", true)))).setDestructive(true).build();
    }

    private static AuditEvent rows(String principal, String id, double seconds, String action, long rows, String table) {
        return AuditEvent.newBuilder(event(principal, id, at(seconds), action, action + " FROM " + table,
                List.of(object("table", table, true)))).setRowCount(rows).setDestructive(true).build();
    }

    private static AuditEvent agent(String id, double seconds, AuditSource source, boolean destructive, String environment) {
        return AuditEvent.newBuilder(event(BOT, id, at(seconds), "http.graphql_delete", "mutation { volumeDelete }",
                        List.of())).setSource(source).setDestructive(destructive)
                .setAttributes(Map.of("target_environment", environment, "tool", "bash")).build();
    }

    private static AuditEvent named(AuditEvent event, String applicationName) {
        return AuditEvent.newBuilder(event).setApplicationName(applicationName).build();
    }
}
