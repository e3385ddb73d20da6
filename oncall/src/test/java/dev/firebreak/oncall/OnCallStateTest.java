package dev.firebreak.oncall;

import static dev.firebreak.oncall.OnCallFixtures.killSwitchAlert;
import static dev.firebreak.oncall.OnCallFixtures.reinstate;
import static dev.firebreak.oncall.OnCallFixtures.revoke;
import static dev.firebreak.oncall.OnCallFixtures.ruleAlert;
import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.oncall.OnCallState.Notification;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class OnCallStateTest {
    static final Duration RESEND = Duration.ofSeconds(60);
    static final Duration HOLD = Duration.ofMinutes(15);
    static final Duration MAX_AGE = Duration.ofHours(24);
    static final Instant T0 = Instant.parse("2026-11-21T12:00:00Z");
    static final String AGENT = "pg:prod/agent_x";

    final OnCallState state = new OnCallState(RESEND, HOLD, MAX_AGE);

    @Test
    void alertOnlyFiresAtOnceIsResentAndResolvesAfterTheHold() {
        state.onAlert(ruleAlert("r1", AGENT, Response.ALERT_ONLY, T0).build(), T0);

        List<Notification> first = state.due(T0);
        assertThat(first).singleElement().satisfies(n -> {
            assertThat(n.resolved()).isFalse();
            assertThat(n.endsAt()).isEqualTo(T0.plus(RESEND.multipliedBy(3)));
        });
        delivered(first, 1, 1, T0);
        assertThat(state.due(T0.plusSeconds(10))).isEmpty();
        assertThat(state.due(T0.plus(RESEND))).singleElement().extracting(Notification::resolved).isEqualTo(false);
        assertThat(state.firing()).isEqualTo(1);

        Instant afterHold = T0.plus(HOLD).plusMillis(1);
        List<Notification> resolved = state.due(afterHold);
        assertThat(resolved).singleElement().satisfies(n -> {
            assertThat(n.resolved()).isTrue();
            assertThat(n.endsAt()).isEqualTo(afterHold);
            assertThat(n.resolution()).contains("held");
        });
        assertThat(state.firing()).isZero();
        delivered(resolved, 1, 1, afterHold);
        assertThat(state.tracked()).isZero();
        assertThat(state.due(afterHold.plus(RESEND))).isEmpty();
    }

    @Test
    void refusedRevocationIsHeldLikeAnAlertOnlyOne() {
        state.onAlert(killSwitchAlert(AlertKind.REVOCATION_REFUSED, "c1", AGENT, "pg:prod/postgres", T0), T0);
        assertThat(state.due(T0.plus(HOLD).minusSeconds(1))).singleElement().extracting(Notification::resolved).isEqualTo(false);
        assertThat(state.due(T0.plus(HOLD))).singleElement().extracting(Notification::resolved).isEqualTo(true);
    }

    @Test
    void revokeAlertListsWhatWasDoneAndStaysFiringUntilThePrincipalIsReinstated() {
        state.onAlert(ruleAlert("r1", AGENT, Response.REVOKE, T0).build(), T0);
        assertThat(state.due(T0)).singleElement().extracting(Notification::results).asList().isEmpty();

        state.onResult(revoke("r1", AGENT, "token:railway/abc", RevocationOutcome.REVOKED, "webhook", T0.plusMillis(20)), T0.plusMillis(30));
        state.onResult(revoke("r1", AGENT, AGENT, RevocationOutcome.REVOKED, "postgres", T0.plusMillis(25)), T0.plusMillis(30));
        // what was done changed: due again before the resend interval
        assertThat(state.due(T0.plusSeconds(1))).singleElement().satisfies(n -> assertThat(n.results())
                .extracting(RevocationResult::getTarget).containsExactly(AGENT, "token:railway/abc"));

        Instant later = T0.plus(HOLD).plus(Duration.ofHours(2));
        assertThat(state.due(later)).singleElement().extracting(Notification::resolved).isEqualTo(false);

        state.onResult(reinstate(AGENT, AGENT, RevocationOutcome.REINSTATED, later.plusSeconds(5)), later.plusSeconds(5));
        assertThat(state.due(later.plusSeconds(6))).singleElement().satisfies(n -> {
            assertThat(n.resolved()).isTrue();
            assertThat(n.resolution()).isEqualTo("principal reinstated");
        });
    }

    @Test
    void aReinstatementBeforeTheAlertOrOfAnotherPrincipalOrThatFailedDoesNotResolveIt() {
        state.onResult(reinstate(AGENT, AGENT, RevocationOutcome.REINSTATED, T0.minusSeconds(60)), T0);
        state.onAlert(ruleAlert("r1", AGENT, Response.REVOKE, T0).build(), T0);
        state.onResult(reinstate("pg:prod/other", "pg:prod/other", RevocationOutcome.REINSTATED, T0.plusSeconds(1)), T0.plusSeconds(1));
        state.onResult(reinstate(AGENT, AGENT, RevocationOutcome.FAILED, T0.plusSeconds(2)), T0.plusSeconds(2));

        assertThat(state.due(T0.plus(HOLD).plusSeconds(1))).singleElement().extracting(Notification::resolved).isEqualTo(false);
        assertThat(state.firing()).isEqualTo(1);
    }

    @Test
    void aCommandThatRevokedNothingIsHeldLikeAnAlertOnlyOne() {
        state.onAlert(ruleAlert("r1", AGENT, Response.REVOKE, T0).build(), T0);
        state.onResult(revoke("r1", AGENT, AGENT, RevocationOutcome.DRY_RUN, "postgres", T0.plusMillis(5)), T0);
        state.onResult(revoke("r1", AGENT, "pg:prod/postgres", RevocationOutcome.REFUSED_PROTECTED, "postgres", T0.plusMillis(5)), T0);
        assertThat(state.due(T0.plus(HOLD))).singleElement().extracting(Notification::resolved).isEqualTo(true);
    }

    @Test
    void aCommandThatRevokedOneTargetWaitsForTheReinstatement() {
        state.onAlert(ruleAlert("r1", AGENT, Response.REVOKE, T0).build(), T0);
        state.onResult(revoke("r1", AGENT, AGENT, RevocationOutcome.REVOKED, "postgres", T0.plusMillis(5)), T0);
        state.onResult(revoke("r1", AGENT, "pg:prod/postgres", RevocationOutcome.REFUSED_PROTECTED, "postgres", T0.plusMillis(5)), T0);
        assertThat(state.due(T0.plus(HOLD))).singleElement().extracting(Notification::resolved).isEqualTo(false);
    }

    @Test
    void failedRevocationResolvesWhenALaterAttemptOfTheSameCommandAndTargetRevokes() {
        String target = "token:railway/xyz";
        Instant created = T0.plusMillis(100);
        state.onResult(revoke("c:1", AGENT, target, RevocationOutcome.FAILED, "webhook", T0.plusMillis(90)), T0);
        state.onAlert(killSwitchAlert(AlertKind.REVOCATION_FAILED, "c:1", AGENT, target, created), created);
        assertThat(state.due(created)).singleElement().satisfies(n -> {
            assertThat(n.resolved()).isFalse();
            assertThat(n.results()).extracting(RevocationResult::getOutcome).containsExactly(RevocationOutcome.FAILED);
        });

        // another target of the command, and the same target of another command, change nothing
        state.onResult(revoke("c:1", AGENT, AGENT, RevocationOutcome.REVOKED, "postgres", T0.plusSeconds(1)), T0.plusSeconds(1));
        state.onResult(revoke("c:2", AGENT, target, RevocationOutcome.REVOKED, "webhook", T0.plusSeconds(1)), T0.plusSeconds(1));
        assertThat(state.due(T0.plus(HOLD).plusSeconds(1))).singleElement().extracting(Notification::resolved).isEqualTo(false);

        Instant retried = T0.plus(HOLD).plusSeconds(2);
        state.onResult(revoke("c:1", AGENT, target, RevocationOutcome.ALREADY_REVOKED, "webhook", retried), retried);
        assertThat(state.due(retried)).singleElement().satisfies(n -> {
            assertThat(n.resolved()).isTrue();
            assertThat(n.resolution()).isEqualTo("target ALREADY_REVOKED on retry");
        });
    }

    @Test
    void failedRevocationReadBeforeItsResultResolvesOnceLinkedAndRevoked() {
        String target = "token:railway/xyz";
        state.onAlert(killSwitchAlert(AlertKind.REVOCATION_FAILED, "c1", AGENT, target, T0), T0);
        assertThat(state.due(T0)).singleElement().extracting(Notification::results).asList().isEmpty();
        state.onResult(revoke("c1", AGENT, target, RevocationOutcome.FAILED, "webhook", T0.minusMillis(1)), T0);
        state.onResult(revoke("c1", AGENT, target, RevocationOutcome.REVOKED, "webhook", T0.plusSeconds(30)), T0.plusSeconds(30));
        assertThat(state.due(T0.plusSeconds(30))).singleElement().extracting(Notification::resolved).isEqualTo(true);
    }

    @Test
    void failedRevocationResolvesWhenItsTargetIsReinstated() {
        String target = "token:railway/xyz";
        state.onResult(revoke("c1", AGENT, target, RevocationOutcome.FAILED, "webhook", T0.minusMillis(1)), T0);
        state.onAlert(killSwitchAlert(AlertKind.REVOCATION_FAILED, "c1", AGENT, target, T0), T0);
        state.onResult(reinstate(AGENT, target, RevocationOutcome.REINSTATED, T0.plusSeconds(10)), T0.plusSeconds(10));
        assertThat(state.due(T0.plusSeconds(10))).singleElement().satisfies(n -> {
            assertThat(n.resolved()).isTrue();
            assertThat(n.resolution()).isEqualTo("target reinstated");
        });
    }

    @Test
    void anOlderResultReadLateDoesNotReplaceANewerOne() {
        String target = "token:railway/xyz";
        state.onResult(revoke("c1", AGENT, target, RevocationOutcome.FAILED, "webhook", T0.minusMillis(1)), T0);
        state.onAlert(killSwitchAlert(AlertKind.REVOCATION_FAILED, "c1", AGENT, target, T0), T0);
        state.onResult(revoke("c1", AGENT, target, RevocationOutcome.FAILED, "webhook", T0.plusSeconds(10)), T0.plusSeconds(10));
        state.onResult(revoke("c1", AGENT, target, RevocationOutcome.REVOKED, "webhook", T0.plusSeconds(5)), T0.plusSeconds(11));
        assertThat(state.due(T0.plusSeconds(11))).singleElement().satisfies(n -> {
            assertThat(n.resolved()).isFalse();
            assertThat(n.results()).extracting(RevocationResult::getOutcome).containsExactly(RevocationOutcome.FAILED);
        });
    }

    @Test
    void aResolutionIsPushedAgainUntilEveryAlertmanagerAcceptedIt() {
        state.onAlert(ruleAlert("r1", AGENT, Response.ALERT_ONLY, T0).build(), T0);
        delivered(state.due(T0), 2, 2, T0);
        Instant afterHold = T0.plus(HOLD);
        List<Notification> resolved = state.due(afterHold);
        delivered(resolved, 1, 2, afterHold);
        assertThat(state.tracked()).isEqualTo(1);
        assertThat(state.due(afterHold.plusSeconds(1))).isEmpty();

        List<Notification> again = state.due(afterHold.plus(RESEND));
        assertThat(again).singleElement().extracting(Notification::resolved).isEqualTo(true);
        delivered(again, 2, 2, afterHold.plus(RESEND));
        assertThat(state.tracked()).isZero();
    }

    @Test
    void aResolutionNobodyAcceptedIsDroppedOnceItsAnnouncedEndPassed() {
        state.onAlert(ruleAlert("r1", AGENT, Response.ALERT_ONLY, T0).build(), T0);
        Instant lastFiringPush = T0.plus(HOLD).minusSeconds(1);
        delivered(state.due(lastFiringPush), 1, 1, lastFiringPush);
        delivered(state.due(T0.plus(HOLD)), 0, 1, T0.plus(HOLD));
        assertThat(state.tracked()).isEqualTo(1);

        assertThat(state.due(T0.plus(HOLD).plus(RESEND))).singleElement().extracting(Notification::resolved).isEqualTo(true);
        // Alertmanager resolves it by itself once the last endsAt it was told has passed: nothing left to tell it
        assertThat(state.due(T0.plus(HOLD).plus(RESEND.multipliedBy(3)))).isEmpty();
        assertThat(state.tracked()).isZero();
    }

    @Test
    void aFailedFiringPushIsRetriedAtTheNextResend() {
        state.onAlert(ruleAlert("r1", AGENT, Response.REVOKE, T0).build(), T0);
        delivered(state.due(T0), 0, 1, T0);
        assertThat(state.due(T0.plusSeconds(1))).isEmpty();
        assertThat(state.due(T0.plus(RESEND))).singleElement().extracting(Notification::alertId).isEqualTo("r1");
    }

    @Test
    void aReplayOfAClosedEpisodeDoesNotFireAgainButANewerOneWithTheSameIdDoes() {
        Alert alert = ruleAlert("r1", AGENT, Response.ALERT_ONLY, T0).build();
        state.onAlert(alert, T0);
        Instant afterHold = T0.plus(HOLD);
        delivered(state.due(afterHold), 1, 1, afterHold);
        assertThat(state.tracked()).isZero();

        state.onAlert(alert, afterHold.plusSeconds(1));
        assertThat(state.due(afterHold.plusSeconds(1))).isEmpty();

        Instant reopened = afterHold.plusSeconds(2);
        state.onAlert(ruleAlert("r1", AGENT, Response.ALERT_ONLY, reopened).build(), reopened);
        assertThat(state.due(reopened)).singleElement().extracting(Notification::resolved).isEqualTo(false);
    }

    @Test
    void onRebuildAnAlertResolvedLongAgoIsNotPushedButOneResolvedJustNowIs() {
        Instant now = T0;
        state.onAlert(ruleAlert("old", AGENT, Response.ALERT_ONLY, now.minus(Duration.ofHours(2))).build(), now);
        state.onAlert(ruleAlert("recent", AGENT, Response.ALERT_ONLY, now.minus(HOLD).minusSeconds(60)).build(), now);
        state.onAlert(ruleAlert("firing", AGENT, Response.REVOKE, now.minus(Duration.ofHours(3))).build(), now);

        assertThat(state.due(now)).extracting(Notification::alertId, Notification::resolved)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("recent", true),
                        org.assertj.core.groups.Tuple.tuple("firing", false));
    }

    @Test
    void anAlertNobodyResolvedExpiresAtTheMaximumAge() {
        state.onAlert(ruleAlert("r1", AGENT, Response.REVOKE, T0).build(), T0);
        assertThat(state.due(T0.plus(MAX_AGE).minusSeconds(1))).singleElement().extracting(Notification::resolved).isEqualTo(false);
        assertThat(state.due(T0.plus(MAX_AGE))).singleElement().satisfies(n -> {
            assertThat(n.resolved()).isTrue();
            assertThat(n.resolution()).startsWith("expired");
        });
    }

    @Test
    void anUpdatedAlertIsDueAtOnceAndAnIdenticalOneIsNot() {
        Alert alert = ruleAlert("r1", AGENT, Response.ALERT_ONLY, T0).build();
        state.onAlert(alert, T0);
        delivered(state.due(T0), 1, 1, T0);
        state.onAlert(Alert.newBuilder(alert).build(), T0.plusSeconds(1));
        assertThat(state.due(T0.plusSeconds(1))).isEmpty();
        state.onAlert(Alert.newBuilder(alert).setObserved(20).build(), T0.plusSeconds(2));
        assertThat(state.due(T0.plusSeconds(2))).singleElement().extracting(n -> n.alert().getObserved()).isEqualTo(20L);
    }

    private void delivered(List<Notification> pushed, int accepted, int alertmanagers, Instant now) {
        state.delivered(pushed, accepted, alertmanagers, now);
    }
}
