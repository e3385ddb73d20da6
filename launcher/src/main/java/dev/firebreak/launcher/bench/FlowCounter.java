package dev.firebreak.launcher.bench;

import dev.firebreak.schema.AuditEvent;
import java.time.Duration;
import java.util.function.Predicate;

/** Counts the events of one throughput run as {@link EventTap} consumes them, and when the first and last came. */
final class FlowCounter {
    /** What was counted so far; the times are monotonic nanos, 0 before the first event. */
    record Flow(long events, long firstNanos, long lastNanos) {
        /** Events per second from the first to the last event consumed; 0 below two events. */
        double eventsPerSecond() {
            return events < 2 || lastNanos == firstNanos ? 0 : (events - 1) / ((lastNanos - firstNanos) / 1e9);
        }
    }

    private final Predicate<AuditEvent> matches;
    private long events;
    private long firstNanos;
    private long lastNanos;

    FlowCounter(Predicate<AuditEvent> matches) {
        this.matches = matches;
    }

    synchronized void offer(EventTap.Arrival arrival) {
        if (!matches.test(arrival.event())) {
            return;
        }
        if (events++ == 0) {
            firstNanos = arrival.nanos();
        }
        lastNanos = arrival.nanos();
    }

    synchronized Flow flow() {
        return new Flow(events, firstNanos, lastNanos);
    }

    /**
     * Waits until {@code expected} events were counted, or none came for {@code idle}, or the
     * deadline passed; returns what was counted.
     */
    Flow await(long expected, Duration idle, Deadline deadline) throws InterruptedException {
        Flow flow = flow();
        long lastProgress = System.nanoTime();
        while (flow.events() < expected && !deadline.passed() && System.nanoTime() - lastProgress < idle.toNanos()) {
            Thread.sleep(10);
            Flow now = flow();
            if (now.events() > flow.events()) {
                lastProgress = System.nanoTime();
            }
            flow = now;
        }
        return flow;
    }
}
