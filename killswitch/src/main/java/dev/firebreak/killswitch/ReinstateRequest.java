package dev.firebreak.killswitch;

import java.time.Duration;
import java.util.Objects;

/**
 * An operator's order to put one target back as it was before a revocation.
 *
 * @param reinstateId   unique id of this reinstatement; with the target, the idempotency key
 * @param previousState what the revocation recorded ({@link Revocation#previousState()})
 * @param operator      who asked, never blank
 * @param reason        why, never blank
 * @param dryRun        report what would be done, change nothing
 * @param deadlineNanos {@link System#nanoTime()} by which it must be confirmed or given up
 */
public record ReinstateRequest(String reinstateId, String previousState, String operator, String reason,
                               boolean dryRun, long deadlineNanos) {
    public ReinstateRequest {
        Objects.requireNonNull(reinstateId, "reinstateId");
        Objects.requireNonNull(previousState, "previousState");
        if (operator == null || operator.isBlank()) {
            throw new IllegalArgumentException("reinstatement needs an operator name");
        }
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("reinstatement needs a reason");
        }
    }

    /** A request with {@code timeout} from now. */
    public static ReinstateRequest of(String reinstateId, String previousState, String operator, String reason,
                                      boolean dryRun, Duration timeout) {
        return new ReinstateRequest(reinstateId, previousState, operator, reason, dryRun, System.nanoTime() + timeout.toNanos());
    }

    /** Time left before the deadline; zero or negative once it passed. */
    public Duration remaining() {
        return Duration.ofNanos(deadlineNanos - System.nanoTime());
    }
}
