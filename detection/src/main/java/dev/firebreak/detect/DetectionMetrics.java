package dev.firebreak.detect;

import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import dev.firebreak.schema.registry.RegistryOutage;

/**
 * What the detection topology reports as it runs. The topology stays a pure function of its rules:
 * it calls this hook and never touches a registry or a clock itself; {@link MicrometerDetectionMetrics}
 * is the production implementation, {@link #NONE} the default. Calls come from stream threads, one
 * task at a time per thread, so implementations must be thread-safe.
 */
public interface DetectionMetrics {
    /** Reports nothing. */
    DetectionMetrics NONE = new DetectionMetrics() { };

    /** Dead-letter reason: the value could not be deserialised into an audit event. */
    String UNREADABLE = "unreadable";

    /** A readable event was handed to the detectors. */
    default void evaluated(String principal, AuditEvent event) {
    }

    /**
     * A rule recognised an event it had already counted (a replay after a restart or a rebalance);
     * reported once per rule that had counted it.
     */
    default void replayed(String rule) {
    }

    /** An input record went to the dead-letter topic, with a short fixed reason code such as {@link #UNREADABLE}. */
    default void deadLetter(String reason) {
    }

    /** An event matched {@code rule}'s match (before exceptions and thresholds). */
    default void ruleHit(String rule, Severity severity) {
    }

    /**
     * An episode began: its alert was emitted.
     *
     * @param triggerEventTimeUs source time of the event that crossed the threshold, epoch microseconds
     */
    default void episode(String rule, Severity severity, Response response, String principal, long triggerEventTimeUs) {
    }

    /**
     * Where the topology's deserializers report schema registry outages and wait between retries;
     * called once per topology built.
     */
    default RegistryOutage registryOutage() {
        return new RegistryOutage("detection");
    }

    /** How many of {@code rule}'s episodes are open in stream task {@code task} now (replaces the previous count). */
    default void openEpisodes(String rule, String task, int open) {
    }
}
