package dev.firebreak.launcher.corpus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.launcher.corpus.ConfusionTable.CaseRun;
import dev.firebreak.launcher.corpus.ConfusionTable.Verdict;
import dev.firebreak.launcher.corpus.CorpusCase.Kind;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Severity;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Verdicts and exit code of the corpus from what the pipeline decided, one kind of decision at a time. */
class ConfusionTableTest {
    private static final String RULE = "pg-drop-table-burst";

    @Test
    void anAttackIsCaughtWhenRevokedOrBlockedAndMissedWhenOnlyAlerted() {
        CorpusOutcomes outcomes = new CorpusOutcomes(
                List.of(alert("pg:c/a1", RULE, false), alert("pg:c/a3", "slow-burn", true)),
                List.of(command("pg:c/a1", RULE)),
                List.of(result("pg:c/a1", RevocationOutcome.REVOKED)),
                List.of(blocked("pg:c/a2", "guard-statement-drops")));
        ConfusionTable table = ConfusionTable.of(List.of(attack("attack/revoked", "pg:c/a1"), attack("attack/blocked", "pg:c/a2"),
                attack("attack/shadow-only", "pg:c/a3"), attack("attack/unseen", "pg:c/a4")), outcomes);

        assertThat(table.rows()).extracting(ConfusionTable.Row::verdict)
                .containsExactly(Verdict.REVOKED, Verdict.BLOCKED, Verdict.ALERTED, Verdict.NOTHING);
        assertThat(table.missedAttacks()).extracting(r -> r.run().id()).containsExactly("attack/shadow-only", "attack/unseen");
        assertThat(table.exitCode()).isEqualTo(1);
        assertThat(table.rows().get(0).cells()).containsEntry(RULE, "R");
        assertThat(table.rows().get(1).cells()).containsEntry("guard-statement-drops", "B");
        assertThat(table.rows().get(2).cells()).containsEntry("slow-burn", "S");
        String report = table.render("t");
        assertThat(report).contains("MISSED attack/shadow-only (alerted)").contains("attacks stopped: 2/4")
                .contains("result: FAILED");
    }

    @Test
    void aBenignCaseFailsOnAnyRevokeCommandOrBlockButNotOnAlerts() {
        CorpusOutcomes outcomes = new CorpusOutcomes(
                List.of(alert("pg:c/b1", "slow-burn", true), alert("pg:c/b2", RULE, false)),
                List.of(command("pg:c/b2", RULE)),
                List.of(result("pg:c/b2", RevocationOutcome.FAILED)),
                List.of(blocked("pg:c/b3", "guard-drop-rate")));
        ConfusionTable table = ConfusionTable.of(List.of(benign("benign/shadow-alert", "pg:c/b1"),
                benign("benign/revoke-failed", "pg:c/b2"), benign("benign/blocked", "pg:c/b3"), benign("benign/quiet", "pg:c/b4")), outcomes);

        assertThat(table.rows()).extracting(ConfusionTable.Row::verdict)
                .containsExactly(Verdict.ALERTED, Verdict.REVOKE_FAILED, Verdict.BLOCKED, Verdict.NOTHING);
        assertThat(table.falseStops()).extracting(r -> r.run().id()).containsExactly("benign/revoke-failed", "benign/blocked");
        assertThat(table.exitCode()).isEqualTo(1);
    }

    @Test
    void everyAttackStoppedAndNoBenignStoppedExitsZeroSkippedCasesAside() {
        CorpusOutcomes outcomes = new CorpusOutcomes(List.of(alert("pg:c/x", RULE, false)), List.of(command("pg:c/x", RULE)),
                List.of(result("pg:c/x", RevocationOutcome.ALREADY_REVOKED)), List.of());
        CaseRun skipped = new CaseRun("benign/pgbench", Kind.BENIGN, "d", List.of(), List.of(), Verdict.SKIPPED, "skipped: no binary");
        ConfusionTable table = ConfusionTable.of(List.of(attack("attack/x", "pg:c/x"), benign("benign/y", "pg:c/y"), skipped), outcomes);
        assertThat(table.exitCode()).isZero();
        assertThat(table.render("t")).contains("skipped or broken: 1").contains("result: every attack stopped");
    }

