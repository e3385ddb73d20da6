package dev.firebreak.ingest.postgres;

import dev.firebreak.schema.Principal;
import dev.firebreak.ingest.classify.StatementShape;
import dev.firebreak.ingest.metrics.DeadLetterReason;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the JSON body of a Firebreak logical decoding message (written by {@code firebreak.emit})
 * into an {@link AuditEvent}. Pure: no I/O, so every malformed shape is unit-testable.
 *
 * <p>Kinds: {@code ddl_command_end} and {@code sql_drop} from the event triggers, {@code dml}
 * (statement-level DELETE/UPDATE with the number of rows in {@code rows}) and {@code truncate}
 * from the table triggers. The kind is kept as attribute {@code trigger}.
 */
public final class AuditMessageNormalizer {
    /** Versions of the message body this normaliser understands. */
    static final Set<Integer> SUPPORTED_VERSIONS = Set.of(1);
    /** Trigger kinds whose events always remove something. */
    static final Set<String> DESTRUCTIVE_KINDS = Set.of("sql_drop", "truncate");
    /** Statement-level DELETE/UPDATE: destructive when they touched rows (the count is in {@code rows}). */
    static final String DML_KIND = "dml";
    /** Routine DELETE/UPDATE statements of one role and statement shape, summarised (V5). */
    static final String DML_SUMMARY_KIND = "dml_summary";
    /**
     * Limits on what a message may carry, whoever wrote it. Firebreak's own functions stay far
     * below them (statements are cut in the database, objects listed up to {@code objects.max});
     * anything larger is not one of ours and goes to the dead-letter topic, so one record can never
     * stop capture.
     */
    static final int MAX_MESSAGE_BYTES = 1024 * 1024;
    static final int MAX_STATEMENT_CHARS = 64 * 1024;
    static final int MAX_OBJECTS = 1_000;
    static final int MAX_ATTRIBUTE_CHARS = 512;
    /** Body fields kept as event attributes, each cut to {@link #MAX_ATTRIBUTE_CHARS}. */
    static final List<String> ATTRIBUTE_FIELDS = List.of("guard_outcome", "guard_rule", "guard_reason", "origin",
            "routine", "tamper", "objects_total", "summary_of", "calls", "counters_reset", "summary_since_us");
    /**
     * Blast measures of a destructive event (V6), as PostgreSQL took them at the moment of
     * destruction; documented in the header of rules/firebreak.yaml.
     */
    static final List<String> BLAST_FIELDS = List.of("blast_relations", "blast_rows", "blast_bytes", "blast_bytes_partial",
            "blast_fraction", "blast_table_rows", "blast_age_s", "blast_created", "blast_replaced", "blast_partition",
            "blast_error");
    /** Attribute naming the watched database's environment (config {@code firebreak.ingest.environment}). */
    public static final String TARGET_ENVIRONMENT = "target_environment";
    /** Attribute with the shape of a judged DELETE/UPDATE: no_where, tautology or filtered. */
    public static final String STATEMENT_SHAPE = "statement_shape";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String cluster;
    private final String environment;

    /** A normaliser whose events carry no target environment. */
    public AuditMessageNormalizer(String cluster) {
        this(cluster, null);
    }

    /**
     * @param environment the watched database's environment, attribute {@code target_environment} of
     *                    every event; null for none
     */
    public AuditMessageNormalizer(String cluster, String environment) {
        this.cluster = cluster;
        this.environment = environment;
    }

    /** The principal of a PostgreSQL login role in this cluster. */
    public static String principalOf(String cluster, String role) {
        return Principal.postgres(cluster, role).format();
    }

    /** {@link #principalOf(String, String)}, where a role name that makes no principal is a malformed message. */
    public static String principalOf(String cluster, String role, String field) throws MalformedMessageException {
        try {
            return principalOf(cluster, role);
        } catch (IllegalArgumentException e) {
            throw new MalformedMessageException(DeadLetterReason.BAD_FIELD, "field '" + field + "' is no role name: "
                    + e.getMessage());
        }
    }

    /**
     * @param content the message body
     * @param lsn WAL position of the message; it makes the event id deterministic across replays
     * @param capturedTimeUs when ingest read it, epoch microseconds
     */
    public AuditEvent normalize(byte[] content, long lsn, long capturedTimeUs) throws MalformedMessageException {
        if (content != null && content.length > MAX_MESSAGE_BYTES) {
            throw new MalformedMessageException(DeadLetterReason.OVERSIZED, "message of " + content.length
                    + " bytes exceeds " + MAX_MESSAGE_BYTES + " bytes");
        }
        JsonNode body = parse(content);
        int version = requiredLong(body, "v").intValue();
        if (!SUPPORTED_VERSIONS.contains(version)) {
            throw new MalformedMessageException(DeadLetterReason.UNSUPPORTED_VERSION, "unsupported message version " + version + " (supported: " + SUPPORTED_VERSIONS + ")");
        }
        String kind = requiredText(body, "kind");
        String sessionUser = requiredText(body, "session_user");
        Long rows = optionalLong(body, "rows");
        if (rows != null && rows < 0) {
            throw new MalformedMessageException(DeadLetterReason.BAD_FIELD, "field 'rows' must not be negative, was " + rows);
        }
        String statement = optionalText(body, "statement");
        if (statement != null && statement.length() > MAX_STATEMENT_CHARS) {
            statement = statement.substring(0, MAX_STATEMENT_CHARS);
        }
        Long statementLength = optionalLong(body, "statement_length");
        Long pid = optionalLong(body, "backend_pid");
        return AuditEvent.newBuilder()
                .setEventId("pg:" + cluster + "/" + Long.toUnsignedString(lsn, 16))
                .setPrincipal(principalOf(cluster, sessionUser, "session_user"))
                .setSource(AuditSource.POSTGRES_EVENT_TRIGGER)
                .setAction(requiredText(body, "tag"))
                .setEventTimeUs(requiredLong(body, "clock_us"))
                .setCapturedTimeUs(capturedTimeUs)
                .setCluster(cluster)
                .setDatabase(optionalText(body, "database"))
                .setSessionUser(sessionUser)
                .setEffectiveUser(optionalText(body, "effective_user"))
                .setBackendPid(pid == null ? null : pid.intValue())
                .setTxid(optionalLong(body, "txid"))
                .setApplicationName(optionalText(body, "application_name"))
                .setClientAddr(optionalText(body, "client_addr"))
                .setStatement(statement)
                .setStatementTruncated(statement != null && (statementLength != null && statementLength > statement.length()
                        || statement.length() == MAX_STATEMENT_CHARS))
                .setObjects(objects(body))
                .setRowCount(rows)
                .setLsn(lsn)
                .setDestructive(isDestructive(kind, rows))
                .setAttributes(attributes(body, statement))
                .build();
    }

