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
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Credentials linked to one owner: windows count per owner too, and revocation takes every linked credential. */
class LinkedPrincipalsTest {
    private static final String AGENT = "agent:cleanup-bot";
    private static final String ROLE_A = "pg:prod/app_rw";
    private static final String ROLE_B = "pg:prod/app_admin";
    private static final String TOKEN = "token:railway/3f9a";
    private static final String STRANGER = "pg:prod/someone_else";

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, AuditEvent> audit;
    private TestInputTopic<String, PrincipalLink> links;
    private TestOutputTopic<String, Alert> alerts;
    private TestOutputTopic<String, RevokeCommand> commands;

    @BeforeEach
    void start() {
        String registry = "mem://links-test-" + UUID.randomUUID();
        DetectionSerdes serdes = DetectionSerdes.forRegistry(registry);
        DetectionConfig config = DetectionConfig.fromMap(Map.of(
                DetectionConfig.BOOTSTRAP_SERVERS, "unused:9092",
                DetectionConfig.SCHEMA_REGISTRY_URL, registry,
                DetectionConfig.STATE_DIR, stateDir.toString()));
        driver = new TopologyTestDriver(DetectionTopology.build(List.of(DetectionRule.defaults()), serdes, TestSigning.KEY),
                config.toStreamsProperties());
        audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(), serdes.auditEvents().serializer());
        links = driver.createInputTopic(Topics.PRINCIPAL_LINKS, new StringSerializer(), serdes.principalLinks().serializer());
        alerts = driver.createOutputTopic(Topics.ALERTS, new StringDeserializer(), serdes.alerts().deserializer());
        commands = driver.createOutputTopic(Topics.KILLSWITCH_COMMANDS, new StringDeserializer(),
                serdes.revokeCommands().deserializer());
        link(ROLE_A, AGENT);
        link(ROLE_B, AGENT);
        link(TOKEN, AGENT);
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void switchingCredentialsMidBurstDoesNotResetTheOwnersCount() {
        send(dropTables(ROLE_A, "a1", at(0.1), "t1"));
        send(dropTables(ROLE_A, "a2", at(0.3), "t2"));
        send(dropTables(ROLE_B, "b1", at(0.5), "t3"));

        RevokeCommand command = commands.readValue();
        assertThat(command.getPrincipal()).isEqualTo(AGENT);
        assertThat(command.getTargets()).containsExactly(ROLE_B, ROLE_A, TOKEN);
        assertThat(commands.isEmpty()).isTrue();
        Alert alert = alerts.readValue();
        assertThat(alert.getPrincipal()).isEqualTo(AGENT);
        assertThat(alert.getOwner()).isEqualTo(AGENT);
        assertThat(alert.getObserved()).isEqualTo(3);
        assertThat(alerts.isEmpty()).isTrue();
    }

    @Test
    void oneCredentialsOwnBurstRevokesEveryLinkedCredentialOnce() {
        send(dropTables(ROLE_A, "a1", at(0.1), "t1"));
        send(dropTables(ROLE_A, "a2", at(0.2), "t2"));
        send(dropTables(ROLE_A, "a3", at(0.3), "t3"));

        RevokeCommand command = commands.readValue();
        // both windows crossed on the same event: one burst, the owner's, covering every credential
        assertThat(command.getPrincipal()).isEqualTo(AGENT);
        assertThat(command.getTargets()).containsExactly(ROLE_B, ROLE_A, TOKEN);
        assertThat(commands.isEmpty()).isTrue();
        send(dropTables(ROLE_A, "a4", at(0.4), "t4"));
        assertThat(commands.isEmpty()).as("the episode is open for credential and owner alike").isTrue();
    }

    @Test
    void unlinkedPrincipalsAreCountedAloneAndRevokedAlone() {
        send(dropTables(STRANGER, "s1", at(0.1), "t1"));
        send(dropTables(ROLE_A, "a1", at(0.2), "t2"));
        send(dropTables(STRANGER, "s2", at(0.3), "t3"));
        assertThat(commands.isEmpty()).isTrue();
        send(dropTables(STRANGER, "s3", at(0.4), "t4"));
        RevokeCommand command = commands.readValue();
        assertThat(command.getPrincipal()).isEqualTo(STRANGER);
        assertThat(command.getTargets()).containsExactly(STRANGER);
        assertThat(alerts.readValue().getOwner()).isNull();
    }

    @Test
    void aTombstoneUnlinks() {
        links.pipeInput(ROLE_B, null);
        send(dropTables(ROLE_A, "a1", at(0.1), "t1"));
        send(dropTables(ROLE_A, "a2", at(0.3), "t2"));
        send(dropTables(ROLE_B, "b1", at(0.5), "t3"));
        assertThat(commands.isEmpty()).as("role B no longer counts for the agent").isTrue();
        send(dropTables(ROLE_A, "a3", at(0.6), "t4"));
        assertThat(commands.readValue().getTargets()).containsExactly(ROLE_A, TOKEN);
    }

    @Test
    void relinkingMovesTheCredentialToItsNewOwnerAndTheIndexHoldsNothingStale() {
        link(TOKEN, "agent:other-bot");
        link("pg:prod/other_rw", "agent:cleanup-bot-2"); // an owner whose id starts like AGENT's

        send(dropTables(ROLE_A, "a1", at(0.1), "t1"));
        send(dropTables(ROLE_A, "a2", at(0.2), "t2"));
        send(dropTables(ROLE_A, "a3", at(0.3), "t3"));

        assertThat(commands.readValue().getTargets()).containsExactly(ROLE_B, ROLE_A);
        KeyValueStore<String, PrincipalLink> store = driver.getKeyValueStore(DetectionNames.PRINCIPAL_LINKS_STORE);
        PrincipalLinks index = new PrincipalLinks(store);
        assertThat(index.credentialsOf(AGENT)).containsExactly(ROLE_B, ROLE_A);
        assertThat(index.credentialsOf("agent:other-bot")).containsExactly(TOKEN);
        assertThat(index.credentialsOf("agent:cleanup-bot-2")).containsExactly("pg:prod/other_rw");
        assertThat(store.get(PrincipalLinks.indexKey(AGENT, TOKEN))).as("the old owner's entry is gone").isNull();

        links.pipeInput(ROLE_B, null);
        assertThat(index.credentialsOf(AGENT)).containsExactly(ROLE_A);
        assertThat(store.get(ROLE_B)).isNull();
    }

    @Test
    void aPrincipalHoldingTheIndexMarkIsIgnored() {
        link("pg:prod/x\u0000owner", AGENT);
        link("pg:prod/y", "agent:x\u0000pg:prod/y");

        KeyValueStore<String, PrincipalLink> store = driver.getKeyValueStore(DetectionNames.PRINCIPAL_LINKS_STORE);
        PrincipalLinks index = new PrincipalLinks(store);
        assertThat(index.credentialsOf(AGENT)).containsExactly(ROLE_B, ROLE_A, TOKEN);
        assertThat(store.get("pg:prod/y")).isNull();
        assertThat(index.ownerOf(PrincipalLinks.indexKey(AGENT, ROLE_A))).isNull();
    }

    private void link(String principal, String owner) {
        links.pipeInput(principal, PrincipalLink.newBuilder().setPrincipal(principal).setOwner(owner)
                .setReason("runbook: the cleanup agent's credentials").setLinkedTimeUs(1).build());
    }

    private void send(AuditEvent event) {
        audit.pipeInput(event.getPrincipal(), event, Instant.ofEpochMilli((event.getEventTimeUs() + CAPTURE_DELAY_US) / 1000));
    }
}
