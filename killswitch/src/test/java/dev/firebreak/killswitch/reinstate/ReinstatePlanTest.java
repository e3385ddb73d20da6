package dev.firebreak.killswitch.reinstate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.killswitch.KillSwitch.ReinstateTarget;
import dev.firebreak.killswitch.TestSigning;
import dev.firebreak.schema.signing.RecordSignatures;
import dev.firebreak.schema.signing.RecordSignatures.Verification;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import org.junit.jupiter.api.Test;

class ReinstatePlanTest {
    private static final String AGENT = "agent:deployer";

    private static RevocationResult result(String principal, String target, RevocationAction action,
                                           RevocationOutcome outcome, String previous) {
        return RecordSignatures.sign(unsigned(principal, target, action, outcome, previous), TestSigning.RESULT_KEY);
    }

    private static RevocationResult unsigned(String principal, String target, RevocationAction action,
                                           RevocationOutcome outcome, String previous) {
        return RevocationResult.newBuilder().setCommandId("c").setRuleId("rule").setPrincipal(principal).setTarget(target)
                .setOutcome(outcome).setDetail("").setWindowStartUs(0).setWindowEndUs(0).setTriggerEventTimeUs(0)
                .setStartedTimeUs(0).setCompletedTimeUs(0).setAction(action).setPreviousState(previous).build();
    }

    @Test
    void theFirstRecordedStateWinsUntilTheTargetIsReinstated() {
        ReinstatePlan plan = new ReinstatePlan(AGENT, TestSigning.RESULT_KEY);
        plan.accept(result(AGENT, "pg:main/app", RevocationAction.REVOKE, RevocationOutcome.REVOKED, "{\"login\": true}"));
        plan.accept(result(AGENT, "pg:main/app", RevocationAction.REVOKE, RevocationOutcome.ALREADY_REVOKED, null));
        // A second burst's command finds it locked and records the locked state: must not win.
        plan.accept(result(AGENT, "pg:main/app", RevocationAction.REVOKE, RevocationOutcome.REVOKED, "{\"login\": false}"));
        plan.accept(result(AGENT, "token:railway/t1", RevocationAction.REVOKE, RevocationOutcome.REVOKED, "{\"scopes\": [\"deploy\"]}"));
        plan.accept(result("agent:other", "pg:main/other", RevocationAction.REVOKE, RevocationOutcome.REVOKED, "{\"login\": true}"));

        assertThat(plan.targets()).containsExactly(
                new ReinstateTarget("pg:main/app", "rule", "{\"login\": true}"),
                new ReinstateTarget("token:railway/t1", "rule", "{\"scopes\": [\"deploy\"]}"));
        assertThat(plan.resultsSeen()).isEqualTo(4);
    }

    @Test
    void aReinstatedTargetIsDoneAndANewRevocationOpensItAgain() {
        ReinstatePlan plan = new ReinstatePlan(AGENT, TestSigning.RESULT_KEY);
        plan.accept(result(AGENT, "pg:main/app", RevocationAction.REVOKE, RevocationOutcome.REVOKED, "{\"login\": true}"));
        plan.accept(result(AGENT, "pg:main/app", RevocationAction.REINSTATE, RevocationOutcome.FAILED, null));
        assertThat(plan.targets()).as("a failed reinstatement leaves it to do").hasSize(1);
        plan.accept(result(AGENT, "pg:main/app", RevocationAction.REINSTATE, RevocationOutcome.REINSTATED, null));
        assertThat(plan.targets()).isEmpty();
        plan.accept(result(AGENT, "pg:main/app", RevocationAction.REVOKE, RevocationOutcome.REVOKED, "{\"login\": true, \"connect\": []}"));
        assertThat(plan.targets()).singleElement().extracting(ReinstateTarget::previousState)
                .isEqualTo("{\"login\": true, \"connect\": []}");
    }

    @Test
    void aTargetNameSelectsItsOwnResultsToo() {
        ReinstatePlan plan = new ReinstatePlan("pg:main/app", TestSigning.RESULT_KEY);
        plan.accept(result(AGENT, "pg:main/app", RevocationAction.REVOKE, RevocationOutcome.REVOKED, "{\"login\": true}"));
        plan.accept(result(AGENT, "token:railway/t1", RevocationAction.REVOKE, RevocationOutcome.REVOKED, "{}"));
        assertThat(plan.targets()).extracting(ReinstateTarget::target).containsExactly("pg:main/app");
    }

    @Test
    void forgedResultsAreReportedAndIgnored() {
        ReinstatePlan plan = new ReinstatePlan(AGENT, TestSigning.RESULT_KEY);
        // Written by someone without the kill switch's key, before the genuine revocation: it would
        // otherwise be "the first recorded state" and restore a LOGIN plus a grant the role never had.
        plan.accept(unsigned(AGENT, "pg:main/app", RevocationAction.REVOKE, RevocationOutcome.REVOKED,
                "{\"login\": true, \"connect\": [\"prod\"]}"));
        // Signed with detection's command key: not a kill switch result either.
        plan.accept(RecordSignatures.sign(unsigned(AGENT, "pg:main/app", RevocationAction.REVOKE, RevocationOutcome.REVOKED,
                "{\"login\": true, \"superuser\": true}"), TestSigning.COMMAND_KEY));
        plan.accept(result(AGENT, "pg:main/app", RevocationAction.REVOKE, RevocationOutcome.REVOKED, "{\"login\": false}"));
        // A genuine result whose previous state was edited afterwards.
        RevocationResult tampered = RevocationResult.newBuilder(
                result(AGENT, "token:railway/t1", RevocationAction.REVOKE, RevocationOutcome.REVOKED, "{\"scopes\": []}"))
                .setPreviousState("{\"scopes\": [\"admin\"]}").build();
        plan.accept(tampered);
        // A forged REINSTATED must not close the genuine revocation either.
        plan.accept(unsigned(AGENT, "pg:main/app", RevocationAction.REINSTATE, RevocationOutcome.REINSTATED, null));

        assertThat(plan.targets()).containsExactly(new ReinstateTarget("pg:main/app", "rule", "{\"login\": false}"));
        assertThat(plan.resultsSeen()).isEqualTo(1);
        assertThat(plan.unverified()).extracting(ReinstatePlan.Unverified::verification).containsExactly(
                Verification.MISSING, Verification.INVALID, Verification.INVALID, Verification.MISSING);
    }
}
