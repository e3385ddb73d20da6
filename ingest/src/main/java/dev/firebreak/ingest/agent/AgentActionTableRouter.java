package dev.firebreak.ingest.agent;

import dev.firebreak.schema.Micros;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.firebreak.ingest.classify.ActionClassifier;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import dev.firebreak.schema.Topics;
import dev.firebreak.ingest.metrics.CaptureSource;
import dev.firebreak.ingest.metrics.DeadLetterReason;
import dev.firebreak.ingest.metrics.IngestMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns Debezium change events of {@code firebreak.agent_actions} into audit events or dead letters.
 * Every call produces exactly one record and returns its acknowledgement, which the engine awaits
 * before marking the change processed.
 *
 * <ul>
 *   <li>insert ({@code c}): the logged action, normalised and classified;</li>
 *   <li>update ({@code u}) and delete ({@code d}): the log is append-only, so a change to it is an
 *       {@value AgentActionNormalizer#TAMPERED_ACTION} event, destructive, attributed to the agent
 *       whose row it was (the table has {@code REPLICA IDENTITY FULL}, so the old row is known);</li>
 *   <li>truncate ({@code t}): no row says whose actions were erased, so it goes to the dead-letter
 *       topic with the reason rather than being attributed to a guess;</li>
 *   <li>a row the parser rejects, or any other operation: dead letter with the reason and the row as
 *       JSON.</li>
 * </ul>
 * Snapshot reads and tombstones never reach this class; see {@link #isSnapshotRead(Struct)}.
 */
public final class AgentActionTableRouter {
    public static final String SCHEMA = "firebreak";
    public static final String TABLE = "agent_actions";
    /** The table's entry in Debezium's {@code table.include.list} (a regular expression). */
    public static final String INCLUDE_LIST_ENTRY = "firebreak\\.agent_actions";
    /** Dead-letter source and key of this path. */
    public static final String SOURCE_NAME = "agent-action-table";
    private static final Logger LOG = LoggerFactory.getLogger(AgentActionTableRouter.class);
    /** Dead-letter payloads are cut here, well below Kafka's default 1 MiB record limit. */
    static final int DLQ_PAYLOAD_MAX_BYTES = 256 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String cluster;
    private final AgentActionParser parser;
    private final AgentActionNormalizer normalizer;
    private final AuditEventSink sink;
    private final Counter accepted;
    private final Counter tampered;
    private final IngestMetrics metrics;
    private final MeterRegistry meters;

    /**
     * @param cluster logical name of the watched PostgreSQL cluster
     */
    public AgentActionTableRouter(String cluster, AgentActionConfig config, ActionClassifier classifier,
                                  AuditEventSink sink, MeterRegistry meters) {
        this.cluster = cluster;
        this.parser = new AgentActionParser(config.inputMaxChars());
        this.normalizer = new AgentActionNormalizer(cluster, classifier, config.statementMaxChars());
        this.sink = sink;
        this.meters = meters;
        this.accepted = Counter.builder("firebreak.ingest.agent.actions.accepted").tag("path", "table")
                .description("Agent actions normalised and produced to Kafka").register(meters);
        this.tampered = Counter.builder("firebreak.ingest.agent.log.tampered").tag("path", "table")
                .description("UPDATEs and DELETEs of logged agent actions, reported as AGENT_LOG_TAMPERED").register(meters);
        this.metrics = new IngestMetrics(meters, CaptureSource.AGENT_TABLE);
    }

    /** Whether a change event is about {@code firebreak.agent_actions}. */
    public static boolean isActionTable(Struct value) {
        Struct source = sourceOf(value);
        return source != null && SCHEMA.equals(optionalString(source, "schema"))
                && TABLE.equals(optionalString(source, "table"));
    }

    /**
     * Whether a change event is a snapshot read (initial or incremental): existing rows, not actions
     * happening now. They would replay history into the burst windows, so they never count.
     */
    public static boolean isSnapshotRead(Struct value) {
        if ("r".equals(optionalString(value, "op"))) {
            return true;
        }
        Struct source = sourceOf(value);
        // Debezium marks snapshot records "true", "first", "last", "incremental"...; live ones "false" or nothing.
        Object snapshot = source == null || source.schema().field("snapshot") == null ? null : source.get("snapshot");
        return snapshot != null && !String.valueOf(snapshot).equalsIgnoreCase("false");
    }

    /** Produces the event or dead letter for one change event of the table. */
    public Future<RecordMetadata> route(Struct value) {
        Struct source = value.getStruct("source");
        long lsn = source.getInt64("lsn");
        String database = optionalString(source, "db");
        String op = value.getString("op");
        return switch (op) {
            case "c" -> inserted(value.getStruct("after"), database, lsn);
            case "u" -> changed("UPDATE", firstNonNull(value.getStruct("before"), value.getStruct("after")), database,
                    lsn, source.getInt64("ts_ms"));
            case "d" -> changed("DELETE", value.getStruct("before"), database, lsn, source.getInt64("ts_ms"));
            case "t" -> deadLetter("TRUNCATE of " + SCHEMA + "." + TABLE + ": every logged agent action was erased",
                    Map.of("op", op), lsn, "truncate", DeadLetterReason.TRUNCATE_OF_LOG);
            default -> deadLetter("unsupported change operation '" + op + "' on " + SCHEMA + "." + TABLE,
                    Map.of("op", String.valueOf(op)), lsn, "unsupported_operation", DeadLetterReason.UNSUPPORTED_OPERATION);
        };
    }

    private Future<RecordMetadata> inserted(Struct after, String database, long lsn) {
        Map<String, Object> row = rowOf(after);
        AuditEvent event;
        try {
            event = normalizer.fromTable(parser.fromRow(row), database, lsn, Micros.now());
        } catch (MalformedActionException e) {
            return deadLetter("malformed " + SCHEMA + "." + TABLE + " row " + row.get("id") + ": " + e.getMessage(),
                    row, lsn, "malformed", reasonOf(e));
        } catch (RuntimeException e) {
            return unexpected(e, row, lsn);
        }
        accepted.increment();
        return metrics.onAcknowledged(sink.send(event), event);
    }

    private Future<RecordMetadata> changed(String operation, Struct before, String database, long lsn, long commitMillis) {
        Map<String, Object> row = rowOf(before);
        AuditEvent event;
        try {
            event = normalizer.tampered(parser.fromRow(row), operation, database, lsn,
                    Math.multiplyExact(commitMillis, 1000L), Micros.now());
        } catch (MalformedActionException e) {
            return deadLetter(operation + " of " + SCHEMA + "." + TABLE + " row " + row.get("id")
                    + ", whose old image is malformed: " + e.getMessage(), row, lsn, "malformed", reasonOf(e));
        } catch (RuntimeException e) {
            return unexpected(e, row, lsn);
        }
        tampered.increment();
        LOG.warn("{} of logged agent action {} of {} at LSN {}", operation, row.get("id"), event.getPrincipal(),
                Long.toUnsignedString(lsn, 16));
        return metrics.onAcknowledged(sink.send(event), event);
    }

    // A bug of ours must not stop the capture on one row: the row is kept in the DLQ with the error.
    private Future<RecordMetadata> unexpected(RuntimeException e, Map<String, Object> row, long lsn) {
        LOG.error("cannot normalise {}.{} row {} at LSN {}", SCHEMA, TABLE, row.get("id"), Long.toUnsignedString(lsn, 16), e);
        return deadLetter("internal error normalising " + SCHEMA + "." + TABLE + " row " + row.get("id") + ": " + e,
                row, lsn, "internal_error", DeadLetterReason.INTERNAL_ERROR);
    }

    private Future<RecordMetadata> deadLetter(String why, Map<String, ?> row, long lsn, String kind,
                                              DeadLetterReason code) {
        byte[] payload = json(row);
        String reason = why;
        if (payload.length > DLQ_PAYLOAD_MAX_BYTES) {
            // An oversized row must not become a record Kafka refuses: that would stop the capture for good.
            reason += " (payload cut to " + DLQ_PAYLOAD_MAX_BYTES + " of " + payload.length + " bytes)";
            payload = Arrays.copyOf(payload, DLQ_PAYLOAD_MAX_BYTES);
        }
        metrics.deadLetter(code);
        Counter.builder("firebreak.ingest.agent.actions.rejected").tag("path", "table").tag("reason", kind)
                .description("Agent action records refused, by reason").register(meters).increment();
        LOG.warn("change at LSN {} sent to {}: {}", Long.toUnsignedString(lsn, 16), Topics.AUDIT_DLQ, reason);
        return sink.sendDeadLetter(SOURCE_NAME, DeadLetter.newBuilder()
                .setSource(SOURCE_NAME)
                .setReason(reason)
                .setOrigin("cluster=" + cluster + " table=" + SCHEMA + "." + TABLE + " lsn=" + Long.toUnsignedString(lsn, 16))
                .setPayload(ByteBuffer.wrap(payload))
                .setCapturedTimeUs(Micros.now())
                .build());
    }

    /** The dead-letter reason code of a row the parser refused. */
    static DeadLetterReason reasonOf(MalformedActionException e) {
        String field = e.field();
        String message = e.getMessage();
        if (field.equals("agent_id") || field.equals("credential")) {
            return DeadLetterReason.BAD_PRINCIPAL;
        }
        if (message.endsWith("is required")) {
            return DeadLetterReason.MISSING_FIELD;
        }
        if (message.contains(" characters, more than ")) {
            return DeadLetterReason.OVERSIZED;
        }
        return field.equals("(record)") ? DeadLetterReason.PARSE_ERROR : DeadLetterReason.BAD_FIELD;
    }

    /** The row as column name to value; an absent image (no replica identity) is an empty row. */
    static Map<String, Object> rowOf(Struct row) {
        Map<String, Object> values = new LinkedHashMap<>();
        if (row != null) {
            for (Field field : row.schema().fields()) {
                values.put(field.name(), row.get(field));
            }
        }
        return values;
    }

    private static byte[] json(Map<String, ?> payload) {
        try {
            return JSON.writeValueAsBytes(payload);
        } catch (JsonProcessingException e) {
            // Only exotic column types fail; the reason still reaches the DLQ with what can be shown.
            return String.valueOf(payload).getBytes(StandardCharsets.UTF_8);
        }
    }

    private static Struct sourceOf(Struct value) {
        return value.schema().field("source") == null ? null : value.getStruct("source");
    }

    private static String optionalString(Struct struct, String field) {
        return struct.schema().field(field) == null ? null : (String) struct.get(field);
    }

    private static Struct firstNonNull(Struct a, Struct b) {
        return a != null ? a : b;
    }
}
