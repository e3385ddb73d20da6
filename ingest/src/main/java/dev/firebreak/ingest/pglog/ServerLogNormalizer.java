package dev.firebreak.ingest.pglog;

import dev.firebreak.ingest.metrics.DeadLetterReason;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.firebreak.ingest.redact.SecretRedactor;
import dev.firebreak.ingest.postgres.AuditMessageNormalizer;
import dev.firebreak.ingest.postgres.MalformedMessageException;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one line of PostgreSQL's {@code jsonlog} (with {@code log_statement = 'ddl'}, or
 * {@code 'all'} for {@code DO} blocks) into audit events for the commands event triggers cannot
 * see: databases, roles, tablespaces and role membership. Everything else in the log is seen by
 * the trigger path already and is skipped here, which is what keeps the two paths from counting a
 * statement twice. Secrets in the statement are redacted before it is put in an event. Pure: no I/O.
 */
public final class ServerLogNormalizer {
    private static final ObjectMapper JSON = new ObjectMapper();
    // "statement: ..." (simple protocol) or "execute <name>: ..." (extended protocol)
    private static final Pattern LOGGED_STATEMENT = Pattern.compile("^(?:statement|execute [^:]*): (.*)$", Pattern.DOTALL);
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS zzz", Locale.ROOT);
    private static final String WITHHELD = "<withheld: the line is not JSON and mentions a password>";

    private final String cluster;
    private final int statementMaxChars;

    public ServerLogNormalizer(String cluster, int statementMaxChars) {
        this.cluster = cluster;
        this.statementMaxChars = statementMaxChars;
    }

    /**
     * The events of one log line, one per global-object command in its statement; empty for lines
     * that are not logged statements or hold no such command.
     */
    public List<AuditEvent> normalize(String line, long capturedTimeUs) throws MalformedMessageException {
        JsonNode entry = parse(line);
        Optional<String> statement = statementOf(entry);
        if (statement.isEmpty()) {
            return List.of();
        }
        List<GlobalCommand> commands = GlobalCommands.in(statement.get());
        if (commands.isEmpty()) {
            return List.of();
        }
        String redacted = SecretRedactor.redact(statement.get());
        List<AuditEvent> events = new ArrayList<>(commands.size());
        for (int i = 0; i < commands.size(); i++) {
            events.add(event(entry, redacted, commands.get(i), i, capturedTimeUs));
        }
        return events;
    }

    /**
     * A log line as it may go to the dead-letter topic: every text field of a JSON line redacted
     * with {@link SecretRedactor}; a line that is not JSON, and mentions a password, withheld whole.
     */
    public static String redactedLine(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            node = null;
        }
        if (node instanceof ObjectNode object) {
            List<String> names = new ArrayList<>();
            object.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                if (object.get(name).isTextual()) {
                    object.set(name, TextNode.valueOf(SecretRedactor.redact(object.get(name).asText())));
                }
            }
            return object.toString();
        }
        return line.toLowerCase(Locale.ROOT).contains("password") ? WITHHELD : line;
    }

    private AuditEvent event(JsonNode entry, String statement, GlobalCommand command, int index, long capturedTimeUs)
            throws MalformedMessageException {
        String user = required(entry, "user");
        String truncated = statement.length() > statementMaxChars ? statement.substring(0, statementMaxChars) : statement;
        Map<String, String> attributes = new HashMap<>(command.attributes());
        attributes.put("trigger", "server_log");
        return AuditEvent.newBuilder()
                .setEventId("pglog:" + cluster + "/" + required(entry, "session_id") + "/" + required(entry, "line_num")
                        + (index == 0 ? "" : "/" + index))
                .setPrincipal(AuditMessageNormalizer.principalOf(cluster, user, "user"))
                .setSource(AuditSource.POSTGRES_SERVER_LOG)
                .setAction(command.tag())
                .setEventTimeUs(timeUs(required(entry, "timestamp")))
                .setCapturedTimeUs(capturedTimeUs)
                .setCluster(cluster)
                .setDatabase(optional(entry, "dbname"))
                .setSessionUser(user)
                .setBackendPid(entry.hasNonNull("pid") ? entry.get("pid").asInt() : null)
                .setApplicationName(optional(entry, "application_name"))
                .setClientAddr(optional(entry, "remote_host"))
                .setStatement(truncated)
                .setStatementTruncated(truncated.length() < statement.length())
                .setObjects(objects(command))
                .setDestructive(command.destructive())
                .setAttributes(attributes)
                .build();
    }

    private static List<AffectedObject> objects(GlobalCommand command) {
        return command.objects().stream()
                .map(name -> AffectedObject.newBuilder().setObjectType(command.objectType()).setSchemaName(null)
                        .setObjectName(name).setIdentity(name).setOriginal(true).build())
                .toList();
    }

    private static Optional<String> statementOf(JsonNode entry) {
        String message = optional(entry, "message");
        if (message == null) {
            return Optional.empty();
        }
        Matcher m = LOGGED_STATEMENT.matcher(message);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static long timeUs(String timestamp) throws MalformedMessageException {
        try {
            Instant t = ZonedDateTime.parse(timestamp, LOG_TIME).toInstant();
            return t.getEpochSecond() * 1_000_000 + t.getNano() / 1_000;
        } catch (DateTimeParseException e) {
            throw new MalformedMessageException(DeadLetterReason.BAD_FIELD, "field 'timestamp' is not a log time: '" + timestamp + "'", e);
        }
    }

    private static JsonNode parse(String line) throws MalformedMessageException {
        try {
            JsonNode node = JSON.readTree(line);
            if (node == null || !node.isObject()) {
                throw new MalformedMessageException(DeadLetterReason.PARSE_ERROR, "log line is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            // not Jackson's message: it quotes the offending text, which may be a secret
            throw new MalformedMessageException(DeadLetterReason.PARSE_ERROR,
                    "log line is not JSON (column " + e.getLocation().getColumnNr() + ")", e);
        }
    }

    private static String required(JsonNode node, String field) throws MalformedMessageException {
        String value = optional(node, field);
        if (value == null || value.isEmpty()) {
            throw new MalformedMessageException(DeadLetterReason.MISSING_FIELD, "required field '" + field + "' missing in log line");
        }
        return value;
    }

    private static String optional(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
