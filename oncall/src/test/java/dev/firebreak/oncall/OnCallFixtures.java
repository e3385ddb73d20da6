package dev.firebreak.oncall;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.Severity;
import java.time.Instant;
import java.util.List;

/** Alerts and results as detection and the kill switch write them. */
final class OnCallFixtures {
    private OnCallFixtures() {
    }

    static long us(Instant instant) {
        return OnCallState.micros(instant);
    }

    static Alert.Builder ruleAlert(String id, String principal, Response response, Instant created) {
        return Alert.newBuilder()
                .setAlertId(id)
                .setKind(AlertKind.RULE_TRIGGERED)
                .setSeverity(Severity.CRITICAL)
                .setRuleId("drop-burst")
                .setPrincipal(principal)
                .setOwner("alice@example.com")
                .setSummary(principal + " dropped 12 tables in 5 s")
                .setResponse(response)
                .setWindowStartUs(us(created.minusSeconds(5)))
                .setWindowEndUs(us(created))
                .setObserved(12)
                .setThreshold(10)
                .setTriggerEventTimeUs(us(created))
                .setRecoveryLsn(0x1_6B37_4D48L)
                .setRecoveryTimeUs(us(created.minusSeconds(5)))
                .setSampleStatements(List.of("DROP TABLE a", "DROP TABLE b", "DROP TABLE c", "DROP TABLE d"))
                .setCreatedTimeUs(us(created))
                .setTriage("Check what the agent was asked to do");
    }

    static Alert killSwitchAlert(AlertKind kind, String commandId, String principal, String target, Instant created) {
        return Alert.newBuilder()
                .setAlertId(OnCallState.killSwitchAlertId(commandId, target))
                .setKind(kind)
                .setSeverity(Severity.CRITICAL)
                .setRuleId("drop-burst")
                .setPrincipal(principal)
                .setSummary("Kill switch FAILED to revoke target " + target)
                .setResponse(Response.ALERT_ONLY)
                .setWindowStartUs(us(created.minusSeconds(5)))
                .setWindowEndUs(us(created))
                .setObserved(0)
                .setThreshold(0)
                .setTriggerEventTimeUs(us(created))
                .setCreatedTimeUs(us(created))
                .setTriage("Revoke it by hand")
                .build();
    }

    static RevocationResult revoke(String commandId, String principal, String target, RevocationOutcome outcome,
                                   String kind, Instant completed) {
        return RevocationResult.newBuilder()
                .setCommandId(commandId)
                .setRuleId("drop-burst")
                .setPrincipal(principal)
                .setTarget(target)
                .setOutcome(outcome)
                .setDetail(outcome == RevocationOutcome.FAILED ? "issuer answered 503" : "locked")
                .setWindowStartUs(0)
                .setWindowEndUs(0)
                .setTriggerEventTimeUs(0)
                .setStartedTimeUs(us(completed) - 12_300)
                .setCompletedTimeUs(us(completed))
                .setAction(RevocationAction.REVOKE)
                .setKind(kind)
                .build();
    }

    static RevocationResult reinstate(String principal, String target, RevocationOutcome outcome, Instant completed) {
        return RevocationResult.newBuilder(revoke("reinstate-1", principal, target, outcome, "postgres", completed))
                .setAction(RevocationAction.REINSTATE)
                .setOperator("alice")
                .setReason("false positive, agent was migrating")
                .build();
    }
}
