package dev.firebreak.detect;

/**
 * Names of every node and state store of the detection topology. The one place they live: a store
 * name is part of its changelog topic name, so renaming one here orphans the state of a running
 * deployment and is a migration, never a refactoring.
 */
public final class DetectionNames {
    /** Reads {@code firebreak.audit.events.v1}. */
    public static final String AUDIT_EVENTS_SOURCE = "audit-events-source";
    /** Passes readable events to the detectors and unreadable ones to the dead letter queue. */
    public static final String AUDIT_EVENTS_PARSER = "audit-events-parser";
    /** Writes unreadable input to {@code firebreak.audit.dlq.v1}. */
    public static final String AUDIT_DLQ_SINK = "audit-dlq-sink";
    /**
     * Writes the events of linked credentials, keyed by their owner, to
     * {@code firebreak.detection.owner-events.v1} (detection's repartition topic).
     */
    public static final String OWNER_EVENTS_SINK = "owner-events-sink";
    /**
     * Reads {@code firebreak.detection.owner-events.v1} back into the rules, in the task of the owner's
     * partition. Its name sorts after {@link #AUDIT_EVENTS_SOURCE}, and it shares the rules' processors and
     * stores, so it joins sub-topology 0 and no task id changes.
     */
    public static final String OWNER_EVENTS_SOURCE = "owner-events-source";
    /** Writes alerts to {@code firebreak.alerts.v1}. */
    public static final String ALERTS_SINK = "alerts-sink";
    /** Writes revoke commands to {@code firebreak.killswitch.commands.v1}. */
    public static final String REVOKE_COMMANDS_SINK = "revoke-commands-sink";
    /** Stage named in the {@code source} field of the dead letters this application writes. */
    public static final String DEAD_LETTER_STAGE = "streams-app/" + AUDIT_EVENTS_PARSER;

    // Every rule's processor and store keep the prefix of the first rule (drop bursts): renaming it
    // would orphan the state of running deployments.
    private static final String DROP_BURST_DETECTOR = "drop-burst-detector";
    private static final String DROP_BURST_STATE = "drop-burst-state";

    private DetectionNames() {
    }

    /** The processor that runs one rule, e.g. {@code drop-burst-detector-pg-drop-table-burst}. */
    public static String dropBurstDetector(String ruleId) {
        return DROP_BURST_DETECTOR + "-" + ruleId;
    }

    /** The per-principal store of one rule, e.g. {@code drop-burst-state-pg-drop-table-burst}. */
    public static String dropBurstState(String ruleId) {
        return DROP_BURST_STATE + "-" + ruleId;
    }

    /** Source of the credential to owner links, feeding the global store below. */
    public static final String PRINCIPAL_LINKS_SOURCE = "principal-links-source";
    /** Keeps the global links store a copy of the links topic. */
    public static final String PRINCIPAL_LINKS_UPDATER = "principal-links-updater";
    /** Global store: credential principal to its {@code PrincipalLink}; every rule reads it. */
    public static final String PRINCIPAL_LINKS_STORE = "principal-links";
    /** Learns each principal's normal rate of destructive actions; alerts only. */
    public static final String BASELINE_DETECTOR = "baseline-detector";
    /** Per principal baseline state (changelogged). */
    public static final String BASELINE_STATE = "baseline-state";
    /** Reads the kill switch's results ({@code firebreak.killswitch.results.v1}) into the outcomes store. */
    public static final String REVOCATION_RESULTS_SOURCE = "revocation-results-source";
    /** Verifies each result's signature and keeps the latest verified outcome per target. */
    public static final String REVOCATION_OUTCOMES_UPDATER = "revocation-outcomes-updater";
    /**
     * Global store: revoked target to the latest verified outcome of its revocation
     * ({@code RevocationOutcomes.Latest}); every rule reads it to re-issue a command that did not hold.
     */
    public static final String REVOCATION_OUTCOMES_STORE = "revocation-outcomes";
}