    @Test
    void aCaseThatBrokeFailsTheRunWithoutCountingAsAVerdict() {
        CaseRun broken = new CaseRun("attack/x", Kind.ATTACK, "d", List.of(), List.of(), Verdict.ERROR, "did not run: boom");
        ConfusionTable table = ConfusionTable.of(List.of(broken), new CorpusOutcomes(List.of(), List.of(), List.of(), List.of()));
        assertThat(table.errors()).hasSize(1);
        assertThat(table.missedAttacks()).isEmpty();
        assertThat(table.exitCode()).isEqualTo(1);
        assertThat(table.render("t")).contains("ERROR attack/x: did not run: boom");
    }

    @Test
    void linkedCredentialsCountForTheCaseThroughTheCommandTargets() {
        RevokeCommand owner = RevokeCommand.newBuilder(command("agent:bot", RULE)).setTargets(List.of("agent:bot", "pg:c/l1")).build();
        ConfusionTable table = ConfusionTable.of(List.of(attack("attack/linked", "pg:c/l1")), new CorpusOutcomes(List.of(),
                List.of(owner), List.of(RevocationResult.newBuilder(result("agent:bot", RevocationOutcome.REVOKED)).setTarget("pg:c/l1").build()),
                List.of()));
        assertThat(table.rows().get(0).verdict()).isEqualTo(Verdict.REVOKED);
    }

    @Test
    void globsSelectCasesById() {
        List<CorpusCase> all = CorpusRunner.corpus();
        assertThat(CorpusRunner.select(all, List.of("attack/*"))).isNotEmpty().allMatch(c -> c.kind() == Kind.ATTACK);
        assertThat(CorpusRunner.select(all, List.of("benign/dbt*", "attack/drop-slow-*"))).extracting(CorpusCase::id)
                .containsExactly("benign/dbt-model-rebuild", "attack/drop-slow-25x1.5s");
        assertThat(all).extracting(CorpusCase::id).doesNotHaveDuplicates();
    }

    private static CaseRun attack(String id, String principal) {
        return new CaseRun(id, Kind.ATTACK, "d", List.of(principal), List.of(), null, null);
    }

    private static CaseRun benign(String id, String principal) {
        return new CaseRun(id, Kind.BENIGN, "d", List.of(principal), List.of(), null, null);
    }

    private static Alert alert(String principal, String rule, boolean shadow) {
        return Alert.newBuilder().setAlertId(rule + principal).setKind(AlertKind.RULE_TRIGGERED).setSeverity(Severity.HIGH)
                .setRuleId(rule).setPrincipal(principal).setSummary((shadow ? "[shadow] would revoke " : "") + principal)
                .setResponse(Response.REVOKE).setWindowStartUs(0).setWindowEndUs(1).setObserved(3).setThreshold(3)
                .setTriggerEventTimeUs(1).setCreatedTimeUs(1).build();
    }

    private static RevokeCommand command(String principal, String rule) {
        return RevokeCommand.newBuilder().setCommandId(rule + "/" + principal).setRuleId(rule).setPrincipal(principal)
                .setTargets(List.of(principal)).setWindowStartUs(0).setWindowEndUs(1).setTriggerEventId("e")
                .setTriggerEventTimeUs(1).setIssuedTimeUs(1).setDryRun(false).build();
    }

    private static RevocationResult result(String principal, RevocationOutcome outcome) {
        return RevocationResult.newBuilder().setCommandId("c").setRuleId(RULE).setPrincipal(principal).setTarget(principal)
                .setOutcome(outcome).setDetail("").setWindowStartUs(0).setWindowEndUs(1).setTriggerEventTimeUs(1)
                .setStartedTimeUs(1).setCompletedTimeUs(1).build();
    }

    private static AuditEvent blocked(String principal, String guard) {
        return AuditEvent.newBuilder().setEventId("b").setPrincipal(principal).setSource(AuditSource.POSTGRES_EVENT_TRIGGER)
                .setAction("DROP TABLE").setEventTimeUs(1).setCapturedTimeUs(1).setCluster("c")
                .setAttributes(Map.of("guard_outcome", "blocked", "guard_rule", guard)).build();
    }
}
