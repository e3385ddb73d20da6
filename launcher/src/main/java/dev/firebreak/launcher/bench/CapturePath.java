package dev.firebreak.launcher.bench;

import dev.firebreak.schema.AuditEvent;
import java.util.function.Predicate;

/**
 * One capture path under test: how to cause one event on it, and how to recognise that event.
 *
 * @param name       short name, as {@code --paths} takes it
 * @param what       the client action and the capture mechanism, for the report
 * @param eventClock where the event's {@code event_time_us} comes from, for the report's legend
 * @param probes     builds sample {@code seq}; may wait untimed (e.g. to keep a role below a rule's rate)
 */
record CapturePath(String name, String what, String eventClock, Probes probes) {

    /** Builds the probe of one sample. */
    @FunctionalInterface
    interface Probes {
        Probe next(int seq) throws Exception;
    }

    /** What a client does once, timed from just before it starts. */
    @FunctionalInterface
    interface ClientAction {
        void run() throws Exception;
    }

    /**
     * One sample: the client action and the event it must produce.
     *
     * @param matches true for exactly the event this action causes on this path
     */
    record Probe(Predicate<AuditEvent> matches, ClientAction action) {
    }

    /** A marker unique per path prefix and sample: fixed width, so no marker contains another. */
    static String marker(String prefix, int seq) {
        return String.format(java.util.Locale.ROOT, "%s_%06d", prefix, seq);
    }
}
