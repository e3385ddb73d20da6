package dev.firebreak.ingest.pglog;

import dev.firebreak.ingest.metrics.DeadLetterReason;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.firebreak.ingest.postgres.MalformedMessageException;
import dev.firebreak.schema.AffectedObject;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.AuditSource;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one line of PostgreSQL's {@code jsonlog} (with {@code log_statement = 'ddl'}) into audit
 * events for the commands event triggers cannot see: databases, roles and tablespaces. Everything
 * else in the log is seen by the trigger path already and is skipped here, which is what keeps the
 * two paths from counting a statement twice. Pure: no I/O.
 */
public final class ServerLogNormalizer {
    private static final ObjectMapper JSON = new ObjectMapper();
    // "statement: ..." (simple protocol) or "execute <name>: ..." (extended protocol)
    private static final Pattern LOGGED_STATEMENT = Pattern.compile("^(?:statement|execute [^:]*): (.*)$", Pattern.DOTALL);
    private static final Pattern GLOBAL_COMMAND = Pattern.compile(
            "^\\s*(CREATE|ALTER|DROP)\\s+(DATABASE|ROLE|USER|GROUP|TABLESPACE)\\s+(?:IF\\s+EXISTS\\s+)?(\"(?:[^\"]|\"\")+\"|[^\\s;(]+)",
            Pattern.CASE_INSENSITIVE);
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS zzz", Locale.ROOT);

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
        List<AuditEvent> events = new ArrayList<>();
        int index = 0;
        for (String command : SqlSplitter.split(statement.get())) {
            Matcher m = GLOBAL_COMMAND.matcher(command);
            if (m.find()) {
                events.add(event(entry, statement.get(), m, index++, capturedTimeUs));
            }
        }
        return events;
    }

    private AuditEvent event(JsonNode entry, String statement, Matcher command, int index, long capturedTimeUs)
            throws MalformedMessageException {
        String user = required(entry, "user");
        String verb = command.group(1).toUpperCase(Locale.ROOT);
        String objectType = objectType(command.group(2));
        String name = unquote(command.group(3));
        String truncated = statement.length() > statementMaxChars ? statement.substring(0, statementMaxChars) : statement;
        return AuditEvent.newBuilder()
                .setEventId("pglog:" + cluster + "/" + required(entry, "session_id") + "/" + required(entry, "line_num")
                        + (index == 0 ? "" : "/" + index))
                .setPrincipal("pg:" + cluster + "/" + user)
                .setSource(AuditSource.POSTGRES_SERVER_LOG)
                .setAction(verb + " " + command.group(2).toUpperCase(Locale.ROOT))
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
                .setObjects(List.of(AffectedObject.newBuilder().setObjectType(objectType).setSchemaName(null)
                        .setObjectName(name).setIdentity(name).setOriginal(true).build()))
                .setDestructive(verb.equals("DROP"))
                .setAttributes(Map.of("trigger", "server_log"))
                .build();
    }

    private static Optional<String> statementOf(JsonNode entry) {
        String message = optional(entry, "message");
        if (message == null) {
            return Optional.empty();
        }
        Matcher m = LOGGED_STATEMENT.matcher(message);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static String objectType(String keyword) {
        return switch (keyword.toUpperCase(Locale.ROOT)) {
            case "DATABASE" -> "database";
            case "TABLESPACE" -> "tablespace";
            default -> "role"; // USER and GROUP are spellings of ROLE
        };
    }

    private static String unquote(String identifier) {
        if (identifier.startsWith("\"") && identifier.endsWith("\"") && identifier.length() >= 2) {
            return identifier.substring(1, identifier.length() - 1).replace("\"\"", "\"");
        }
        return identifier.toLowerCase(Locale.ROOT);
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
            throw new MalformedMessageException(DeadLetterReason.PARSE_ERROR, "log line is not JSON: " + e.getOriginalMessage(), e);
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
