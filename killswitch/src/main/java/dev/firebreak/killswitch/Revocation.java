package dev.firebreak.killswitch;

import dev.firebreak.schema.Micros;
import dev.firebreak.schema.RevocationOutcome;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link Revoker} did to one target.
 *
 * @param outcome         REVOKED, ALREADY_REVOKED, REFUSED_PROTECTED, FAILED, DRY_RUN or REINSTATED
 * @param detail          human-readable explanation, goes to the result and the alert
 * @param terminatedPids  sessions (or equivalent) the revoker ended; empty for anything but a revocation
 * @param completedTimeUs epoch micros when the target was confirmed locked and its sessions gone (or
 *                        when the revoker gave up or refused)
 * @param previousState   revoker-specific JSON of the target's state before a REVOKED revocation, what
 *                        {@link Revoker#reinstate} restores; empty otherwise
 * @param retryable       for FAILED: a later attempt may succeed (target unreachable, timeout)
 * @param untilDeadline   for a retryable FAILED: someone else is expected to cure it shortly (a privilege
 *                        about to be granted), so it is retried until the command's deadline however many
 *                        attempts that takes, rather than within the configured attempts
 */
public record Revocation(RevocationOutcome outcome, String detail, List<Integer> terminatedPids, long completedTimeUs,
                         String previousState, boolean retryable, boolean untilDeadline) {
    public Revocation {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(detail, "detail");
        terminatedPids = List.copyOf(terminatedPids);
        previousState = previousState == null ? "" : previousState;
        retryable = retryable && outcome == RevocationOutcome.FAILED;
        untilDeadline = untilDeadline && retryable;
    }

    /** Retried, if retryable, only within the configured attempts. */
    public Revocation(RevocationOutcome outcome, String detail, List<Integer> terminatedPids, long completedTimeUs,
                      String previousState, boolean retryable) {
        this(outcome, detail, terminatedPids, completedTimeUs, previousState, retryable, false);
    }

    /** Without previous state, not retryable. */
    public Revocation(RevocationOutcome outcome, String detail, List<Integer> terminatedPids, long completedTimeUs) {
        this(outcome, detail, terminatedPids, completedTimeUs, "", false);
    }

    /** A failure that retrying will not cure: nothing can be claimed about the target. */
    public static Revocation failed(String detail) {
        return new Revocation(RevocationOutcome.FAILED, detail, List.of(), Micros.now(), "", false);
    }

    /** A failure a later attempt may cure (unreachable, timed out): the kill switch retries it until the deadline. */
    public static Revocation retryable(String detail) {
        return new Revocation(RevocationOutcome.FAILED, detail, List.of(), Micros.now(), "", true);
    }

    /**
     * A failure that nothing changed and that someone else cures without us (a missing privilege being
     * granted on a schedule): retried until the command's deadline, past the configured attempts.
     */
    public static Revocation retryableUntilDeadline(String detail) {
        return new Revocation(RevocationOutcome.FAILED, detail, List.of(), Micros.now(), "", true, true);
    }

    /** A simple outcome without sessions or previous state, completed now. */
    public static Revocation of(RevocationOutcome outcome, String detail) {
        return new Revocation(outcome, detail, List.of(), Micros.now(), "", false);
    }

    /** A confirmed revocation that changed the target; {@code previousState} is what reinstate restores. */
    public static Revocation revoked(String detail, String previousState) {
        return new Revocation(RevocationOutcome.REVOKED, detail, List.of(), Micros.now(), previousState, false);
    }
}
