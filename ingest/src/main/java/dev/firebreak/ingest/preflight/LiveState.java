package dev.firebreak.ingest.preflight;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.DecisionApproval;
import dev.firebreak.schema.PreflightDecision;
import dev.firebreak.schema.PreflightVerdict;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The principals' live state, as the topics tell it: revoked credentials (kill switch results),
 * open episodes (alerts), refused attempts and pending decisions (recorded decisions), and
 * operators' answers (approvals). Fed by {@link PreflightStateConsumer} and, so an instance reads its
 * own writes at once, by the decision service for the decisions it records (the same record arrives
 * again from the topic; applying it twice changes nothing, it is keyed by decision id).
 *
 * <p>Bounded: attempts older than the longest rule window, and decisions older than the retention,
 * are dropped as new ones arrive; at most {@value #MAX_ATTEMPTS_PER_PRINCIPAL} attempts per principal
 * are kept (a principal past that is past every sensible threshold anyway).
 */
public final class LiveState {
    static final int MAX_ATTEMPTS_PER_PRINCIPAL = 1000;

    private final Duration retention;
    private final Duration episodeHorizon;
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();
    /** principal -> severity -> newest alert time (us). */
    private final Map<String, Map<String, Long>> alerts = new ConcurrentHashMap<>();
    private final Map<String, Deque<Attempt>> attempts = new ConcurrentHashMap<>();
    private final Map<String, PreflightDecision> decisions = new ConcurrentHashMap<>();
    private final Map<String, DecisionApproval> answers = new ConcurrentHashMap<>();

    /** One denied or held attempt. */
    private record Attempt(String decisionId, long timeUs) {
    }

    /** Where a decision stands. */
    public enum Status { PENDING, APPROVED, REJECTED, EXPIRED, DENIED, UNKNOWN }

    /**
     * @param retention      how long attempts and decisions are kept (at least the longest rule window)
     * @param episodeHorizon how long after its alert an episode counts as open
     */
    public LiveState(Duration retention, Duration episodeHorizon) {
        this.retention = retention;
        this.episodeHorizon = episodeHorizon;
    }

    /** A kill switch result: a revoke marks target and principal revoked, a reinstatement clears them. */
    public void onResult(RevocationResult result) {
        RevocationOutcome outcome = result.getOutcome();
        if (result.getAction() == RevocationAction.REINSTATE && outcome == RevocationOutcome.REINSTATED) {
            revoked.remove(result.getTarget());
            revoked.remove(result.getPrincipal());
        } else if (result.getAction() == RevocationAction.REVOKE
                && (outcome == RevocationOutcome.REVOKED || outcome == RevocationOutcome.ALREADY_REVOKED)) {
            revoked.add(result.getTarget());
            revoked.add(result.getPrincipal());
        }
    }

    /** An alert: opens (or extends) an episode for its principal and owner at its severity. */
    public void onAlert(Alert alert) {
        String severity = alert.getSeverity().name().toLowerCase(Locale.ROOT);
        for (String p : new String[] {alert.getPrincipal(), alert.getOwner()}) {
            if (p != null) {
                alerts.computeIfAbsent(p, k -> new ConcurrentHashMap<>()).merge(severity, alert.getCreatedTimeUs(), Math::max);
            }
        }
    }

    /** A recorded decision: a deny or an ask counts as a refused attempt; an ask is pending until answered. */
    public void onDecision(PreflightDecision decision) {
        if (decision.getDecision() != PreflightVerdict.DENY && decision.getDecision() != PreflightVerdict.ASK) {
            return;
        }
        if (decisions.putIfAbsent(decision.getDecisionId(), decision) != null) {
            return;
        }
        Deque<Attempt> list = attempts.computeIfAbsent(decision.getPrincipal(), k -> new ArrayDeque<>());
        synchronized (list) {
            list.addLast(new Attempt(decision.getDecisionId(), decision.getDecidedTimeUs()));
            while (list.size() > MAX_ATTEMPTS_PER_PRINCIPAL) {
                decisions.remove(list.removeFirst().decisionId());
            }
        }
        prune(decision.getDecidedTimeUs());
    }

    /**
     * An operator's answer. Only a pending ask can be answered (one given after its expiry changes
     * nothing); the first answer stands. The two topics are not ordered with each other, so an answer
     * may arrive before its decision: it is kept, and judged when the decision arrives.
     */
    public void onApproval(DecisionApproval approval, long nowUs) {
        PreflightDecision decision = decisions.get(approval.getDecisionId());
        if (decision == null || status(approval.getDecisionId(), nowUs) == Status.PENDING) {
            answers.putIfAbsent(approval.getDecisionId(), approval);
        }
    }

    /** Where decision {@code id} stands at {@code nowUs}. */
    public Status status(String id, long nowUs) {
        PreflightDecision decision = decisions.get(id);
        if (decision == null) {
            return Status.UNKNOWN;
        }
        if (decision.getDecision() == PreflightVerdict.DENY) {
            return Status.DENIED;
        }
        DecisionApproval answer = answers.get(id);
        if (answer != null && answer.getDecidedTimeUs() <= decision.getExpiresTimeUs()) {
            return answer.getApproved() ? Status.APPROVED : Status.REJECTED;
        }
        return nowUs > decision.getExpiresTimeUs() ? Status.EXPIRED : Status.PENDING;
    }

    /** The recorded decision {@code id}, if it is known here. */
    public Optional<PreflightDecision> decision(String id) {
        return Optional.ofNullable(decisions.get(id));
    }

    /** The operator's answer to {@code id}, if there is one. */
    public Optional<DecisionApproval> answer(String id) {
        return Optional.ofNullable(answers.get(id));
    }

    /** The view decision rules read for {@code principal} acting with {@code credential} (nullable) at {@code nowUs}. */
    public PrincipalView view(String principal, String credential, long nowUs) {
        return new PrincipalView() {
            @Override
            public boolean revoked() {
                return revoked.contains(principal) || (credential != null && revoked.contains(credential));
            }

            @Override
            public boolean openEpisode(Set<String> severities) {
                long since = nowUs - episodeHorizon.toNanos() / 1000;
                return open(principal, severities, since) || (credential != null && open(credential, severities, since));
            }

            @Override
            public int refusedAttempts(Duration window) {
                return countRefused(principal, nowUs - window.toNanos() / 1000, nowUs);
            }
        };
    }

    private boolean open(String principal, Set<String> severities, long sinceUs) {
        Map<String, Long> bySeverity = alerts.get(principal);
        return bySeverity != null && bySeverity.entrySet().stream()
                .anyMatch(e -> severities.contains(e.getKey()) && e.getValue() >= sinceUs);
    }

    private int countRefused(String principal, long sinceUs, long nowUs) {
        Deque<Attempt> list = attempts.get(principal);
        if (list == null) {
            return 0;
        }
        int n = 0;
        synchronized (list) {
            for (Attempt a : list) {
                if (a.timeUs() >= sinceUs && status(a.decisionId(), nowUs) != Status.APPROVED) {
                    n++;
                }
            }
        }
        return n;
    }

    private void prune(long nowUs) {
        long cutoff = nowUs - retention.toNanos() / 1000;
        for (Iterator<Map.Entry<String, Deque<Attempt>>> it = attempts.entrySet().iterator(); it.hasNext(); ) {
            Deque<Attempt> list = it.next().getValue();
            synchronized (list) {
                while (!list.isEmpty() && list.peekFirst().timeUs() < cutoff) {
                    String id = list.removeFirst().decisionId();
                    decisions.remove(id);
                    answers.remove(id);
                }
            }
        }
    }
}
