package dev.firebreak.export.ocsf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import java.util.List;
import java.util.Locale;

/**
 * Turns Firebreak's records into OCSF 1.8.0 events, so a SIEM that reads OCSF (Amazon Security Lake,
 * Splunk, Sentinel, ...) takes them without a parser of its own:
 * <ul>
 *   <li>audit events captured from PostgreSQL: Datastore Activity (class 6005);</li>
 *   <li>agent actions (HTTP or the action table): API Activity (6003), the tool as the service and
 *       the command tag or verb as the operation;</li>
 *   <li>alerts (a rule that fired, a refused or failed revocation): Detection Finding (2004).</li>
 * </ul>
 * Firebreak's own fields without an OCSF attribute (LSN, txid, linked principals, thresholds...) go
 * under {@code unmapped.firebreak}, as OCSF intends. Pure: no I/O and no clock.
 */
public final class OcsfMapper {
    /** The OCSF schema version every event declares ({@code metadata.version}). */
    public static final String OCSF_VERSION = "1.8.0";
    static final int DATASTORE_ACTIVITY = 6005;
    static final int API_ACTIVITY = 6003;
    static final int DETECTION_FINDING = 2004;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String productVersion;

    /** @param productVersion Firebreak's version, reported as {@code metadata.product.version} */
    public OcsfMapper(String productVersion) {
        this.productVersion = productVersion;
    }

    /** Datastore Activity for PostgreSQL captures, API Activity for agent actions. */
    public ObjectNode audit(AuditEvent e) {
        boolean agent = e.getSource() == AuditSource.AGENT_ACTION_HTTP || e.getSource() == AuditSource.AGENT_ACTION_TABLE;
        ObjectNode out = agent ? apiActivity(e) : datastoreActivity(e);
        out.put("time", e.getEventTimeUs() / 1000);
        out.put("severity_id", e.getDestructive() ? 3 : 1);
        out.put("severity", e.getDestructive() ? "Medium" : "Informational");
        out.put("status_id", 1).put("status", "Success");
        out.put("message", message(e));
        out.set("metadata", metadata(e.getEventId(), e.getCapturedTimeUs()));
        out.set("actor", actor(e));
        out.set("src_endpoint", source(e));
        out.set("unmapped", JSON.createObjectNode().set("firebreak", auditExtras(e)));
        return out;
    }

    private ObjectNode datastoreActivity(AuditEvent e) {
        int activity = datastoreActivityId(e.getAction());
        ObjectNode out = header(DATASTORE_ACTIVITY, "Datastore Activity", 6, "Application Activity", activity,
                DATASTORE_ACTIVITIES.get(activity));
        if (e.getDatabase() != null) {
            out.putObject("database").put("name", e.getDatabase()).put("type_id", 1).put("type", "Relational");
        }
        if (e.getStatement() != null && !e.getStatement().isEmpty()) {
            out.putObject("query_info").put("name", e.getAction()).put("query_string", e.getStatement());
        }
        return out;
    }

    private ObjectNode apiActivity(AuditEvent e) {
        int activity = e.getDestructive() ? 4 : 99;
        ObjectNode out = header(API_ACTIVITY, "API Activity", 6, "Application Activity", activity,
                activity == 4 ? "Delete" : "Other");
        ObjectNode api = out.putObject("api").put("operation", e.getAction());
        String tool = e.getAttributes().get("tool");
        if (tool != null) {
            api.putObject("service").put("name", tool);
        }
        return out;
    }

    /** Detection Finding: one per alert id; a re-push of the same alert keeps the same {@code finding_info.uid}. */
    public ObjectNode alert(Alert a) {
        ObjectNode out = header(DETECTION_FINDING, "Detection Finding", 2, "Findings", 1, "Create");
        int severity = switch (a.getSeverity()) {
            case INFO -> 1;
            case WARNING -> 3;
            case HIGH -> 4;
            case CRITICAL -> 5;
            default -> 0;
        };
        out.put("time", a.getCreatedTimeUs() / 1000);
        out.put("severity_id", severity).put("severity", SEVERITIES.get(severity));
        out.put("status_id", 1).put("status", "New");
        out.put("message", a.getSummary());
        out.set("metadata", metadata(a.getAlertId(), a.getCreatedTimeUs()));
        ObjectNode info = out.putObject("finding_info").put("uid", a.getAlertId()).put("title", a.getSummary())
                .put("created_time", a.getCreatedTimeUs() / 1000)
                .put("first_seen_time", a.getWindowStartUs() / 1000).put("last_seen_time", a.getWindowEndUs() / 1000);
        if (a.getTriage() != null) {
            info.put("desc", a.getTriage());
        }
        info.putArray("types").add(a.getKind().name());
        info.putObject("analytic").put("uid", a.getRuleId()).put("name", a.getRuleId()).put("type_id", 1).put("type", "Rule");
        ArrayNode evidences = out.putArray("evidences");
        evidences.addObject().set("actor", JSON.createObjectNode().set("user", user(a.getPrincipal())));
        out.set("unmapped", JSON.createObjectNode().set("firebreak", alertExtras(a)));
        return out;
    }

    private static ObjectNode header(int classUid, String className, int categoryUid, String categoryName,
                                     int activityId, String activityName) {
        return JSON.createObjectNode().put("class_uid", classUid).put("class_name", className)
                .put("category_uid", categoryUid).put("category_name", categoryName)
                .put("activity_id", activityId).put("activity_name", activityName)
                .put("type_uid", classUid * 100L + activityId).put("type_name", className + ": " + activityName);
    }

