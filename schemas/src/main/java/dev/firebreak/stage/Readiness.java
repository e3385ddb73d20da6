package dev.firebreak.stage;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * The deadline of one {@link Stage#start}: what is left of it, and a wait for a health that turns
 * ready, which fails fast when the health says the stage is no longer live.
 */
public final class Readiness {
    /** Long enough to mean "as long as it takes" without overflowing nanosecond arithmetic. */
    public static final Duration UNBOUNDED = Duration.ofDays(36_500);
    private static final long POLL_MS = 50;

    private final Duration timeout;
    private final long timeoutNanos;
    private final long startNanos;

    private Readiness(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("readiness deadline must not be negative: " + timeout);
        }
        this.timeout = timeout.compareTo(UNBOUNDED) > 0 ? UNBOUNDED : timeout;
        this.timeoutNanos = this.timeout.toNanos();
        this.startNanos = System.nanoTime();
    }

    /** A deadline {@code timeout} from now. */
    public static Readiness within(Duration timeout) {
        return new Readiness(timeout);
    }

    /** The whole deadline, as given. */
    public Duration timeout() {
        return timeout;
    }

    /** What is left of it; zero once it passed. */
    public Duration remaining() {
        // elapsed, not an absolute deadline: nanoTime may be near overflow
        long left = timeoutNanos - (System.nanoTime() - startNanos);
        return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
    }

    /** What is left, but at most {@code cap}: for a step that has its own, shorter bound. */
    public Duration atMost(Duration cap) {
        Duration left = remaining();
        return left.compareTo(cap) < 0 ? left : cap;
    }

    /**
     * Polls {@code health} until it is ready.
     *
     * @param what how the waiting stage is called in messages, e.g. {@code detection}
     * @throws IllegalStateException {@code "<what> failed to start: <detail>"} once it is not live,
     *                               {@code "<what> not ready after <timeout>: <detail>"} at the deadline
     */
    public void await(String what, Supplier<Health> health) {
        while (true) {
            Health now = health.get();
            if (now.ready()) {
                return;
            }
            if (!now.live()) {
                throw new IllegalStateException(what + " failed to start: " + now.detail());
            }
            if (remaining().isZero()) {
                throw new IllegalStateException(what + " not ready after " + timeout + ": " + now.detail());
            }
            try {
                Thread.sleep(Math.min(POLL_MS, Math.max(1, remaining().toMillis())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what + " to be ready", e);
            }
        }
    }
}
