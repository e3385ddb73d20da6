package dev.firebreak.ingest;

import dev.firebreak.config.PassThrough;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Typed, validated settings of the PostgreSQL capture. Unknown Debezium and producer settings
 * pass through under {@link #DEBEZIUM_PREFIX} and {@link #PRODUCER_PREFIX}.
 *
 * @param cluster          logical name of the watched PostgreSQL cluster; part of every principal
 * @param pollIntervalMs   Debezium's wait when the replication stream is idle (its default of 500 ms
 *                         alone would exceed the latency budget)
 * @param offsetFlushIntervalMs how often Debezium offsets (and so the slot's confirmed LSN) are committed
 * @param dmlEnabled       ({@code dml.enabled}, default true) whether tables carry the statement-level
 *                         DELETE/UPDATE/TRUNCATE triggers; false removes the ones installed earlier
 * @param dmlExcludeSchemas ({@code dml.exclude.schemas}, comma-separated) schemas whose tables get no
 *                         DML triggers, spelled as the catalog stores them
 * @param rowImageTables   ({@code cdc.tables}, comma-separated {@code schema.table}) tables whose row
 *                         changes, with full before images, go to their own topic for restores
 * @param dmlExcludeTables ({@code dml.exclude.tables}, comma-separated {@code schema.table}) tables
 *                         that get no DML triggers
 * @param dmlRoutine       ({@code dml.routine}, default {@code statement}) how routine DELETE/UPDATE
 *                         statements (fewer rows than the guard or {@code dml.immediate.rows} judge)
 *                         are captured: {@code statement}, one event each at commit; {@code summary},
 *                         one event per role and statement shape per interval, from
 *                         pg_stat_statements (which must be in {@code shared_preload_libraries})
 * @param dmlSummaryIntervalMs ({@code dml.summary.interval.ms}, default 1000) how often routine DML
 *                         is summarised when {@code dml.routine=summary}
 * @param client           ({@code client.*}) settings for every Kafka client ingest opens (the audit
 *                         producers, the Debezium offset store, admin clients), e.g. its SASL credentials;
 *                         {@link #PRODUCER_PREFIX} settings win over them for the producer
 */
public record IngestConfig(
        String cluster,
        String pgHost,
        int pgPort,
        String pgDatabase,
        String pgUser,
        String pgPassword,
        String slotName,
        String publication,
        String messagePrefix,
        int statementMaxChars,
        boolean installTriggers,
        String bootstrapServers,
        String registryUrl,
        int offsetsReplicationFactor,
        long pollIntervalMs,
        long offsetFlushIntervalMs,
        boolean dmlEnabled,
        List<String> dmlExcludeSchemas,
        List<String> dmlExcludeTables,
        List<String> rowImageTables,
        String dmlRoutine,
        long dmlSummaryIntervalMs,
        Map<String, String> debezium,
        Map<String, String> producer,
        Map<String, String> client) {

    public static final String PREFIX = "firebreak.ingest.";
    public static final String DEBEZIUM_PREFIX = PREFIX + "debezium.";
    public static final String PRODUCER_PREFIX = PREFIX + "kafka.producer.";
    /** Kafka client settings of ingest alone: {@code firebreak.ingest.client.sasl.jaas.config}, ... */
    public static final String CLIENT_PREFIX = PREFIX + PassThrough.CLIENT_INFIX;
    public static final String DEFAULT_MESSAGE_PREFIX = "firebreak.audit.v1";
    /** {@code dml.routine}: one event per routine statement, at commit. */
    public static final String ROUTINE_STATEMENT = "statement";
    /** {@code dml.routine}: routine statements summarised per role and statement shape. */
    public static final String ROUTINE_SUMMARY = "summary";
    private static final List<String> ROUTINE_MODES = List.of(ROUTINE_STATEMENT, ROUTINE_SUMMARY);
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
    // Catalog names as stored (case-sensitive); names containing dots, commas or spaces cannot be listed.
    private static final Pattern SCHEMA_NAME = Pattern.compile("[^.,\\s]{1,63}");
    private static final Pattern TABLE_NAME = Pattern.compile("[^.,\\s]{1,63}\\.[^.,\\s]{1,63}");
    // Row-image tables name their own Kafka topic, so only names that are legal in a topic name.
    private static final Pattern CDC_TABLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}\\.[a-z_][a-z0-9_]{0,62}");

    public IngestConfig {
        require(NAME.matcher(cluster).matches(), "cluster", cluster, "a name matching " + NAME);
        require(pgPort > 0 && pgPort < 65536, "pg.port", pgPort, "1..65535");
        require(pgHost != null && !pgHost.isBlank(), "pg.host", pgHost, "a host name");
        require(pgUser != null && !pgUser.isBlank(), "pg.user", pgUser, "a role name");
        require(slotName.matches("[a-z0-9_]{1,63}"), "slot", slotName, "lower-case letters, digits and _ (a replication slot name)");
        require(pollIntervalMs >= 1 && pollIntervalMs <= 10_000, "poll.interval.ms", pollIntervalMs, "1..10000");
        require(offsetFlushIntervalMs >= 0, "offset.flush.interval.ms", offsetFlushIntervalMs, ">= 0");
        require(offsetsReplicationFactor >= 1, "offsets.replication.factor", offsetsReplicationFactor, ">= 1");
        require(bootstrapServers != null && !bootstrapServers.isBlank(), "kafka.bootstrap.servers", bootstrapServers, "host:port[,host:port]");
        dmlExcludeSchemas = List.copyOf(dmlExcludeSchemas);
        dmlExcludeTables = List.copyOf(dmlExcludeTables);
        dmlExcludeSchemas.forEach(s -> require(SCHEMA_NAME.matcher(s).matches(), "dml.exclude.schemas", s, "schema names, comma-separated"));
        dmlExcludeTables.forEach(t -> require(TABLE_NAME.matcher(t).matches(), "dml.exclude.tables", t, "schema.table names, comma-separated"));
        rowImageTables = List.copyOf(rowImageTables);
        rowImageTables.forEach(t -> require(CDC_TABLE_NAME.matcher(t).matches(), "cdc.tables", t,
                "lower-case schema.table names (letters, digits, _), comma-separated"));
        require(ROUTINE_MODES.contains(dmlRoutine), "dml.routine", dmlRoutine, String.join(", ", ROUTINE_MODES));
        require(dmlSummaryIntervalMs >= 100 && dmlSummaryIntervalMs <= 60_000, "dml.summary.interval.ms",
                dmlSummaryIntervalMs, "100..60000");
        debezium = Map.copyOf(debezium);
        producer = Map.copyOf(producer);
        client = Map.copyOf(client == null ? Map.of() : client);
        require(!client.containsKey("bootstrap.servers"), "client.bootstrap.servers", client.get("bootstrap.servers"),
                "nothing; set " + PREFIX + "kafka.bootstrap.servers");
    }

    /** The shape before per-stage client settings: none (an unauthenticated cluster). */
    public IngestConfig(String cluster, String pgHost, int pgPort, String pgDatabase, String pgUser, String pgPassword,
                        String slotName, String publication, String messagePrefix, int statementMaxChars,
                        boolean installTriggers, String bootstrapServers, String registryUrl, int offsetsReplicationFactor,
                        long pollIntervalMs, long offsetFlushIntervalMs, boolean dmlEnabled, List<String> dmlExcludeSchemas,
                        List<String> dmlExcludeTables, List<String> rowImageTables, String dmlRoutine,
                        long dmlSummaryIntervalMs, Map<String, String> debezium, Map<String, String> producer) {
        this(cluster, pgHost, pgPort, pgDatabase, pgUser, pgPassword, slotName, publication, messagePrefix,
                statementMaxChars, installTriggers, bootstrapServers, registryUrl, offsetsReplicationFactor, pollIntervalMs,
                offsetFlushIntervalMs, dmlEnabled, dmlExcludeSchemas, dmlExcludeTables, rowImageTables, dmlRoutine,
                dmlSummaryIntervalMs, debezium, producer, Map.of());
    }

    /** Settings of the audit producer: {@link #client} with {@link #producer} laid over it. */
    public Map<String, String> producerSettings() {
        return PassThrough.layered(client, producer);
    }

    /** Settings of an admin client or a plain producer of ingest: {@link #client} and bootstrap servers. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> props = new java.util.HashMap<>(client);
        props.put("bootstrap.servers", bootstrapServers);
        return props;
    }

    /** Whether routine DELETE/UPDATE statements are summarised from pg_stat_statements. */
    public boolean routineSummarized() {
        return ROUTINE_SUMMARY.equals(dmlRoutine);
    }

    /** Settings for a local stack: defaults everywhere else. */
    public static IngestConfig of(String cluster, String host, int port, String database, String user, String password,
                                  String bootstrapServers, String registryUrl, int offsetsReplicationFactor) {
        return new IngestConfig(cluster, host, port, database, user, password, "firebreak_" + cluster.replace('-', '_'),
                "firebreak_audit", DEFAULT_MESSAGE_PREFIX, 2048, true, bootstrapServers, registryUrl,
                offsetsReplicationFactor, 1, 1000, true, List.of(), List.of(), List.of(), ROUTINE_STATEMENT, 1000,
                Map.of(), Map.of());
    }

    /** Reads {@code firebreak.ingest.*} keys; anything missing takes its default. */
    public static IngestConfig fromMap(Map<String, String> map) {
        String cluster = get(map, "cluster", "main");
        return new IngestConfig(
                cluster,
                get(map, "pg.host", "127.0.0.1"),
                intOf(map, "pg.port", "5432"),
                get(map, "pg.database", "postgres"),
                get(map, "pg.user", "postgres"),
                map.get(PREFIX + "pg.password"),
                get(map, "slot", "firebreak_" + cluster.replace('-', '_')),
                get(map, "publication", "firebreak_audit"),
                get(map, "message.prefix", DEFAULT_MESSAGE_PREFIX),
                intOf(map, "statement.max.chars", "2048"),
                boolOf(map, "install.triggers", "true"),
                get(map, "kafka.bootstrap.servers", "127.0.0.1:9092"),
                get(map, "schema.registry.url", "http://127.0.0.1:8080/apis/ccompat/v7"),
                intOf(map, "offsets.replication.factor", "3"),
                intOf(map, "poll.interval.ms", "1"),
                intOf(map, "offset.flush.interval.ms", "1000"),
                boolOf(map, "dml.enabled", "true"),
                listOf(map, "dml.exclude.schemas"),
                listOf(map, "dml.exclude.tables"),
                listOf(map, "cdc.tables"),
                get(map, "dml.routine", ROUTINE_STATEMENT).trim(),
                intOf(map, "dml.summary.interval.ms", "1000"),
                PassThrough.withPrefix(map, DEBEZIUM_PREFIX),
                PassThrough.withPrefix(map, PRODUCER_PREFIX),
                PassThrough.withPrefix(map, CLIENT_PREFIX));
    }

    @Override
    public String toString() {
        return "IngestConfig[cluster=" + cluster + ", pg=" + pgUser + "@" + pgHost + ":" + pgPort + "/" + pgDatabase
                + ", slot=" + slotName + ", publication=" + publication + ", kafka=" + bootstrapServers
                + ", registry=" + registryUrl + ", pollIntervalMs=" + pollIntervalMs + ", dml=" + dmlEnabled
                + (dmlEnabled ? " excluding schemas " + dmlExcludeSchemas + " tables " + dmlExcludeTables : "")
                + ", routine DML by " + dmlRoutine + (routineSummarized() ? " every " + dmlSummaryIntervalMs + " ms" : "")
                + ", rowImages=" + rowImageTables + "]";
    }

    private static String get(Map<String, String> map, String key, String fallback) {
        return map.getOrDefault(PREFIX + key, fallback);
    }

    private static int intOf(Map<String, String> map, String key, String fallback) {
        String value = get(map, key, fallback);
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + "=" + value + " is not an integer");
        }
    }

    private static boolean boolOf(Map<String, String> map, String key, String fallback) {
        String value = get(map, key, fallback).trim();
        require(value.equals("true") || value.equals("false"), key, value, "true, false");
        return Boolean.parseBoolean(value);
    }

    private static List<String> listOf(Map<String, String> map, String key) {
        return Arrays.stream(get(map, key, "").split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .distinct()
                .toList();
    }


    private static void require(boolean ok, String key, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + PREFIX + key + "=" + value + "; allowed: " + allowed);
        }
    }
}