    private ObjectNode metadata(String uid, long loggedUs) {
        ObjectNode m = JSON.createObjectNode().put("version", OCSF_VERSION).put("uid", uid)
                .put("logged_time", loggedUs / 1000);
        m.putObject("product").put("name", "Firebreak").put("vendor_name", "Firebreak").put("version", productVersion);
        m.putArray("profiles");
        return m;
    }

    private static ObjectNode actor(AuditEvent e) {
        ObjectNode actor = JSON.createObjectNode();
        ObjectNode user = user(e.getPrincipal());
        if (e.getSessionUser() != null) {
            user.put("name", e.getSessionUser());
        }
        actor.set("user", user);
        if (e.getApplicationName() != null && !e.getApplicationName().isEmpty()) {
            actor.put("app_name", e.getApplicationName());
        }
        return actor;
    }

    private static ObjectNode user(String principal) {
        return JSON.createObjectNode().put("uid", principal);
    }

    /** PostgreSQL reports no client address for Unix-socket sessions; agents' records carry none. */
    private static ObjectNode source(AuditEvent e) {
        ObjectNode src = JSON.createObjectNode();
        if (e.getClientAddr() != null && !e.getClientAddr().isEmpty()) {
            src.put("ip", e.getClientAddr().replaceFirst("/\\d+$", ""));
        } else {
            src.put("name", e.getSource() == AuditSource.AGENT_ACTION_HTTP || e.getSource() == AuditSource.AGENT_ACTION_TABLE
                    ? e.getPrincipal() : "local");
        }
        return src;
    }

    private static String message(AuditEvent e) {
        List<String> objects = e.getObjects().stream().map(AffectedObject::getIdentity).limit(5).toList();
        return e.getAction() + (objects.isEmpty() ? "" : " " + String.join(", ", objects)
                + (e.getObjects().size() > objects.size() ? " and " + (e.getObjects().size() - objects.size()) + " more" : ""))
                + " by " + e.getPrincipal();
    }

    private static ObjectNode auditExtras(AuditEvent e) {
        ObjectNode x = JSON.createObjectNode().put("source", e.getSource().name()).put("cluster", e.getCluster())
                .put("destructive", e.getDestructive()).put("statement_truncated", e.getStatementTruncated());
        putIfPresent(x, "effective_user", e.getEffectiveUser());
        putIfPresent(x, "classification", e.getClassification());
        if (e.getLsn() != null) {
            x.put("lsn", e.getLsn());
        }
        if (e.getTxid() != null) {
            x.put("txid", e.getTxid());
        }
        if (e.getBackendPid() != null) {
            x.put("backend_pid", e.getBackendPid());
        }
        if (e.getRowCount() != null) {
            x.put("row_count", e.getRowCount());
        }
        e.getLinkedPrincipals().forEach(x.putArray("linked_principals")::add);
        ArrayNode objects = x.putArray("objects");
        e.getObjects().forEach(o -> objects.addObject().put("type", o.getObjectType()).put("identity", o.getIdentity())
                .put("original", o.getOriginal()));
        ObjectNode attributes = x.putObject("attributes");
        e.getAttributes().forEach(attributes::put);
        return x;
    }

    private static ObjectNode alertExtras(Alert a) {
        ObjectNode x = JSON.createObjectNode().put("kind", a.getKind().name()).put("principal", a.getPrincipal())
                .put("response", a.getResponse().name()).put("observed", a.getObserved()).put("threshold", a.getThreshold());
        putIfPresent(x, "owner", a.getOwner());
        putIfPresent(x, "trigger_event_id", a.getTriggerEventId());
        if (a.getRecoveryLsn() != null) {
            x.put("recovery_lsn", a.getRecoveryLsn());
        }
        if (a.getRecoveryTimeUs() != null) {
            x.put("recovery_time", a.getRecoveryTimeUs() / 1000);
        }
        a.getSampleStatements().forEach(x.putArray("sample_statements")::add);
        a.getBackendPids().forEach(x.putArray("backend_pids")::add);
        a.getTags().forEach(x.putArray("tags")::add);
        return x;
    }

    private static void putIfPresent(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    /** The OCSF Datastore Activity verb for a command tag or verb: DROP and DELETE are Delete, and so on. */
    static int datastoreActivityId(String action) {
        String verb = action == null ? "" : action.strip().toUpperCase(Locale.ROOT).split("\\s+")[0];
        return switch (verb) {
            case "DROP", "DELETE", "TRUNCATE" -> 7;
            case "CREATE" -> 6;
            case "UPDATE", "ALTER", "RENAME", "COMMENT", "GRANT", "REVOKE" -> 2;
            case "INSERT", "COPY", "MERGE" -> 5;
            case "SELECT" -> 4;
            default -> 99;
        };
    }

    private static final java.util.Map<Integer, String> DATASTORE_ACTIVITIES = java.util.Map.of(2, "Update", 4, "Query",
            5, "Write", 6, "Create", 7, "Delete", 99, "Other");
    private static final java.util.Map<Integer, String> SEVERITIES = java.util.Map.of(0, "Unknown", 1, "Informational",
            3, "Medium", 4, "High", 5, "Critical");
}
