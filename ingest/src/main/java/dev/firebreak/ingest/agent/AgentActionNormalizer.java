package dev.firebreak.ingest.agent;

import dev.firebreak.ingest.classify.ActionClassifier;
import dev.firebreak.ingest.classify.ActionClassifier.ActionKind;
import dev.firebreak.ingest.classify.ActionClassifier.Verdict;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a validated {@link AgentAction} into an {@link AuditEvent}: principal {@code agent:<id>},
 * the credential as a linked principal when it is namespaced, and the classifier's verdict as
 * {@code destructive}, {@code classification} and {@code action}.
 *
 * <p>Event ids are deterministic so a replay or a client retry is recognisable:
 * <ul>
 *   <li>HTTP with {@code action_id}: {@code agent:<agent_id>/id:<action_id>};</li>
 *   <li>HTTP without: {@code agent:<agent_id>/sha256:<32 hex>} over every field of the record
 *       (when the record had no {@code occurred_at}, the receive time is part of it, so only
 *       clients that send a time or an {@code action_id} get retry-stable ids);</li>
 *   <li>table: {@code pg:<cluster>/agent_actions/<id>} (the row's primary key);</li>
 *   <li>tampering with a logged row: {@code pg:<cluster>/agent_actions/<id>/<op>@<lsn hex>}.</li>
 * </ul>
 */
public final class AgentActionNormalizer {
    /** The action of an event reporting an UPDATE or DELETE of a logged agent action. */
    public static final String TAMPERED_ACTION = "AGENT_LOG_TAMPERED";
    /** The classification of those events: Firebreak's own rule, not the classifier's. */
    public static final String TAMPERED_RULE_ID = "firebreak.agent_log_tampered";
    /** Table name as it appears in event ids. */
    static final String TABLE_ID = "agent_actions";
    private static final Logger LOG = LoggerFactory.getLogger(AgentActionNormalizer.class);
    private static final int HASH_HEX_CHARS = 32;

    private final String cluster;
    private final ActionClassifier classifier;
    private final int statementMaxChars;

    /**
     * @param cluster           logical name of the watched system; part of table event ids and of every event
     * @param classifier        judges whether an action is destructive
     * @param statementMaxChars the input is kept in {@code statement} up to this many characters
     */
    public AgentActionNormalizer(String cluster, ActionClassifier classifier, int statementMaxChars) {
        if (statementMaxChars < 16) {
            throw new IllegalArgumentException("statement max chars must be at least 16, was " + statementMaxChars);
        }
        this.cluster = cluster;
        this.classifier = classifier;
        this.statementMaxChars = statementMaxChars;
    }

    /** An action posted to the HTTP endpoint. */
    public AuditEvent fromHttp(AgentAction action, long capturedTimeUs) {
        return classified(action, AuditSource.AGENT_ACTION_HTTP, httpEventId(action), capturedTimeUs).build();
    }

    /**
     * An action inserted into {@code firebreak.agent_actions}.
     *
     * @param lsn WAL position of the insert: the recovery point of this event
     */
    public AuditEvent fromTable(AgentAction action, String database, long lsn, long capturedTimeUs) {
        requireRow(action);
        return classified(action, AuditSource.AGENT_ACTION_TABLE, tableEventId(action.rowId()), capturedTimeUs)
                .setDatabase(database)
                .setLsn(lsn)
                .build();
    }

    /**
     * An UPDATE or DELETE of a logged action. The log is append-only, so changing it is treated as
     * an agent (or whoever holds its credential) covering its tracks: destructive, attributed to the
     * agent whose record it was, with that record's credential linked.
     *
     * @param row         the row as it was before the change
     * @param operation   {@code UPDATE} or {@code DELETE}
     * @param eventTimeUs when the change committed, by the database clock
     */
    public AuditEvent tampered(AgentAction row, String operation, String database, long lsn, long eventTimeUs,
                               long capturedTimeUs) {
        requireRow(row);
        Map<String, String> attributes = baseAttributes(row);
        attributes.put("tampered_operation", operation);
        return event(row, AuditSource.AGENT_ACTION_TABLE,
                tableEventId(row.rowId()) + "/" + operation.toLowerCase(java.util.Locale.ROOT) + "@"
                        + Long.toUnsignedString(lsn, 16), capturedTimeUs)
                .setAction(TAMPERED_ACTION)
                .setEventTimeUs(eventTimeUs)
                .setDestructive(true)
                .setClassification(TAMPERED_RULE_ID)
                .setDatabase(database)
                .setLsn(lsn)
                .setAttributes(attributes)
                .build();
    }

    /** The classifier's verdict on an action an agent asks to take (a failing classifier: non-destructive OTHER). */
    public Verdict verdict(AgentAction action) {
        return classify(action, new LinkedHashMap<>());
    }

    /**
     * An attempt the pre-flight decision refused or held: source {@code AGENT_PREFLIGHT}, so detection
     * rules count attempts apart from actions taken; id {@code agent:<id>/decision:<decision id>}; the
     * decision in attributes {@code preflight_decision} (deny, ask), {@code preflight_rule},
     * {@code preflight_reason} and {@code decision_id}.
     */
    public AuditEvent attempt(AgentAction action, Verdict verdict, String decisionId, String decision, String ruleId,
                              String reason, long capturedTimeUs) {
        Map<String, String> attributes = baseAttributes(action);
        attributes.put("kind", verdict.kind().name());
        putIfPresent(attributes, "classification_reason", verdict.reason());
        attributes.put("preflight_decision", decision);
        attributes.put("preflight_rule", ruleId);
        attributes.put("preflight_reason", reason);
        attributes.put("decision_id", decisionId);
        String category = verdict.category();
        return event(action, AuditSource.AGENT_PREFLIGHT, action.principal() + "/decision:" + decisionId, capturedTimeUs)
                .setAction(category == null || category.isBlank() ? action.tool() : category)
                .setDestructive(verdict.destructive())
                .setClassification(verdict.ruleId())
                .setAttributes(attributes)
                .build();
    }

    /** The input as events keep it: cut to the statement limit. */
    public String bounded(String input) {
        return truncate(input);
    }

    private AuditEvent.Builder classified(AgentAction action, AuditSource source, String eventId, long capturedTimeUs) {
        Map<String, String> attributes = baseAttributes(action);
        Verdict verdict = classify(action, attributes);
        attributes.put("kind", verdict.kind().name());
        putIfPresent(attributes, "classification_reason", verdict.reason());
        String category = verdict.category();
        return event(action, source, eventId, capturedTimeUs)
                .setAction(category == null || category.isBlank() ? action.tool() : category)
                .setDestructive(verdict.destructive())
                .setClassification(verdict.ruleId())
                .setAttributes(attributes);
    }

    private AuditEvent.Builder event(AgentAction action, AuditSource source, String eventId, long capturedTimeUs) {
        String statement = truncate(action.input());
        return AuditEvent.newBuilder()
                .setEventId(eventId)
                .setPrincipal(action.principal())
                .setSource(source)
                .setEventTimeUs(micros(action.occurredAt()))
                .setCapturedTimeUs(capturedTimeUs)
                .setCluster(cluster)
                .setStatement(statement)
                .setStatementTruncated(statement.length() < action.input().length())
                .setLinkedPrincipals(action.linkedPrincipal().map(List::of).orElse(List.of()));
    }

    /**
     * The verdict on an action. A reported HTTP call is judged both by the tool's input and as the
     * call; a destructive verdict on the input wins (a {@code curl} line may say more than the
     * reported call), otherwise the call's verdict stands.
     * A failing classifier must not lose the event, so it yields a non-destructive OTHER verdict
     * and the event carries {@code classification_error}.
     */
    Verdict classify(AgentAction action, Map<String, String> attributes) {
        try {
            Verdict byTool = require(classifier.classify(action.tool(), action.input()));
            if (action.http() == null || byTool.destructive()) {
                return byTool;
            }
            AgentAction.HttpCall http = action.http();
            return require(classifier.classifyHttp(http.method(), http.url(), http.body()));
        } catch (RuntimeException e) {
            LOG.warn("classifier failed on an action of {} (tool {}); kept unclassified", action.principal(), action.tool(), e);
            attributes.put("classification_error", String.valueOf(e.getMessage()));
            return new Verdict(ActionKind.OTHER, false, null, null, null);
        }
    }

    private static Verdict require(Verdict verdict) {
        if (verdict == null || verdict.kind() == null) {
            throw new IllegalStateException("classifier returned no verdict");
        }
        return verdict;
    }

    private static Map<String, String> baseAttributes(AgentAction action) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("tool", action.tool());
        putIfPresent(attributes, "run_id", action.runId());
        putIfPresent(attributes, "target_environment", action.targetEnvironment());
        if (action.linkedPrincipal().isEmpty()) {
            putIfPresent(attributes, "credential", action.credential());
        }
        putIfPresent(attributes, "action_id", action.actionId());
        if (action.rowId() != null) {
            attributes.put("row_id", Long.toString(action.rowId()));
        }
        if (action.occurredAtDefaulted()) {
            // The client sent no time: event_time_us is when ingest received it.
            attributes.put("occurred_at_defaulted", "true");
        }
        if (action.http() != null) {
            attributes.put("http_method", action.http().method());
            attributes.put("http_url", action.http().url());
        }
        return attributes;
    }

    private static void putIfPresent(Map<String, String> attributes, String key, String value) {
        if (value != null) {
            attributes.put(key, value);
        }
    }

    /** The event id of an action posted over HTTP; see the class comment. */
    static String httpEventId(AgentAction action) {
        String prefix = action.principal() + "/";
        if (action.actionId() != null) {
            return prefix + "id:" + action.actionId();
        }
        AgentAction.HttpCall http = action.http();
        return prefix + "sha256:" + hash(action.agentId(), action.runId(), Long.toString(micros(action.occurredAt())),
                action.tool(), action.input(), action.credential(), action.targetEnvironment(),
                http == null ? null : http.method(), http == null ? null : http.url(), http == null ? null : http.body());
    }

    private String tableEventId(long rowId) {
        return "pg:" + cluster + "/" + TABLE_ID + "/" + rowId;
    }

    // Length-prefixed fields: no separator inside a value can make two different records collide.
    private static String hash(String... fields) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String field : fields) {
                byte[] bytes = field == null ? new byte[0] : field.getBytes(StandardCharsets.UTF_8);
                sha.update((field == null ? "-1:" : bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
                sha.update(bytes);
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, HASH_HEX_CHARS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    private String truncate(String text) {
        if (text.length() <= statementMaxChars) {
            return text;
        }
        int end = statementMaxChars;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // never split a surrogate pair into invalid UTF-16
        }
        return text.substring(0, end);
    }

    private static void requireRow(AgentAction action) {
        if (action.rowId() == null) {
            throw new IllegalArgumentException("a table event needs the row id");
        }
    }

    static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }
}
