package dev.firebreak.schema;

import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Every Kafka topic the pipeline reads or writes. The one place topic names live: renaming one
 * here is a migration, never a refactoring.
 */
public final class Topics {
    /** Normalised audit events from every capture path, keyed by principal. */
    public static final String AUDIT_EVENTS = "firebreak.audit.events.v1";
    /**
     * Detection's own repartition topic: the audit events of linked credentials, keyed by their owner
     * (AuditEvent values, as in {@link #AUDIT_EVENTS}), so every event that counts towards one owner's
     * window reaches the one task holding it. Written and read by detection alone; it must have
     * exactly as many partitions as {@link #AUDIT_EVENTS} (detection checks at start-up), since an
     * owner's own events arrive there keyed by the same principal.
     */
    public static final String DETECTION_OWNER_EVENTS = "firebreak.detection.owner-events.v1";
    /** Input that could not be parsed, with the reason and the raw payload. */
    public static final String AUDIT_DLQ = "firebreak.audit.dlq.v1";
    /** Alerts for on-call: rule hits, refused and failed revocations. */
    public static final String ALERTS = "firebreak.alerts.v1";
    /** Orders to the kill switch, keyed by principal. */
    public static final String KILLSWITCH_COMMANDS = "firebreak.killswitch.commands.v1";
    /** One result per command and target, keyed by target. */
    public static final String KILLSWITCH_RESULTS = "firebreak.killswitch.results.v1";
    /** Credential to owner links (compacted, keyed by the credential's principal; a tombstone unlinks). */
    public static final String PRINCIPAL_LINKS = "firebreak.principals.links.v1";
    /**
     * Capture's liveness probes for strict mode (compacted, keyed by cluster, UTF-8 text values):
     * a beat counts only once Kafka acknowledged one. Never read as audit events.
     */
    public static final String INGEST_HEARTBEAT = "firebreak.ingest.heartbeat.v1";
    /**
     * Audit events and alerts as OCSF 1.8.0 JSON (Datastore Activity, API Activity, Detection Finding),
     * keyed by principal, for SIEMs; written by the export stage when {@code firebreak.export.ocsf.enabled}.
     */
    public static final String OCSF = "firebreak.ocsf.v1";
    /**
     * Pre-flight decisions that refused or held an agent's action (deny, ask), keyed by the agent's
     * principal: the decision endpoint's attempt counts and pending decisions, rebuilt from here.
     */
    public static final String PREFLIGHT_DECISIONS = "firebreak.preflight.decisions.v1";
    /** Operators' approvals and rejections of pending pre-flight decisions, keyed by decision id. */
    public static final String PREFLIGHT_APPROVALS = "firebreak.preflight.approvals.v1";
    /** Debezium offsets of the ingest engine (compacted). */
    public static final String INGEST_OFFSETS = "firebreak.ingest.offsets.v1";

    /**
     * The row-image topic of one table: {@code firebreak.cdc.<cluster>.<schema>.<table>.v1}. Only
     * lower-case identifiers are accepted for such tables (see ingest's {@code cdc.tables}), so the
     * name is always a legal topic name.
     */
    public static String rowImages(String cluster, String schema, String table) {
        return "firebreak.cdc." + cluster + "." + schema + "." + table + ".v1";
    }

    /** The topics the pipeline creates at start-up (internal Streams topics excluded). */
    public static final List<String> PIPELINE_TOPICS =
            List.of(AUDIT_EVENTS, DETECTION_OWNER_EVENTS, AUDIT_DLQ, ALERTS, KILLSWITCH_COMMANDS, KILLSWITCH_RESULTS, OCSF,
                    PREFLIGHT_DECISIONS, PREFLIGHT_APPROVALS);

    /** The value schema of every pipeline topic, registered at start-up under {@code <topic>-value}. */
    public static final Map<String, Schema> VALUE_SCHEMAS = Map.of(
            AUDIT_EVENTS, AuditEvent.getClassSchema(),
            DETECTION_OWNER_EVENTS, AuditEvent.getClassSchema(),
            AUDIT_DLQ, DeadLetter.getClassSchema(),
            ALERTS, Alert.getClassSchema(),
            KILLSWITCH_COMMANDS, RevokeCommand.getClassSchema(),
            KILLSWITCH_RESULTS, RevocationResult.getClassSchema(),
            PRINCIPAL_LINKS, PrincipalLink.getClassSchema(),
            PREFLIGHT_DECISIONS, PreflightDecision.getClassSchema(),
            PREFLIGHT_APPROVALS, DecisionApproval.getClassSchema());

    /**
     * Topic settings the pipeline's guarantees depend on, beyond replication, by topic. The commands
     * topic is stamped with the broker's clock ({@code LogAppendTime}): the kill switch measures a
     * command's age from it instead of from the clock of the detection host that issued it.
     */
    public static final Map<String, Map<String, String>> REQUIRED_CONFIGS = Map.of(
            KILLSWITCH_COMMANDS, Map.of("message.timestamp.type", "LogAppendTime"));

    /** Topics that keep the latest value per key, created with {@code cleanup.policy=compact}. */
    public static final List<String> COMPACTED_TOPICS = List.of(PRINCIPAL_LINKS, INGEST_HEARTBEAT);

    private Topics() {
    }
}
