package dev.firebreak.launcher.bench;

import java.time.Duration;

/** The bench's overall time budget: every wait is bounded by what is left of it. */
record Deadline(long endNanos) {
    /** The description of a bench's {@code --timeout-s} option, which sets the budget. */
    static final String TIMEOUT_OPTION_DESCRIPTION = "Budget of the whole run, stack start included; when it runs out the "
            + "bench stops and reports what it has (default ${DEFAULT-VALUE}).";

    static Deadline after(Duration budget) {
        return new Deadline(System.nanoTime() + budget.toNanos());
    }

    boolean passed() {
        return System.nanoTime() - endNanos >= 0;
    }

    Duration remaining() {
        return Duration.ofNanos(Math.max(0, endNanos - System.nanoTime()));
    }

    /** {@code wait}, or less when the budget ends sooner. */
    Duration cap(Duration wait) {
        Duration left = remaining();
        return wait.compareTo(left) < 0 ? wait : left;
    }
}
