package dev.firebreak.killswitch;

import dev.firebreak.schema.Principal;
import dev.firebreak.schema.Micros;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Severity;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KillSwitchTest {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    /** Answers from a script keyed by role name and records what it was asked. */
    private static final class ScriptedRevoker implements Revoker {
        final Map<String, RevocationOutcome> script;
        final List<String> calls = new ArrayList<>();

        ScriptedRevoker(Map<String, RevocationOutcome> script) {
            this.script = script;
        }

        @Override
        public boolean handles(Principal target) {
            return target.namespace().equals("pg") && "prod".equals(target.scope());
        }

        @Override
        public String describe() {
            return "pg:prod/*";
        }

        @Override
        public String kind() {
            return "postgres";
        }

        @Override
        public Revocation reinstate(Principal target, ReinstateRequest request) {
            calls.add("reinstate " + target.name() + " " + request.previousState());
            return Revocation.of(RevocationOutcome.REINSTATED, "scripted");
        }

        @Override
        public Revocation revoke(Principal target, RevokeRequest request) {
            List<Integer> backendPids = request.backendPids();
            boolean dryRun = request.dryRun();
            calls.add(target.name() + (dryRun ? " dry" : "") + " " + backendPids);
            if (target.name().equals("boom")) {
                throw new IllegalStateException("bug");
            }
            RevocationOutcome outcome = dryRun ? RevocationOutcome.DRY_RUN : script.get(target.name());
            return new Revocation(outcome, "scripted", outcome == RevocationOutcome.REVOKED ? List.of(41, 42) : List.of(),
                    Micros.now());
        }
    }

    private static RevokeCommand command(boolean dryRun, String... targets) {
        return RevokeCommand.newBuilder()
                .setCommandId("cmd-1").setRuleId("mass-drop").setPrincipal("pg:prod/agent")
                .setTargets(List.of(targets)).setBackendPids(List.of(42))
                .setWindowStartUs(1_700_000_000_000_000L).setWindowEndUs(1_700_000_009_000_000L)
                .setTriggerEventId("ev-9").setTriggerEventTimeUs(Micros.now() - 5_000).setIssuedTimeUs(Micros.now() - 2_000)
                .setDryRun(dryRun).build();
    }

    @Test
    void anUnverifiedCommandCallsNoRevokerAndReportsABoundedNumberOfTargets() {
        ScriptedRevoker pg = new ScriptedRevoker(Map.of());
        KillSwitch ks = new KillSwitch(List.of(pg), false, meters);
        String[] many = java.util.stream.IntStream.range(0, 50).mapToObj(i -> "pg:prod/r" + i).toArray(String[]::new);

        List<KillSwitch.Outcome> outcomes = ks.refuseUnverified(command(false, many), "signature missing");

        assertThat(pg.calls).isEmpty();
        assertThat(outcomes).hasSize(KillSwitch.MAX_UNVERIFIED_TARGETS).allSatisfy(o -> {
            assertThat(o.result().getOutcome()).isEqualTo(RevocationOutcome.FAILED);
            assertThat(o.result().getDetail()).contains("signature missing").contains("50 targets");
            assertThat(o.alert()).hasValueSatisfying(a -> {
                assertThat(a.getSeverity()).isEqualTo(dev.firebreak.schema.Severity.CRITICAL);
                assertThat(a.getAlertId()).startsWith("killswitch:unverified:cmd-1:");
            });
        });
    }

    @Test
    void eachTargetGoesToItsRevokerAndBecomesOneResult() {
        ScriptedRevoker pg = new ScriptedRevoker(Map.of("agent", RevocationOutcome.REVOKED, "old", RevocationOutcome.ALREADY_REVOKED));
        KillSwitch ks = new KillSwitch(List.of(pg), false, meters);

        List<KillSwitch.Outcome> outcomes = ks.execute(command(false, "pg:prod/agent", "pg:prod/old", "pg:prod/agent"));

        assertThat(pg.calls).containsExactly("agent [42]", "old [42]"); // duplicates revoked once
        assertThat(outcomes).hasSize(2).allSatisfy(o -> assertThat(o.alert()).isEmpty());
        RevocationResult first = outcomes.get(0).result();
        assertThat(first.getOutcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(first.getTarget()).isEqualTo("pg:prod/agent");
        assertThat(first.getCommandId()).isEqualTo("cmd-1");
        assertThat(first.getTerminatedPids()).containsExactly(41, 42);
        assertThat(first.getWindowEndUs()).isEqualTo(1_700_000_009_000_000L);
        assertThat(first.getCompletedTimeUs()).isGreaterThanOrEqualTo(first.getStartedTimeUs());
        assertThat(outcomes.get(1).result().getOutcome()).isEqualTo(RevocationOutcome.ALREADY_REVOKED);

        assertThat(meters.get(KillSwitch.REVOCATIONS).tag("outcome", "REVOKED").counter().count()).isEqualTo(1);
        assertThat(meters.get(KillSwitch.REVOCATIONS).tag("outcome", "ALREADY_REVOKED").counter().count()).isEqualTo(1);
        assertThat(meters.get(KillSwitch.COMMAND_TO_CONFIRMED).timer().count()).isEqualTo(1);
        assertThat(meters.get(KillSwitch.TRIGGER_TO_CONFIRMED).timer().count()).isEqualTo(1);
        assertThat(meters.get(KillSwitch.PRINCIPALS_REVOKED).counter().count()).as("one principal, two targets").isEqualTo(1);
    }

    @Test
    void principalsRevokedCountsOnlyCommandsThatLockedSomethingAndStartsAtZero() {
        ScriptedRevoker pg = new ScriptedRevoker(Map.of("agent", RevocationOutcome.REVOKED, "old", RevocationOutcome.ALREADY_REVOKED));
        KillSwitch ks = new KillSwitch(List.of(pg), false, meters);
        assertThat(meters.get(KillSwitch.PRINCIPALS_REVOKED).counter().count()).isZero();

        ks.execute(command(false, "pg:prod/old"));
        ks.execute(command(true, "pg:prod/agent"));
        assertThat(meters.get(KillSwitch.PRINCIPALS_REVOKED).counter().count()).as("already revoked, dry run").isZero();

        ks.execute(command(false, "pg:prod/agent", "pg:prod/old"));
        ks.execute(command(false, "pg:prod/agent"));
        assertThat(meters.get(KillSwitch.PRINCIPALS_REVOKED).counter().count()).isEqualTo(2);
    }

    @Test
    void unhandledMalformedAndRefusedTargetsRaiseCriticalAlerts() {
        ScriptedRevoker pg = new ScriptedRevoker(Map.of("postgres", RevocationOutcome.REFUSED_PROTECTED));
        KillSwitch ks = new KillSwitch(List.of(pg), false, meters);

        List<KillSwitch.Outcome> outcomes = ks.execute(command(false,
                "pg:staging/agent", "token:github/abc", "nonsense", "pg:prod/postgres", "pg:prod/boom"));

        assertThat(outcomes).extracting(o -> o.result().getOutcome()).containsExactly(RevocationOutcome.FAILED,
                RevocationOutcome.FAILED, RevocationOutcome.FAILED, RevocationOutcome.REFUSED_PROTECTED, RevocationOutcome.FAILED);
        assertThat(outcomes.get(0).result().getDetail()).startsWith("no revoker for pg:staging/agent").contains("pg:prod/*");
        assertThat(outcomes.get(1).result().getDetail()).startsWith("no revoker for token:github/abc");
        assertThat(outcomes.get(2).result().getDetail()).startsWith("malformed target");
        assertThat(outcomes.get(4).result().getDetail()).contains("revoker error");
        assertThat(outcomes).allSatisfy(o -> {
            Alert alert = o.alert().orElseThrow();
            assertThat(alert.getSeverity()).isEqualTo(Severity.CRITICAL);
            assertThat(alert.getResponse()).isEqualTo(Response.ALERT_ONLY);
            assertThat(alert.getPrincipal()).isEqualTo("pg:prod/agent");
            assertThat(alert.getSummary()).contains(o.result().getTarget());
        });
        Alert refused = outcomes.get(3).alert().orElseThrow();
        assertThat(refused.getKind()).isEqualTo(AlertKind.REVOCATION_REFUSED);
        assertThat(refused.getAlertId()).isEqualTo("killswitch:cmd-1:pg:prod/postgres");
        assertThat(outcomes.get(0).alert().orElseThrow().getKind()).isEqualTo(AlertKind.REVOCATION_FAILED);
        assertThat(pg.calls).containsExactly("postgres [42]", "boom [42]");
        assertThat(meters.get(KillSwitch.REVOCATIONS).tag("outcome", "FAILED").counters().stream()
                .mapToDouble(c -> c.count()).sum()).isEqualTo(4);
    }

    @Test
    void dryRunComesFromTheCommandOrTheConfiguration() {
        ScriptedRevoker pg = new ScriptedRevoker(Map.of("agent", RevocationOutcome.REVOKED));
        assertThat(new KillSwitch(List.of(pg), false, meters).execute(command(true, "pg:prod/agent")))
                .singleElement().satisfies(o -> {
                    assertThat(o.result().getOutcome()).isEqualTo(RevocationOutcome.DRY_RUN);
                    assertThat(o.alert()).isEmpty();
                });
        new KillSwitch(List.of(pg), true, meters).execute(command(false, "pg:prod/agent"));
        assertThat(pg.calls).containsExactly("agent dry [42]", "agent dry [42]");
    }

    @Test
    void aCommandWithoutTargetsIsReportedNotDropped() {
        List<KillSwitch.Outcome> outcomes = new KillSwitch(List.of(), false, meters).execute(command(false));
        assertThat(outcomes).singleElement().satisfies(o -> {
            assertThat(o.result().getTarget()).isEqualTo("pg:prod/agent");
            assertThat(o.result().getOutcome()).isEqualTo(RevocationOutcome.FAILED);
            assertThat(o.result().getDetail()).isEqualTo("command has no targets");
            assertThat(o.alert()).isPresent();
        });
    }

    @Test
    void logTextCannotBeForgedWithLineBreaks() {
        assertThat(Printable.of("x\nINFO all good\u2028")).isEqualTo("x\\u000aINFO all good\\u2028");
    }
}