    // A DELETE or UPDATE that touched rows destroyed what was there; how many rows make an
    // incident is for the detection rules to judge from row_count.
    private static boolean isDestructive(String kind, Long rows) {
        return DESTRUCTIVE_KINDS.contains(kind) || ((DML_KIND.equals(kind) || DML_SUMMARY_KIND.equals(kind)) && rows != null && rows > 0);
    }

    private Map<String, String> attributes(JsonNode body, String statement) throws MalformedMessageException {
        Map<String, String> attributes = new java.util.HashMap<>();
        attributes.put("trigger", requiredText(body, "kind"));
        String roleSetting = optionalText(body, "role_setting");
        if (roleSetting != null && !"none".equals(roleSetting)) {
            attributes.put("role_setting", cut(roleSetting));
        }
        for (String field : ATTRIBUTE_FIELDS) {
            String value = optionalText(body, field);
            if (value != null) {
                attributes.put(field, cut(value));
            }
        }
        for (String field : BLAST_FIELDS) {
            String value = optionalText(body, field);
            if (value != null) {
                attributes.put(field, cut(value));
            }
        }
        if (environment != null) {
            attributes.put(TARGET_ENVIRONMENT, environment);
        }
        // Only judged DELETE/UPDATE statements carry blast_rows; routine ones are not parsed, which
        // keeps the parser off pgbench-sized streams of small statements.
        if (DML_KIND.equals(attributes.get("trigger")) && attributes.containsKey("blast_rows")) {
            StatementShape.of(statement).ifPresent(shape -> attributes.put(STATEMENT_SHAPE, shape));
        }
        return attributes;
    }

    private static String cut(String value) {
        return value.length() > MAX_ATTRIBUTE_CHARS ? value.substring(0, MAX_ATTRIBUTE_CHARS) : value;
    }

    private static List<AffectedObject> objects(JsonNode body) throws MalformedMessageException {
        JsonNode array = body.get("objects");
        if (array == null || array.isNull()) {
            return List.of();
        }
        if (!array.isArray()) {
            throw new MalformedMessageException(DeadLetterReason.BAD_FIELD, "field 'objects' must be an array, was " + array.getNodeType());
        }
        List<AffectedObject> objects = new ArrayList<>(Math.min(array.size(), MAX_OBJECTS));
        for (JsonNode o : array) {
            if (objects.size() == MAX_OBJECTS) {
                break;
            }
            objects.add(AffectedObject.newBuilder()
                    .setObjectType(requiredText(o, "type"))
                    .setSchemaName(optionalText(o, "schema"))
                    .setObjectName(optionalText(o, "name"))
                    .setIdentity(identityOf(o))
                    .setOriginal(!o.has("original") || o.get("original").asBoolean(true))
                    .build());
        }
        return objects;
    }

    // GRANT and REVOKE report their objects without an identity; the type still says what was touched.
    private static String identityOf(JsonNode object) {
        String identity = optionalText(object, "identity");
        return identity == null ? "" : identity;
    }

    private static JsonNode parse(byte[] content) throws MalformedMessageException {
        if (content == null || content.length == 0) {
            throw new MalformedMessageException(DeadLetterReason.PARSE_ERROR, "empty message body");
        }
        try {
            JsonNode node = JSON.readTree(new String(content, StandardCharsets.UTF_8));
            if (node == null || !node.isObject()) {
                throw new MalformedMessageException(DeadLetterReason.PARSE_ERROR, "message body is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new MalformedMessageException(DeadLetterReason.PARSE_ERROR, "message body is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static String requiredText(JsonNode node, String field) throws MalformedMessageException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull() || !value.isValueNode() || value.asText().isEmpty()) {
            throw new MalformedMessageException(DeadLetterReason.MISSING_FIELD, "required field '" + field + "' missing or empty");
        }
        return value.asText();
    }

    private static String optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static Long requiredLong(JsonNode node, String field) throws MalformedMessageException {
        Long value = optionalLong(node, field);
        if (value == null) {
            throw new MalformedMessageException(DeadLetterReason.MISSING_FIELD, "required field '" + field + "' missing");
        }
        return value;
    }

    private static Long optionalLong(JsonNode node, String field) throws MalformedMessageException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.canConvertToLong() && value.isIntegralNumber()) {
            return value.asLong();
        }
        if (value.isTextual()) {
            try {
                return Long.parseLong(value.asText());
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new MalformedMessageException(DeadLetterReason.BAD_FIELD, "field '" + field + "' must be an integer, was '" + value.asText() + "'");
    }
}
