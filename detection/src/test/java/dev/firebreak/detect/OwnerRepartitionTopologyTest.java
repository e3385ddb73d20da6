package dev.firebreak.detect;

import dev.firebreak.rules.AuditEvents;
import static dev.firebreak.rules.AuditEvents.CAPTURE_DELAY_US;
import static dev.firebreak.rules.AuditEvents.at;
import static dev.firebreak.rules.AuditEvents.dropTables;
import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.PrincipalLink;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repartition hop: a linked credential's events reach the owner's task through
 * {@code firebreak.detection.owner-events.v1}, keyed by the owner; unlinked principals never take it.
 * The driver reads what the topology writes to that topic back into the topology, as Kafka would.
 */
class OwnerRepartitionTopologyTest {
    private static final String AGENT = "agent:etl-bot";
    private static final String ROLE = "pg:prod/etl_rw";
    private static final String TOKEN = "token:railway/77aa";
    /** A credential that owns another: its own events and its linked token's count in one window. */
    private static final String OWNER_ROLE = "pg:prod/deployer";
    private static final String DEPLOY_TOKEN = "token:ci/deploy";
    private static final String STRANGER = "pg:prod/reporting";

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, AuditEvent> audit;
    private TestInputTopic<String, PrincipalLink> links;
    private TestOutputTopic<String, AuditEvent> ownerEvents;
    private TestOutputTopic<String, Alert> alerts;
    private TestOutputTopic<String, RevokeCommand> commands;

    @BeforeEach
    void start() {
        String registry = "mem://owner-repartition-test-" + UUID.randomUUID();
        DetectionSerdes serdes = DetectionSerdes.forRegistry(registry);
        DetectionConfig config = DetectionConfig.fromMap(Map.of(
                DetectionConfig.BOOTSTRAP_SERVERS, "unused:9092",
                DetectionConfig.SCHEMA_REGISTRY_URL, registry,
                DetectionConfig.STATE_DIR, stateDir.toString()));
        driver = new TopologyTestDriver(DetectionTopology.build(List.of(DetectionRule.defaults()), serdes,
                Baseline.BaselineSettings.DEFAULTS, TestSigning.KEY), config.toStreamsProperties());
        audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(), serdes.auditEvents().serializer());
        links = driver.createInputTopic(Topics.PRINCIPAL_LINKS, new StringSerializer(), serdes.principalLinks().serializer());
        ownerEvents = driver.createOutputTopic(Topics.DETECTION_OWNER_EVENTS, new StringDeserializer(),
                serdes.auditEvents().deserializer());
        alerts = driver.createOutputTopic(Topics.ALERTS, new StringDeserializer(), serdes.alerts().deserializer());
        commands = driver.createOutputTopic(Topics.KILLSWITCH_COMMANDS, new StringDeserializer(),
                serdes.revokeCommands().deserializer());
        link(ROLE, AGENT);
        link(TOKEN, AGENT);
        link(DEPLOY_TOKEN, OWNER_ROLE);
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void aBurstSpreadOverTwoLinkedCredentialsGoesThroughTheRepartitionTopicAndGetsOneCommand() {
        send(dropTables(ROLE, "r1", at(0.1), "t1"));
        send(dropTables(TOKEN, "k1", at(0.2), "t2"));
        send(dropTables(ROLE, "r2", at(0.3), "t3"));
        send(dropTables(TOKEN, "k2", at(0.4), "t4"));

        List<KeyValue<String, AuditEvent>> hop = ownerEvents.readKeyValuesToList();
        assertThat(hop).extracting(kv -> kv.key).containsOnly(AGENT);
        assertThat(hop).extracting(kv -> kv.value.getPrincipal()).containsExactly(ROLE, TOKEN, ROLE, TOKEN);
        List<RevokeCommand> sent = commands.readValuesToList();
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).getPrincipal()).isEqualTo(AGENT);
        assertThat(sent.get(0).getTriggerEventId()).isEqualTo("r2");
        assertThat(sent.get(0).getTargets()).containsExactly(ROLE, TOKEN);
        List<Alert> raised = alerts.readValuesToList();
        assertThat(raised).filteredOn(a -> a.getRuleId().equals(DetectionRule.defaults().id())).singleElement()
                .satisfies(a -> assertThat(a.getOwner()).isEqualTo(AGENT));
    }

    @Test
    void unlinkedPrincipalsAreCountedInPlaceWithNoRepartitionTraffic() {
        send(dropTables(STRANGER, "s1", at(0.1), "t1"));
        send(dropTables(STRANGER, "s2", at(0.2), "t2"));
        send(dropTables(STRANGER, "s3", at(0.3), "t3"));

        assertThat(ownerEvents.isEmpty()).isTrue();
        assertThat(commands.readValuesToList()).singleElement()
                .satisfies(c -> assertThat(c.getPrincipal()).isEqualTo(STRANGER));
    }

    @Test
    void aLinkedCredentialsEventNoRuleCountsDoesNotTakeTheHop() {
        send(AuditEvents.event(ROLE, "q1", at(0.1), "CREATE TABLE", "CREATE TABLE t1 (id int)", List.of()));
        assertThat(ownerEvents.isEmpty()).isTrue();
    }

    @Test
    void anOwnersOwnEventsAndItsCredentialsReKeyedEventsFillOneWindow() {
        send(dropTables(OWNER_ROLE, "o1", at(0.1), "t1"));
        send(dropTables(DEPLOY_TOKEN, "d1", at(0.2), "t2"));
        assertThat(commands.isEmpty()).isTrue();
        send(dropTables(OWNER_ROLE, "o2", at(0.3), "t3"));

        assertThat(ownerEvents.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly(OWNER_ROLE);
        assertThat(commands.readValuesToList()).singleElement().satisfies(c -> {
            assertThat(c.getPrincipal()).isEqualTo(OWNER_ROLE);
            assertThat(c.getTargets()).containsExactly(OWNER_ROLE, DEPLOY_TOKEN);
        });
    }

    private void link(String principal, String owner) {
        links.pipeInput(principal, PrincipalLink.newBuilder().setPrincipal(principal).setOwner(owner)
                .setReason("runbook").setLinkedTimeUs(1).build());
    }

    private void send(AuditEvent event) {
        audit.pipeInput(event.getPrincipal(), event, Instant.ofEpochMilli((event.getEventTimeUs() + CAPTURE_DELAY_US) / 1000));
    }
}
