package dev.firebreak.killswitch;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One target's share of a revoke command.
 *
 * @param commandId     the command's id; with the target, the idempotency key towards external systems
 * @param backendPids   sessions seen in the burst (PostgreSQL); terminated too if they belong to the target
 * @param dryRun        report what would be done, change nothing
 * @param deadlineNanos {@link System#nanoTime()} by which the revocation must be confirmed or given up
 */
public record RevokeRequest(String commandId, List<Integer> backendPids, boolean dryRun, long deadlineNanos) {
    public RevokeRequest {
        Objects.requireNonNull(commandId, "commandId");
        backendPids = List.copyOf(backendPids);
    }

    /** A request with {@code timeout} from now; for tests and tools. */
    public static RevokeRequest of(String commandId, List<Integer> backendPids, boolean dryRun, Duration timeout) {
        return new RevokeRequest(commandId, backendPids, dryRun, System.nanoTime() + timeout.toNanos());
    }

    /** Time left before the deadline; zero or negative once it passed. */
    public Duration remaining() {
        return Duration.ofNanos(deadlineNanos - System.nanoTime());
    }

    /** Whether the deadline passed. */
    public boolean expired() {
        return deadlineNanos - System.nanoTime() <= 0;
    }
}
