package dev.firebreak.detect;

import dev.firebreak.rules.AuditEvents;
import static dev.firebreak.rules.AuditEvents.CAPTURE_DELAY_US;
import static dev.firebreak.rules.AuditEvents.at;
import static dev.firebreak.rules.AuditEvents.dropTables;
import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.signing.RecordSignatures;
import dev.firebreak.schema.signing.SigningKey;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An open episode whose revocation did not hold gets a new command when the burst goes on: after a
 * verified FAILED or REINSTATED result, never after SUCCEEDED ones or unverified ones, and at most
 * {@link ReissuePolicy#max()} times. Explicit event times, results piped as the kill switch writes them.
 */
class ReissueTopologyTest {
    private static final String ALICE = "pg:prod/alice";
    private static final String EPISODE = "pg-drop-table-burst/pg:prod/alice/e1";
    private static final SigningKey RESULT_KEY = SigningKey.of("detection-test-result-secret-0123456789");
    private static final SigningKey OTHER_KEY = SigningKey.of("someone-else-entirely-secret-0123456789");

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, AuditEvent> audit;
    private TestInputTopic<String, RevocationResult> results;
    private TestOutputTopic<String, RevokeCommand> commands;

    @BeforeEach
    void start() {
        start(2);
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void aFailedRevocationIsReissuedOnTheNextEventOfTheBurst() {
        burst();
        RevokeCommand first = commands.readValue();
        assertThat(first.getCommandId()).isEqualTo(EPISODE);
        result(first, RevocationOutcome.FAILED, RESULT_KEY);
        drop("e4", at(1.5));

        RevokeCommand second = commands.readValue();
        assertThat(second.getCommandId()).isEqualTo(EPISODE + "#2");
        assertThat(second.getPrincipal()).isEqualTo(ALICE);
        assertThat(second.getTargets()).containsExactly(ALICE);
        assertThat(second.getTriggerEventId()).isEqualTo("e4");
        assertThat(RecordSignatures.verify(second, TestSigning.KEY)).isEqualTo(RecordSignatures.Verification.VALID);
        drop("e5", at(1.6));
        assertThat(commands.isEmpty()).as("the second command's result is not in yet").isTrue();
    }

    @Test
    void aRevocationThatHeldIsNotReissued() {
        burst();
        RevokeCommand first = commands.readValue();
        result(first, RevocationOutcome.REVOKED, RESULT_KEY);
        drop("e4", at(1.5));
        drop("e5", at(2.0));
        assertThat(commands.isEmpty()).isTrue();
    }

    @Test
    void anUnverifiedFailureIsIgnored() {
        burst();
        RevokeCommand first = commands.readValue();
        result(first, RevocationOutcome.FAILED, OTHER_KEY);
        results.pipeInput(ALICE, RevocationResult.newBuilder(base(first, RevocationOutcome.FAILED)).build()); // unsigned
        drop("e4", at(1.5));
        assertThat(commands.isEmpty()).isTrue();
    }

    @Test
    void aReinstatementMidEpisodeIsReissued() {
        burst();
        RevokeCommand first = commands.readValue();
        result(first, RevocationOutcome.REVOKED, RESULT_KEY);
        drop("e4", at(1.5));
        assertThat(commands.isEmpty()).isTrue();
        results.pipeInput(ALICE, RecordSignatures.sign(RevocationResult.newBuilder(base(first, RevocationOutcome.REINSTATED))
                .setCommandId("reinstate-" + UUID.randomUUID()).setAction(RevocationAction.REINSTATE)
                .setOperator("oncall").setReason("false positive, they said").build(), RESULT_KEY));
        drop("e5", at(2.0));
        assertThat(commands.readValue().getCommandId()).isEqualTo(EPISODE + "#2");
    }

    @Test
    void reissuesStopAtTheCap() {
        RevokeCommand command = null;
        burst();
        command = commands.readValue();
        for (int i = 0; i < 2; i++) {
            result(command, RevocationOutcome.FAILED, RESULT_KEY);
            drop("r" + i, at(1.5 + i));
            command = commands.readValue();
            assertThat(command.getCommandId()).isEqualTo(EPISODE + "#" + (i + 2));
        }
        result(command, RevocationOutcome.FAILED, RESULT_KEY);
        drop("r9", at(4.0));
        assertThat(commands.isEmpty()).as("two re-issues allowed, both used").isTrue();
    }

    @Test
    void anEpisodeThatEndedIsNotReissuedButANewBurstIsCommandedAfresh() {
        burst();
        RevokeCommand first = commands.readValue();
        result(first, RevocationOutcome.FAILED, RESULT_KEY);
        long quiet = DetectionRule.defaults().episodeQuiet().toMillis() * 1_000;
        drop("late", at(0.9) + quiet + 1_000_000);
        assertThat(commands.isEmpty()).as("one drop outside the episode is not a burst").isTrue();
    }

    private void start(int max) {
        String registry = "mem://reissue-test-" + UUID.randomUUID();
        DetectionSerdes serdes = DetectionSerdes.forRegistry(registry);
        DetectionConfig config = DetectionConfig.fromMap(Map.of(
                DetectionConfig.BOOTSTRAP_SERVERS, "unused:9092",
                DetectionConfig.SCHEMA_REGISTRY_URL, registry,
                DetectionConfig.STATE_DIR, stateDir.toString()));
        driver = new TopologyTestDriver(DetectionTopology.build(List.of(DetectionRule.defaults()), serdes, null,
                DetectionMetrics.NONE, TestSigning.KEY, new ReissuePolicy(RESULT_KEY, max)), config.toStreamsProperties());
        audit = driver.createInputTopic(Topics.AUDIT_EVENTS, new StringSerializer(), serdes.auditEvents().serializer());
        results = driver.createInputTopic(Topics.KILLSWITCH_RESULTS, new StringSerializer(),
                serdes.revocationResults().serializer());
        commands = driver.createOutputTopic(Topics.KILLSWITCH_COMMANDS, new StringDeserializer(),
                serdes.revokeCommands().deserializer());
    }

    private void burst() {
        drop("e1", at(0.1));
        drop("e2", at(0.4));
        drop("e3", at(0.9));
    }

    private void drop(String id, long timeUs) {
        AuditEvent event = dropTables(ALICE, id, timeUs, "public.t_" + id);
        audit.pipeInput(ALICE, event, Instant.ofEpochMilli((timeUs + CAPTURE_DELAY_US) / 1000));
    }

    private void result(RevokeCommand command, RevocationOutcome outcome, SigningKey key) {
        results.pipeInput(ALICE, RecordSignatures.sign(base(command, outcome), key));
    }

    private static RevocationResult base(RevokeCommand command, RevocationOutcome outcome) {
        return RevocationResult.newBuilder().setCommandId(command.getCommandId()).setRuleId(command.getRuleId())
                .setPrincipal(command.getPrincipal()).setTarget(ALICE).setOutcome(outcome).setDetail("test")
                .setWindowStartUs(command.getWindowStartUs()).setWindowEndUs(command.getWindowEndUs())
                .setTriggerEventTimeUs(command.getTriggerEventTimeUs()).setStartedTimeUs(1).setCompletedTimeUs(2)
                .setAction(RevocationAction.REVOKE).setKind("postgres").build();
    }
}
