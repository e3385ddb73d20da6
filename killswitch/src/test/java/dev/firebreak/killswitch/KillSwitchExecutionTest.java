package dev.firebreak.killswitch;

import dev.firebreak.schema.Principal;
import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.Micros;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Parallel lanes, deadlines, retries and the age limit, with revokers that follow a script. */
class KillSwitchExecutionTest {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    /** A revoker for one namespace whose answers come from a queue (the last one repeats). */
    private static final class Scripted implements Revoker {
        final String namespace;
        final Deque<Supplier<Revocation>> answers = new ArrayDeque<>();
        volatile String thread;
        int calls;

        Scripted(String namespace) {
            this.namespace = namespace;
        }

        Scripted then(Supplier<Revocation> answer) {
            answers.add(answer);
            return this;
        }

        @Override
        public boolean handles(Principal target) {
            return target.namespace().equals(namespace);
        }

        @Override
        public String describe() {
            return namespace + ":*";
        }

        @Override
        public String kind() {
            return namespace;
        }

        @Override
        public synchronized Revocation revoke(Principal target, RevokeRequest request) {
            calls++;
            thread = Thread.currentThread().getName();
            Supplier<Revocation> next = answers.size() > 1 ? answers.poll() : answers.peek();
            return next.get();
        }

        @Override
        public Revocation reinstate(Principal target, ReinstateRequest request) {
            return Revocation.of(RevocationOutcome.REINSTATED, "back to " + request.previousState());
        }
    }

    private static KillSwitch.Settings settings(Duration deadline, int attempts) {
        return new KillSwitch.Settings(false, deadline, Duration.ofMinutes(10), attempts, Duration.ofMillis(5));
    }

    private static RevokeCommand command(long issuedUs, String... targets) {
        return RevokeCommand.newBuilder().setCommandId("cmd-7").setRuleId("rule").setPrincipal("agent:deployer")
                .setTargets(List.of(targets)).setWindowStartUs(0).setWindowEndUs(0).setTriggerEventId("e")
                .setTriggerEventTimeUs(issuedUs).setIssuedTimeUs(issuedUs).build();
    }

    @Test
    void targetsOfDifferentKindsAreRevokedInParallel() {
        // Each revoker waits until both have started: sequential execution would time out.
        CountDownLatch bothStarted = new CountDownLatch(2);
        Supplier<Revocation> meetThenRevoke = () -> {
            bothStarted.countDown();
            try {
                boolean met = bothStarted.await(2, TimeUnit.SECONDS);
                return met ? Revocation.revoked("done", "{}") : Revocation.failed("ran alone");
            } catch (InterruptedException e) {
                return Revocation.failed("interrupted");
            }
        };
        Scripted pg = new Scripted("pg").then(meetThenRevoke);
        Scripted token = new Scripted("token").then(meetThenRevoke);
        try (KillSwitch ks = new KillSwitch(List.of(pg, token), settings(Duration.ofSeconds(5), 1), meters)) {
            List<KillSwitch.Outcome> outcomes = ks.execute(command(Micros.now(), "pg:main/app", "token:railway/t1"));
            assertThat(outcomes).extracting(o -> o.result().getOutcome())
                    .containsExactly(RevocationOutcome.REVOKED, RevocationOutcome.REVOKED);
            assertThat(outcomes).extracting(o -> o.result().getKind()).containsExactly("pg", "token");
            assertThat(outcomes.get(0).result().getPreviousState()).isEqualTo("{}");
        }
        assertThat(pg.thread).isNotEqualTo(token.thread);
    }

