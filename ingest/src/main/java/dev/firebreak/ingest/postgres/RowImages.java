package dev.firebreak.ingest.postgres;

import dev.firebreak.ingest.kafka.AuditSink;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.RowChange;
import dev.firebreak.schema.RowOperation;
import dev.firebreak.schema.Topics;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Row images for restore: the tables named in {@code firebreak.ingest.cdc.tables} get
 * {@code REPLICA IDENTITY FULL} and join the publication, and every committed change of theirs goes,
 * with the whole before image, to the table's own topic ({@link Topics#rowImages}). An alert's
 * {@code recovery_lsn} says from which change on the rows are to be put back.
 */
public final class RowImages {
    private static final Logger LOG = LoggerFactory.getLogger(RowImages.class);

    private final String cluster;
    private final Set<String> tables;
    private final AuditSink sink;

    public RowImages(String cluster, List<String> tables, AuditSink sink) {
        this.cluster = cluster;
        this.tables = Set.copyOf(tables);
        this.sink = sink;
    }

    /** Whether any table is configured. */
    public boolean enabled() {
        return !tables.isEmpty();
    }

    /** Debezium {@code table.include.list} entries for the configured tables. */
    public List<String> includeListEntries() {
        return tables.stream().sorted().map(t -> Pattern.quote(t)).toList();
    }

    /** The topics to create before streaming. */
    public List<String> topics() {
        return tables.stream().sorted().map(t -> Topics.rowImages(cluster, t.split("\\.")[0], t.split("\\.")[1])).toList();
    }

    /**
     * Makes every configured table keep full before images and publishes it. A table that does not
     * exist fails start-up: a restore that silently has no rows is worse than no start.
     */
    public void install(Connection c, String publication) throws SQLException {
        for (String table : tables.stream().sorted().toList()) {
            String[] parts = table.split("\\.");
            try (PreparedStatement st = c.prepareStatement("""
                    SELECT c.relreplident,
                           EXISTS (SELECT 1 FROM pg_publication_tables p
                                   WHERE p.pubname = ? AND p.schemaname = n.nspname AND p.tablename = c.relname)
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')""")) {
                st.setString(1, publication);
                st.setString(2, parts[0]);
                st.setString(3, parts[1]);
                try (ResultSet rs = st.executeQuery(); Statement ddl = c.createStatement()) {
                    if (!rs.next()) {
                        throw new IllegalArgumentException("invalid firebreak.ingest.cdc.tables: table " + table
                                + " does not exist in the watched database");
                    }
                    // the names matched [a-z_][a-z0-9_]* at start-up, so they need no quoting
                    if (!"f".equals(rs.getString(1))) {
                        ddl.execute("ALTER TABLE " + table + " REPLICA IDENTITY FULL");
                    }
                    if (!rs.getBoolean(2)) {
                        ddl.execute("ALTER PUBLICATION " + publication + " ADD TABLE " + table);
                    }
                }
            }
            LOG.info("row images of {} go to {}", table, Topics.rowImages(cluster, parts[0], parts[1]));
        }
    }

    /** Whether the record is a change of a configured table. */
    public boolean handles(Struct value) {
        if (value.schema().field("source") == null || value.schema().field("op") == null) {
            return false;
        }
        Struct source = value.getStruct("source");
        return tables.contains(source.getString("schema") + "." + source.getString("table"));
    }

    /** Produces the change; null for what is not a committed change (snapshot reads). */
    public Future<RecordMetadata> route(SourceRecord record, Struct value) {
        RowOperation operation = operation(value.getString("op"));
        if (operation == null) {
            return null;
        }
        Struct source = value.getStruct("source");
        long lsn = source.getInt64("lsn");
        String schema = source.getString("schema");
        String table = source.getString("table");
        RowChange change = RowChange.newBuilder()
                .setEventId("pg:" + cluster + "/" + Long.toUnsignedString(lsn, 16) + "/" + schema + "." + table)
                .setCluster(cluster)
                .setDatabase(source.getString("db"))
                .setSchemaName(schema)
                .setTableName(table)
                .setOperation(operation)
                .setLsn(lsn)
                .setTxid(source.getInt64("txId"))
                .setCommitTimeUs(commitTimeUs(source))
                .setBefore(image(value, "before"))
                .setAfter(image(value, "after"))
                .build();
        String key = record.key() instanceof Struct k ? render(k) : change.getEventId();
        return sink.sendRowChange(Topics.rowImages(cluster, schema, table), key, change);
    }

    private static RowOperation operation(String op) {
        return switch (op) {
            case "c" -> RowOperation.INSERT;
            case "u" -> RowOperation.UPDATE;
            case "d" -> RowOperation.DELETE;
            case "t" -> RowOperation.TRUNCATE;
            default -> null; // "r": snapshot reads are not changes
        };
    }

    private static long commitTimeUs(Struct source) {
        if (source.schema().field("ts_us") != null && source.get("ts_us") != null) {
            return source.getInt64("ts_us");
        }
        Long ms = source.getInt64("ts_ms");
        return ms == null ? Micros.now() : ms * 1000;
    }

    private static Map<String, String> image(Struct value, String side) {
        if (value.schema().field(side) == null || value.get(side) == null) {
            return null;
        }
        Struct row = value.getStruct(side);
        Map<String, String> image = new LinkedHashMap<>();
        for (Field field : row.schema().fields()) {
            image.put(field.name(), text(row.get(field)));
        }
        return image;
    }

    private static String render(Struct key) {
        return key.schema().fields().stream().map(f -> f.name() + "=" + text(key.get(f))).collect(Collectors.joining(","));
    }

    private static String text(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof byte[] bytes) {
            return Base64.getEncoder().encodeToString(bytes);
        }
        if (value instanceof ByteBuffer buffer) {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.duplicate().get(bytes);
            return Base64.getEncoder().encodeToString(bytes);
        }
        return String.valueOf(value);
    }
}
