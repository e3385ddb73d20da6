package dev.firebreak.ingest.preflight;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.DecisionApproval;
import dev.firebreak.schema.PreflightDecision;
import dev.firebreak.schema.PreflightVerdict;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.Severity;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LiveStateTest {
    private static final long T0 = 1_800_000_000_000_000L;
    private static final long MIN = 60_000_000L;
    private final LiveState state = new LiveState(Duration.ofHours(1), Duration.ofMinutes(15));

    static PreflightDecision decision(String id, PreflightVerdict verdict, long timeUs) {
        return PreflightDecision.newBuilder().setDecisionId(id).setPrincipal("agent:bot").setCredential("token:p/t")
                .setDecision(verdict).setRuleId("r").setReason("why").setDestructive(true).setTool("bash").setInput("x")
                .setDecidedTimeUs(timeUs).setExpiresTimeUs(timeUs + 5 * MIN).build();
    }

    private static DecisionApproval answer(String id, boolean approved) {
        return answer(id, approved, T0);
    }

    private static DecisionApproval answer(String id, boolean approved, long timeUs) {
        return DecisionApproval.newBuilder().setDecisionId(id).setApproved(approved).setOperator("alice").setReason("ok")
                .setDecidedTimeUs(timeUs).build();
    }

    @Test
    void anAnswerReadBeforeItsDecisionStillCountsAndOneGivenAfterTheExpiryDoesNot() {
        state.onApproval(answer("d9", true, T0 + MIN), T0 + MIN);
        state.onDecision(decision("d9", PreflightVerdict.ASK, T0));
        assertThat(state.status("d9", T0 + MIN)).isEqualTo(LiveState.Status.APPROVED);

        state.onApproval(answer("d8", true, T0 + 6 * MIN), T0 + 6 * MIN);
        state.onDecision(decision("d8", PreflightVerdict.ASK, T0));
        assertThat(state.status("d8", T0 + 6 * MIN)).isEqualTo(LiveState.Status.EXPIRED);
    }

    @Test
    void refusedAttemptsCountWithinTheWindowOnceEachAndApprovedOnesDoNot() {
        state.onDecision(decision("d1", PreflightVerdict.ASK, T0));
        state.onDecision(decision("d1", PreflightVerdict.ASK, T0)); // read again from the topic
        state.onDecision(decision("d2", PreflightVerdict.DENY, T0 + MIN));
        PrincipalView view = state.view("agent:bot", null, T0 + 2 * MIN);
        assertThat(view.refusedAttempts(Duration.ofMinutes(10))).isEqualTo(2);
        assertThat(view.refusedAttempts(Duration.ofSeconds(90))).isEqualTo(1);

        state.onApproval(answer("d1", true), T0 + 2 * MIN);
        assertThat(state.status("d1", T0 + 2 * MIN)).isEqualTo(LiveState.Status.APPROVED);
        assertThat(state.view("agent:bot", null, T0 + 2 * MIN).refusedAttempts(Duration.ofMinutes(10))).isEqualTo(1);
        assertThat(state.status("d2", T0 + 2 * MIN)).isEqualTo(LiveState.Status.DENIED);
        assertThat(state.status("nope", T0)).isEqualTo(LiveState.Status.UNKNOWN);
    }

    @Test
    void anAskExpiresAndALateOrSecondAnswerChangesNothing() {
        state.onDecision(decision("d1", PreflightVerdict.ASK, T0));
        assertThat(state.status("d1", T0 + MIN)).isEqualTo(LiveState.Status.PENDING);
        state.onApproval(answer("d1", true), T0 + 6 * MIN);
        assertThat(state.status("d1", T0 + 6 * MIN)).isEqualTo(LiveState.Status.EXPIRED);

        state.onDecision(decision("d2", PreflightVerdict.ASK, T0));
        state.onApproval(answer("d2", false), T0 + MIN);
        state.onApproval(answer("d2", true), T0 + MIN);
        assertThat(state.status("d2", T0 + MIN)).isEqualTo(LiveState.Status.REJECTED);
    }

    @Test
    void revocationAndReinstatementOfTheCredentialOrTheAgent() {
        state.onResult(result("agent:bot", "token:p/t", RevocationAction.REVOKE, RevocationOutcome.REVOKED));
        assertThat(state.view("agent:other", "token:p/t", T0).revoked()).isTrue();
        assertThat(state.view("agent:bot", null, T0).revoked()).isTrue();
        state.onResult(result("agent:bot", "token:p/t", RevocationAction.REINSTATE, RevocationOutcome.REINSTATED));
        assertThat(state.view("agent:bot", "token:p/t", T0).revoked()).isFalse();
        state.onResult(result("agent:bot", "token:p/t", RevocationAction.REVOKE, RevocationOutcome.FAILED));
        assertThat(state.view("agent:bot", "token:p/t", T0).revoked()).isFalse();
    }

    @Test
    void anEpisodeIsOpenForItsSeverityUntilTheHorizon() {
        state.onAlert(Alert.newBuilder().setAlertId("a").setKind(AlertKind.RULE_TRIGGERED).setSeverity(Severity.CRITICAL)
                .setRuleId("r").setPrincipal("agent:bot").setSummary("s").setResponse(Response.REVOKE).setWindowStartUs(T0)
                .setWindowEndUs(T0).setObserved(1).setThreshold(1).setTriggerEventTimeUs(T0).setCreatedTimeUs(T0).build());
        assertThat(state.view("agent:bot", null, T0 + 14 * MIN).openEpisode(Set.of("critical"))).isTrue();
        assertThat(state.view("agent:bot", null, T0 + 14 * MIN).openEpisode(Set.of("high"))).isFalse();
        assertThat(state.view("agent:bot", null, T0 + 16 * MIN).openEpisode(Set.of("critical"))).isFalse();
    }

    private static RevocationResult result(String principal, String target, RevocationAction action, RevocationOutcome outcome) {
        return RevocationResult.newBuilder().setCommandId("c").setRuleId("r").setPrincipal(principal).setTarget(target)
                .setOutcome(outcome).setDetail("d").setWindowStartUs(T0).setWindowEndUs(T0).setTriggerEventTimeUs(T0)
                .setStartedTimeUs(T0).setCompletedTimeUs(T0).setAction(action).build();
    }
}