    @Test
    void retryableFailuresAreRetriedAndNeverReportedAsDone() {
        Scripted flaky = new Scripted("pg")
                .then(() -> Revocation.retryable("connection refused"))
                .then(() -> Revocation.retryable("connection refused"))
                .then(() -> Revocation.revoked("locked", "{\"login\": true}"));
        Scripted down = new Scripted("token").then(() -> Revocation.retryable("503 from token service"));
        try (KillSwitch ks = new KillSwitch(List.of(flaky, down), settings(Duration.ofSeconds(5), 4), meters)) {
            List<KillSwitch.Outcome> outcomes = ks.execute(command(Micros.now(), "pg:main/app", "token:railway/t1"));

            RevocationResult recovered = outcomes.get(0).result();
            assertThat(recovered.getOutcome()).isEqualTo(RevocationOutcome.REVOKED);
            assertThat(recovered.getAttempts()).isEqualTo(3);
            assertThat(outcomes.get(0).alert()).isEmpty();

            RevocationResult failed = outcomes.get(1).result();
            assertThat(failed.getOutcome()).isEqualTo(RevocationOutcome.FAILED);
            assertThat(failed.getAttempts()).isEqualTo(4);
            assertThat(failed.getDetail()).contains("503").contains("after 4 attempts");
            assertThat(outcomes.get(1).alert()).hasValueSatisfying(a -> assertThat(a.getSummary()).contains("FAILED"));
        }
        assertThat(down.calls).isEqualTo(4);
        assertThat(meters.get(KillSwitch.RETRIES).tag("kind", "pg").counter().count()).isEqualTo(2);
    }

    @Test
    void aFailureSomeoneElseCuresIsRetriedPastTheAttemptsUntilTheDeadline() {
        Scripted granted = new Scripted("pg");
        for (int i = 0; i < 5; i++) {
            granted.then(() -> Revocation.retryableUntilDeadline("missing privilege: ADMIN OPTION on role app"));
        }
        granted.then(() -> Revocation.revoked("locked", "{\"login\": true}"));
        Scripted never = new Scripted("token").then(() -> Revocation.retryableUntilDeadline("missing privilege: scope"));
        long started = System.nanoTime();
        try (KillSwitch ks = new KillSwitch(List.of(granted, never), settings(Duration.ofMillis(600), 2), meters)) {
            List<KillSwitch.Outcome> outcomes = ks.execute(command(Micros.now(), "pg:main/app", "token:railway/t1"));

            RevocationResult locked = outcomes.get(0).result();
            assertThat(locked.getOutcome()).isEqualTo(RevocationOutcome.REVOKED);
            assertThat(locked.getAttempts()).isEqualTo(6);

            RevocationResult failed = outcomes.get(1).result();
            assertThat(failed.getOutcome()).isEqualTo(RevocationOutcome.FAILED);
            assertThat(failed.getAttempts()).isGreaterThan(6);
            assertThat(failed.getDetail()).contains("missing privilege: scope").contains("after " + failed.getAttempts() + " attempts");
            assertThat(outcomes.get(1).alert()).isPresent();
        }
        // Given up only when the next (capped) backoff and the margin would overrun the deadline.
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .isGreaterThanOrEqualTo(Duration.ofMillis(600 - KillSwitch.UNTIL_DEADLINE_MAX_BACKOFF_MS
                        - KillSwitch.UNTIL_DEADLINE_MARGIN_MS));
    }

    @Test
    void aNonRetryableFailureIsNotRetried() {
        Scripted pg = new Scripted("pg").then(() -> Revocation.failed("role does not exist"));
        try (KillSwitch ks = new KillSwitch(List.of(pg), settings(Duration.ofSeconds(5), 5), meters)) {
            assertThat(ks.execute(command(Micros.now(), "pg:main/ghost")).get(0).result().getAttempts()).isEqualTo(1);
        }
        assertThat(pg.calls).isEqualTo(1);
    }

