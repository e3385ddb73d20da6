package dev.firebreak.ingest.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.firebreak.ingest.agent.AgentAction.HttpCall;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validates agent action records from both capture paths and turns them into {@link AgentAction}s.
 * Pure: no I/O, no clock (the receive time is passed in), so every rule is unit-testable. Every
 * error is a {@link MalformedActionException} naming the field.
 *
 * <p>The rules, for JSON (HTTP) records and {@code firebreak.agent_actions} rows alike:
 * <ul>
 *   <li>{@code agent_id}: required, {@code [A-Za-z0-9._:-]{1,128}}.</li>
 *   <li>{@code tool}: required, 1..128 characters without blanks; tools the classifier does not
 *       know are kept (as kind OTHER), never rejected.</li>
 *   <li>{@code input}: required, non-empty, at most the configured number of characters (rejected,
 *       not truncated: a cut command could read as harmless).</li>
 *   <li>{@code run_id}, {@code target_environment}: optional, at most 256 characters, no control
 *       characters; blank counts as absent.</li>
 *   <li>{@code credential}: optional, names a credential and must never be the secret itself. A
 *       value starting with {@code token:}, {@code pg:} or {@code agent:} must be a well-formed
 *       principal ({@code token:<issuer>/<id>}, {@code pg:<cluster>/<role>}, {@code agent:<id>}),
 *       because a malformed one would silently lose the link the kill switch revokes; any other
 *       value is kept as free text.</li>
 *   <li>{@code occurred_at}: ISO-8601 with offset (e.g. {@code 2025-04-25T10:15:30.123Z}) or epoch
 *       milliseconds. Optional over HTTP: a missing time becomes the receive time (an action without
 *       a clock is still worth auditing) and the event says so; a time more than the configured
 *       clock skew ({@code http.max.clock.skew.ms}, default {@link #DEFAULT_MAX_CLOCK_AHEAD}) ahead of
 *       the receiver is rejected, never clamped, so a client cannot park events outside the detection
 *       windows and the event time is never one the client did not send. Times in the past are
 *       accepted (replays), back to 2000-01-01; earlier ones are refused on both paths (they would
 *       overflow the event's microseconds or give Kafka a negative timestamp). Required in the table
 *       (the column defaults to now()).</li>
 * </ul>
 * HTTP records additionally accept {@code action_id} (client idempotency id, same syntax as
 * {@code agent_id}) and {@code http: {method, url, body}}; unknown JSON fields are rejected so a
 * misspelt optional field (say {@code credentail}) does not silently drop the credential link.
 * Extra table columns are ignored: operators may extend the table.
 */
public final class AgentActionParser {
    /** Default limit of {@code input} (and of an HTTP body), in characters. */
    public static final int DEFAULT_INPUT_MAX_CHARS = 65_536;
    /** How far ahead of the receiver's clock an HTTP record's time may be, unless configured otherwise. */
    public static final Duration DEFAULT_MAX_CLOCK_AHEAD = Duration.ofSeconds(5);

    static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    static final Pattern TOOL = Pattern.compile("[^\\s\\p{Cntrl}]{1,128}");
    static final Pattern METHOD = Pattern.compile("[A-Za-z]{1,16}");
    static final int TEXT_MAX_CHARS = 256;
    static final int URL_MAX_CHARS = 8192;
    /** 2000-01-01T00:00:00Z: smaller epoch values are almost certainly seconds, not milliseconds. */
    static final long MIN_EPOCH_MILLIS = 946_684_800_000L;
    static final Instant MAX_INSTANT = Instant.parse("9999-12-31T23:59:59Z");
    static final Instant MIN_INSTANT = Instant.ofEpochMilli(MIN_EPOCH_MILLIS);
    static final Set<String> JSON_FIELDS = Set.of("agent_id", "run_id", "credential", "tool", "input",
            "target_environment", "occurred_at", "action_id", "http");
    static final Set<String> HTTP_FIELDS = Set.of("method", "url", "body");

    private final int inputMaxChars;
    private final Duration maxClockAhead;

    /** @param inputMaxChars the longest {@code input} accepted, in characters */
    public AgentActionParser(int inputMaxChars) {
        this(inputMaxChars, DEFAULT_MAX_CLOCK_AHEAD);
    }

    /**
     * @param inputMaxChars the longest {@code input} accepted, in characters
     * @param maxClockAhead how far an HTTP record's {@code occurred_at} may be ahead of its receive time
     */
    public AgentActionParser(int inputMaxChars, Duration maxClockAhead) {
        if (inputMaxChars < 1) {
            throw new IllegalArgumentException("input max chars must be positive, was " + inputMaxChars);
        }
        if (maxClockAhead.isNegative()) {
            throw new IllegalArgumentException("max clock ahead must not be negative, was " + maxClockAhead);
        }
        this.inputMaxChars = inputMaxChars;
        this.maxClockAhead = maxClockAhead;
    }

    /**
     * Validates one JSON record posted over HTTP.
     *
     * @param receivedAt when ingest received it: the default and the reference for {@code occurred_at}
     */
    public AgentAction fromJson(JsonNode record, Instant receivedAt) throws MalformedActionException {
        if (record == null || !record.isObject()) {
            throw new MalformedActionException("(record)", "must be a JSON object, was "
                    + (record == null ? "nothing" : record.getNodeType()));
        }
        rejectUnknown(record, JSON_FIELDS, "");
        Map<String, Object> values = new LinkedHashMap<>();
        record.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue()));
        Instant occurredAt = instant(values, "occurred_at");
        if (occurredAt != null && occurredAt.isAfter(receivedAt.plus(maxClockAhead))) {
            throw new MalformedActionException("occurred_at", "is " + occurredAt + ", more than " + maxClockAhead.toMillis()
                    + " ms ahead of the receiver's clock (" + receivedAt + "); send the time the action happened, or "
                    + "leave occurred_at out to use the receive time");
        }
        String actionId = optionalText(values, "action_id");
        if (actionId != null && !AGENT_ID.matcher(actionId).matches()) {
            throw new MalformedActionException("action_id", "must match " + AGENT_ID + ", was " + quote(actionId));
        }
        HttpCall http = httpCall(record.get("http"));
        return build(values, occurredAt == null ? receivedAt : occurredAt, occurredAt == null, actionId, http, null);
    }

    /**
     * Validates one row of {@code firebreak.agent_actions}, as column name to value (strings, numbers,
     * and for {@code occurred_at} an ISO-8601 string, {@link Instant}, {@link OffsetDateTime},
     * {@link Date} or epoch milliseconds).
     */
    public AgentAction fromRow(Map<String, ?> row) throws MalformedActionException {
        Object id = row.get("id");
        if (!(id instanceof Number number)) {
            throw new MalformedActionException("id", id == null ? "is required" : "must be a number, was " + typeOf(id));
        }
        Map<String, Object> values = new LinkedHashMap<>(row);
        Instant occurredAt = instant(values, "occurred_at");
        if (occurredAt == null) {
            throw new MalformedActionException("occurred_at", "is required");
        }
        return build(values, occurredAt, false, null, null, number.longValue());
    }

    private AgentAction build(Map<String, Object> values, Instant occurredAt, boolean defaulted, String actionId,
                              HttpCall http, Long rowId) throws MalformedActionException {
        String agentId = requiredText(values, "agent_id");
        if (!AGENT_ID.matcher(agentId).matches()) {
            throw new MalformedActionException("agent_id", "must match " + AGENT_ID + ", was " + quote(agentId));
        }
        String tool = requiredText(values, "tool").trim();
        if (!TOOL.matcher(tool).matches()) {
            throw new MalformedActionException("tool", "must be 1..128 characters without blanks, was " + quote(tool));
        }
        String input = requiredText(values, "input");
        if (input.length() > inputMaxChars) {
            throw new MalformedActionException("input", "has " + input.length() + " characters, more than the limit of "
                    + inputMaxChars);
        }
        return new AgentAction(agentId, plainText(values, "run_id"), credential(values), tool, input,
                plainText(values, "target_environment"), occurredAt, defaulted, actionId, http, rowId);
    }

    private static String credential(Map<String, Object> values) throws MalformedActionException {
        String credential = plainText(values, "credential");
        if (credential != null && AgentAction.claimsNamespace(credential)
                && !AgentAction.isNamespacedPrincipal(credential)) {
            // Never echo the value: a confused framework may have put a secret here.
            throw new MalformedActionException("credential", "starts with a principal namespace but is not of the form "
                    + "token:<issuer>/<id>, pg:<cluster>/<role> or agent:<id>");
        }
        return credential;
    }

    private HttpCall httpCall(JsonNode node) throws MalformedActionException {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new MalformedActionException("http", "must be an object {method, url, body}, was " + node.getNodeType());
        }
        rejectUnknown(node, HTTP_FIELDS, "http.");
        Map<String, Object> values = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> values.put("http." + e.getKey(), e.getValue()));
        String method = requiredText(values, "http.method");
        if (!METHOD.matcher(method).matches()) {
            throw new MalformedActionException("http.method", "must be an HTTP method, was " + quote(method));
        }
        String url = requiredText(values, "http.url");
        if (url.length() > URL_MAX_CHARS) {
            throw new MalformedActionException("http.url", "has " + url.length() + " characters, more than " + URL_MAX_CHARS);
        }
        return new HttpCall(method.toUpperCase(Locale.ROOT), url, body(node.get("body")));
    }

    // A GraphQL or JSON body may come as a string or as the JSON itself; the classifier wants text.
    private String body(JsonNode body) throws MalformedActionException {
        if (body == null || body.isNull()) {
            return null;
        }
        String text = body.isTextual() ? body.textValue() : body.toString();
        if (text.length() > inputMaxChars) {
            throw new MalformedActionException("http.body", "has " + text.length()
                    + " characters, more than the limit of " + inputMaxChars);
        }
        return text;
    }

    private static void rejectUnknown(JsonNode object, Set<String> known, String prefix) throws MalformedActionException {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new MalformedActionException(prefix + name, "is not a known field (known: "
                        + known.stream().sorted().toList() + ")");
            }
        }
    }

    private static String requiredText(Map<String, Object> values, String field) throws MalformedActionException {
        String text = optionalText(values, field);
        if (text == null || text.isEmpty()) {
            throw new MalformedActionException(field, "is required");
        }
        return text;
    }

    /** An optional short text: blank counts as absent, control characters are refused. */
    private static String plainText(Map<String, Object> values, String field) throws MalformedActionException {
        String text = optionalText(values, field);
        if (text == null || text.isBlank()) {
            return null;
        }
        if (text.length() > TEXT_MAX_CHARS) {
            throw new MalformedActionException(field, "has " + text.length() + " characters, more than " + TEXT_MAX_CHARS);
        }
        if (text.chars().anyMatch(Character::isISOControl)) {
            throw new MalformedActionException(field, "must not contain control characters");
        }
        return text;
    }

    private static String optionalText(Map<String, Object> values, String field) throws MalformedActionException {
        Object value = values.get(field);
        if (value instanceof JsonNode node) {
            if (node.isNull()) {
                return null;
            }
            if (!node.isTextual()) {
                throw new MalformedActionException(field, "must be a string, was " + node.getNodeType());
            }
            return node.textValue();
        }
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw new MalformedActionException(field, "must be a string, was " + typeOf(value));
    }

    private static Instant instant(Map<String, Object> values, String field) throws MalformedActionException {
        Object value = values.get(field);
        if (value instanceof JsonNode node) {
            value = node.isNull() ? null : node.isTextual() ? node.textValue() : node.isIntegralNumber() ? node.longValue() : node;
        }
        if (value == null) {
            return null;
        }
        Instant instant = toInstant(field, value);
        if (instant.isAfter(MAX_INSTANT)) {
            throw new MalformedActionException(field, "is after year 9999");
        }
        if (instant.isBefore(MIN_INSTANT)) {
            throw new MalformedActionException(field, "is " + instant + ", before 2000-01-01");
        }
        return instant;
    }

    private static Instant toInstant(String field, Object value) throws MalformedActionException {
        if (value instanceof String text) {
            return parseIso(field, text);
        }
        if (value instanceof Long || value instanceof Integer) {
            return fromEpochMillis(field, ((Number) value).longValue());
        }
        if (value instanceof Instant instant) {
            return instant;
        }
        if (value instanceof OffsetDateTime time) {
            return time.toInstant();
        }
        if (value instanceof Date date) {
            return date.toInstant();
        }
        throw new MalformedActionException(field, "must be an ISO-8601 time or epoch milliseconds, was " + typeOf(value));
    }

    private static Instant parseIso(String field, String text) throws MalformedActionException {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new MalformedActionException(field, "must be ISO-8601 with an offset (e.g. 2025-04-25T10:15:30Z), was "
                    + quote(text));
        }
    }

    private static Instant fromEpochMillis(String field, long millis) throws MalformedActionException {
        if (millis < MIN_EPOCH_MILLIS) {
            throw new MalformedActionException(field, "is " + millis + ", before 2000-01-01 in epoch milliseconds"
                    + " (epoch seconds?)");
        }
        return Instant.ofEpochMilli(millis);
    }

    private static String typeOf(Object value) {
        return value instanceof JsonNode node ? node.getNodeType().toString() : value.getClass().getSimpleName();
    }

    /**
     * Quotes a rejected value for an error message: cut so a huge value cannot bloat responses or
     * logs, control characters escaped so a value cannot forge log lines.
     */
    static String quote(String value) {
        String shown = value.length() <= 64 ? value : value.substring(0, 64);
        StringBuilder out = new StringBuilder(shown.length() + 24).append('\'');
        for (char c : shown.toCharArray()) {
            if (Character.isISOControl(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('\'');
        return value.length() <= 64 ? out.toString() : out + "... (" + value.length() + " chars)";
    }
}
