package dev.firebreak.killswitch.reinstate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.killswitch.KillSwitch.ReinstateTarget;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import org.junit.jupiter.api.Test;

class ReinstatePlanTest {
    private static final String AGENT = "agent:deployer";

    private static RevocationResult result(String principal, String target, RevocationAction action,
                                           RevocationOutcome outcome, String previous) {
        return RevocationResult.newBuilder().setCommandId("c").setRuleId("rule").setPrincipal(principal).setTarget(target)
                .setOutcome(outcome).setDetail("").setWindowStartUs(0).setWindowEndUs(0).setTriggerEventTimeUs(0)
                .setStartedTimeUs(0).setCompletedTimeUs(0).setAction(action).setPreviousState(previous).build();
    }

    @Test
    void theFirstRecordedStateWinsUntilTheTargetIsReinstated() {
        ReinstatePlan plan = new ReinstatePlan(AGENT);
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
        ReinstatePlan plan = new ReinstatePlan(AGENT);
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
        ReinstatePlan plan = new ReinstatePlan("pg:main/app");
        plan.accept(result(AGENT, "pg:main/app", RevocationAction.REVOKE, RevocationOutcome.REVOKED, "{\"login\": true}"));
        plan.accept(result(AGENT, "token:railway/t1", RevocationAction.REVOKE, RevocationOutcome.REVOKED, "{}"));
        assertThat(plan.targets()).extracting(ReinstateTarget::target).containsExactly("pg:main/app");
    }
}