    @Test
    void theDeadlineCutsASlowTargetWithoutHoldingBackTheOthers() {
        CountDownLatch release = new CountDownLatch(1);
        Scripted slow = new Scripted("token").then(() -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Revocation.revoked("too late", "{}");
        });
        Scripted fast = new Scripted("pg").then(() -> Revocation.revoked("locked", "{}"));
        try (KillSwitch ks = new KillSwitch(List.of(fast, slow), settings(Duration.ofMillis(200), 1), meters)) {
            List<KillSwitch.Outcome> outcomes = ks.execute(command(Micros.now(), "pg:main/app", "token:railway/t1"));
            assertThat(outcomes.get(0).result().getOutcome()).isEqualTo(RevocationOutcome.REVOKED);
            assertThat(outcomes.get(1).result().getOutcome()).isEqualTo(RevocationOutcome.FAILED);
            assertThat(outcomes.get(1).result().getDetail()).contains("command deadline");
            assertThat(outcomes.get(1).alert()).isPresent();
        } finally {
            release.countDown();
        }
    }

    @Test
    void aCommandWithAPassedDeadlineOrTooOldIsNotExecutedButReported() {
        Scripted pg = new Scripted("pg").then(() -> Revocation.revoked("locked", "{}"));
        try (KillSwitch ks = new KillSwitch(List.of(pg), settings(Duration.ofSeconds(5), 1), meters)) {
            RevokeCommand expired = RevokeCommand.newBuilder(command(Micros.now(), "pg:main/app"))
                    .setDeadlineTimeUs(Micros.now() - 1_000).build();
            assertThat(ks.execute(expired).get(0).result().getDetail()).contains("deadline").contains("passed");
            RevokeCommand old = command(Micros.now() - Duration.ofHours(1).toNanos() / 1_000, "pg:main/app");
            KillSwitch.Outcome outcome = ks.execute(old).get(0);
            assertThat(outcome.result().getOutcome()).isEqualTo(RevocationOutcome.FAILED);
            assertThat(outcome.result().getDetail()).contains("older than the maximum age");
            assertThat(outcome.alert()).isPresent();
        }
        assertThat(pg.calls).isZero();
    }

    @Test
    void theAgeLimitTrustsTheBrokersAppendTimeOverTheIssuersClock() {
        Scripted pg = new Scripted("pg").then(() -> Revocation.revoked("locked", "{}"));
        long hourUs = Duration.ofHours(1).toNanos() / 1_000;
        try (KillSwitch ks = new KillSwitch(List.of(pg), settings(Duration.ofSeconds(5), 1), meters)) {
            // detection's clock an hour behind: issued "an hour ago", but the broker appended it just now
            RevokeCommand skewedSlow = command(Micros.now() - hourUs, "pg:main/app");
            assertThat(ks.execute(skewedSlow, java.util.OptionalLong.of(Micros.now() - 1_000)).get(0).result().getOutcome())
                    .isEqualTo(RevocationOutcome.REVOKED);
            // detection's clock an hour ahead cannot make a command replayed from an old topic look fresh
            RevokeCommand replayed = command(Micros.now() + hourUs, "pg:main/app");
            KillSwitch.Outcome stale = ks.execute(replayed, java.util.OptionalLong.of(Micros.now() - hourUs)).get(0);
            assertThat(stale.result().getOutcome()).isEqualTo(RevocationOutcome.FAILED);
            assertThat(stale.result().getDetail()).contains("appended to Kafka at").contains("older than the maximum age");
            // without a broker time the issued time decides, as before
            assertThat(ks.execute(skewedSlow).get(0).result().getDetail()).contains("issued at").contains("older than");
        }
        assertThat(pg.calls).isEqualTo(1);
    }

    @Test
    void reinstateReportsOperatorReasonAndAction() {
        Scripted pg = new Scripted("pg");
        try (KillSwitch ks = new KillSwitch(List.of(pg), settings(Duration.ofSeconds(5), 1), meters)) {
            List<RevocationResult> results = ks.reinstate("reinstate:1", "agent:deployer",
                    List.of(new KillSwitch.ReinstateTarget("pg:main/app", "rule", "{\"login\": true}"),
                            new KillSwitch.ReinstateTarget("kafka:main/User:x", "rule", "[]")),
                    "alice", "false positive: planned migration", false, Duration.ofSeconds(2));
            assertThat(results.get(0).getOutcome()).isEqualTo(RevocationOutcome.REINSTATED);
            assertThat(results.get(0).getAction()).isEqualTo(RevocationAction.REINSTATE);
            assertThat(results.get(0).getOperator()).isEqualTo("alice");
            assertThat(results.get(0).getReason()).isEqualTo("false positive: planned migration");
            assertThat(results.get(0).getDetail()).contains("{\"login\": true}");
            assertThat(results.get(1).getOutcome()).as("no revoker for kafka here").isEqualTo(RevocationOutcome.FAILED);
        }
    }
}
