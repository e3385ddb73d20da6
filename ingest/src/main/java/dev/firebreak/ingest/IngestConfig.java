package dev.firebreak.ingest;

import dev.firebreak.config.Allowed;
import dev.firebreak.config.DeclaredSettings;
import dev.firebreak.config.DeprecatedKeys;
import dev.firebreak.config.PassThrough;
import dev.firebreak.config.Typed;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

/**
 * Typed, validated settings of the PostgreSQL capture, declared in {@link #CONFIG}. Unknown Debezium
 * and producer settings pass through under {@link #DEBEZIUM_PREFIX} and {@link #PRODUCER_PREFIX}.
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
 * @param dmlUpdateGated   ({@code dml.update.gated}, default true) whether UPDATEs pass Firebreak's two
 *                         statement triggers, so that a large one is emitted and judged by a guard
 *                         before it commits; false (only with {@code dml.routine=summary}) leaves
 *                         UPDATEs without triggers, reported by the summary after they commit
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
        boolean dmlUpdateGated,
        Map<String, String> debezium,
        Map<String, String> producer,
        Map<String, String> client) {

    public static final String PREFIX = "firebreak.ingest.";
    public static final String DEBEZIUM_PREFIX = PREFIX + "debezium.";
    /** Settings of ingest's audit producer alone, over {@link #CLIENT_PREFIX}; was {@code firebreak.ingest.kafka.producer.}. */
    public static final String PRODUCER_PREFIX = PREFIX + "producer.";
    /** Kafka client settings of ingest alone: {@code firebreak.ingest.client.sasl.jaas.config}, ... */
    public static final String CLIENT_PREFIX = PREFIX + PassThrough.CLIENT_INFIX;
    /** Kafka bootstrap servers of ingest; was {@code firebreak.ingest.kafka.bootstrap.servers}. */
    public static final String BOOTSTRAP_SERVERS = PREFIX + "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = PREFIX + "schema.registry.url";
    /** The classifier's rules: a YAML file or directory; unset: the bundled rules. */
    public static final String CLASSIFIER_RULES_PATH = PREFIX + "classifier.rules.path";
    /** Old spellings, still read (with a warning). */
    public static final Map<String, String> ALIASES = Map.of(PREFIX + "kafka.bootstrap.servers", BOOTSTRAP_SERVERS,
            PREFIX + "kafka.producer.", PRODUCER_PREFIX);
    public static final String DEFAULT_MESSAGE_PREFIX = "firebreak.audit.v1";
    /** {@code dml.routine}: one event per routine statement, at commit. */
    public static final String ROUTINE_STATEMENT = "statement";
    /** {@code dml.routine}: routine statements summarised per role and statement shape. */
    public static final String ROUTINE_SUMMARY = "summary";
    /** Whether UPDATEs carry the gate triggers; false only with {@link #ROUTINE_SUMMARY}. */
    public static final String UPDATE_GATED = "dml.update.gated";
    private static final List<String> ROUTINE_MODES = List.of(ROUTINE_STATEMENT, ROUTINE_SUMMARY);
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
    // Catalog names as stored (case-sensitive); names containing dots, commas or spaces cannot be listed.
    private static final Pattern SCHEMA_NAME = Pattern.compile("[^.,\\s]{1,63}");
    private static final Pattern TABLE_NAME = Pattern.compile("[^.,\\s]{1,63}\\.[^.,\\s]{1,63}");
    // Row-image tables name their own Kafka topic, so only names that are legal in a topic name.
    private static final Pattern CDC_TABLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}\\.[a-z_][a-z0-9_]{0,62}");
    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");

    /** Every key of the capture; the guard's, the agent paths' and the server log's are in their own configs. */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(PREFIX + "cluster", Type.STRING, "main", Allowed.matching(NAME, "a name matching " + NAME), Importance.HIGH,
                    "Logical name of the watched PostgreSQL cluster; part of every principal (pg:<cluster>/<role>)"
                            + " and of the kill switch's routing, so it must match firebreak.killswitch.pg.cluster.")
            .define(PREFIX + "pg.host", Type.STRING, "127.0.0.1", Importance.HIGH, "PostgreSQL host to capture from.")
            .define(PREFIX + "pg.port", Type.INT, 5432, Allowed.range(1, 65535), Importance.HIGH, "PostgreSQL port.")
            .define(PREFIX + "pg.database", Type.STRING, "postgres", Importance.HIGH, "Database whose events are captured.")
            .define(PREFIX + "pg.user", Type.STRING, "postgres", Importance.HIGH,
                    "Role ingest connects as: it needs REPLICATION, and installs the triggers unless install.triggers=false.")
            .define(PREFIX + "pg.password", Type.PASSWORD, null, Importance.HIGH,
                    "Password of pg.user; use ${env:NAME} or ${dir:/run/secrets:name} rather than the file itself.")
            .define(PREFIX + "slot", Type.STRING, null, Allowed.matching(SLOT_NAME,
                            "lower-case letters, digits and _ (a replication slot name)"), Importance.MEDIUM,
                    "Replication slot name; unset: firebreak_<cluster> (dashes as _), one slot per cluster.")
            .define(PREFIX + "publication", Type.STRING, "firebreak_audit", Importance.LOW, "Publication the slot reads.")
            .define(PREFIX + "message.prefix", Type.STRING, DEFAULT_MESSAGE_PREFIX, Importance.LOW,
                    "Prefix of the logical messages the triggers emit; only messages with it are read.")
            .define(PREFIX + "statement.max.chars", Type.INT, 2048, Importance.LOW,
                    "Statement text kept per event, in characters; longer statements are cut, so events stay bounded.")
            .define(PREFIX + "install.triggers", Type.BOOLEAN, true, Importance.MEDIUM,
                    "Install (idempotently) the event triggers and functions at start-up; false when a DBA installs them.")
            .define(BOOTSTRAP_SERVERS, Type.STRING, "127.0.0.1:9092", Importance.HIGH,
                    "Kafka bootstrap servers of ingest, host:port[,host:port].")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, "http://127.0.0.1:8080/apis/ccompat/v7", Importance.HIGH,
                    "Schema registry URL: http(s)://... (Confluent-compatible) or mem://<scope> for tests.")
            .define(PREFIX + "offsets.replication.factor", Type.INT, 3, Allowed.atLeast(1), Importance.MEDIUM,
                    "Replication factor of the Debezium offsets topic; 3 so that losing a broker loses no position.")
            .define(PREFIX + "poll.interval.ms", Type.LONG, 1L, Allowed.range(1, 10_000), Importance.MEDIUM,
                    "Debezium's wait when the replication stream is idle, in ms; its default of 500 alone would exceed"
                            + " the latency budget.")
            .define(PREFIX + "offset.flush.interval.ms", Type.LONG, 1000L, Allowed.atLeast(0), Importance.LOW,
                    "How often Debezium offsets (and so the slot's confirmed LSN, and the WAL it retains) are committed, in ms.")
            .define(PREFIX + "dml.enabled", Type.BOOLEAN, true, Importance.MEDIUM,
                    "Whether tables carry the statement-level DELETE/UPDATE/TRUNCATE triggers; false removes the ones"
                            + " installed earlier.")
            .define(PREFIX + "dml.exclude.schemas", Type.LIST, List.of(), Allowed.eachMatching(SCHEMA_NAME,
                            "schema names, comma-separated"), Importance.LOW,
                    "Schemas whose tables get no DML triggers, spelled as the catalog stores them.")
            .define(PREFIX + "dml.exclude.tables", Type.LIST, List.of(), Allowed.eachMatching(TABLE_NAME,
                            "schema.table names, comma-separated"), Importance.LOW, "Tables that get no DML triggers.")
            .define(PREFIX + "cdc.tables", Type.LIST, List.of(), Allowed.eachMatching(CDC_TABLE_NAME,
                            "lower-case schema.table names (letters, digits, _), comma-separated"), Importance.LOW,
                    "Tables whose row changes, with full before images, go to their own topic for restores.")
            .define(PREFIX + "dml.routine", Type.STRING, ROUTINE_STATEMENT, Allowed.oneOf(ROUTINE_MODES), Importance.LOW,
                    "How routine DELETE/UPDATE statements (fewer rows than the guard or dml.immediate.rows judge) are"
                            + " captured: statement, one event each at commit; summary, one event per role and statement"
                            + " shape per interval, from pg_stat_statements (which must be in shared_preload_libraries).")
            .define(PREFIX + "dml.summary.interval.ms", Type.LONG, 1000L, Allowed.range(100, 60_000), Importance.LOW,
                    "How often routine DML is summarised when dml.routine=summary, in ms.")
            .define(PREFIX + UPDATE_GATED, Type.BOOLEAN, true, Importance.LOW,
                    "true: every UPDATE passes two statement triggers whose conditions count its rows, so one that"
                            + " changes dml.immediate.rows rows or more is emitted at once and judged by row_change guards"
                            + " before it commits. false (needs dml.routine=summary): UPDATEs carry no trigger and every"
                            + " UPDATE, large ones too, is reported by the summary after it commits; no guard can refuse"
                            + " one. The triggers cost pgbench about a tenth of its throughput (docs/benchmarks.md).")
            .define(CLASSIFIER_RULES_PATH, Type.STRING, null, Importance.MEDIUM,
                    "A YAML file or directory of classifier rules (how agent actions and SQL are classified); edits are"
                            + " reloaded. Unset: the bundled classifier rules.");

    /** The capture's settings, for {@code Settings.check} and the settings reference. */
    public static final class Definition extends DeclaredSettings {
        public Definition() {
            super("ingest", "Capture (PostgreSQL)", CONFIG, Map.of(
                    DEBEZIUM_PREFIX, "Debezium connector properties, passed through without the prefix.",
                    PRODUCER_PREFIX, "Settings of the audit producer alone, over client.*.",
                    CLIENT_PREFIX, "Settings of every Kafka client of ingest (SASL, TLS); not bootstrap.servers."), ALIASES);
        }
    }

    public IngestConfig {
        require(NAME.matcher(cluster).matches(), "cluster", cluster, "a name matching " + NAME);
        require(pgPort > 0 && pgPort < 65536, "pg.port", pgPort, "1..65535");
        require(pgHost != null && !pgHost.isBlank(), "pg.host", pgHost, "a host name");
        require(pgUser != null && !pgUser.isBlank(), "pg.user", pgUser, "a role name");
        require(SLOT_NAME.matcher(slotName).matches(), "slot", slotName, "lower-case letters, digits and _ (a replication slot name)");
        require(pollIntervalMs >= 1 && pollIntervalMs <= 10_000, "poll.interval.ms", pollIntervalMs, "1..10000");
        require(offsetFlushIntervalMs >= 0, "offset.flush.interval.ms", offsetFlushIntervalMs, ">= 0");
        require(offsetsReplicationFactor >= 1, "offsets.replication.factor", offsetsReplicationFactor, ">= 1");
        require(bootstrapServers != null && !bootstrapServers.isBlank(), "bootstrap.servers", bootstrapServers, "host:port[,host:port]");
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
        // without the gate and without summaries an UPDATE would be reported nowhere
        require(dmlUpdateGated || ROUTINE_SUMMARY.equals(dmlRoutine), UPDATE_GATED, false,
                "true, or false together with " + PREFIX + "dml.routine=summary (it is " + dmlRoutine + ")");
        debezium = Map.copyOf(debezium);
        producer = Map.copyOf(producer);
        client = Map.copyOf(client == null ? Map.of() : client);
        require(!client.containsKey("bootstrap.servers"), "client.bootstrap.servers", client.get("bootstrap.servers"),
                "nothing; set " + BOOTSTRAP_SERVERS);
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
                dmlSummaryIntervalMs, true, debezium, producer, Map.of());
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

    /**
     * Reads the keys of {@link #CONFIG} (old spellings too, see {@link #ALIASES}) and the pass-through
     * prefixes; anything missing takes its default, a bad value fails naming the key.
     */
    public static IngestConfig fromMap(Map<String, String> map) {
        Map<String, String> settings = DeprecatedKeys.canonical(map, ALIASES);
        AbstractConfig c = Typed.parse(CONFIG, settings);
        String cluster = c.getString(PREFIX + "cluster");
        String slot = c.getString(PREFIX + "slot");
        Password password = c.getPassword(PREFIX + "pg.password");
        return new IngestConfig(
                cluster,
                c.getString(PREFIX + "pg.host"),
                c.getInt(PREFIX + "pg.port"),
                c.getString(PREFIX + "pg.database"),
                c.getString(PREFIX + "pg.user"),
                password == null ? null : password.value(),
                slot == null ? "firebreak_" + cluster.replace('-', '_') : slot,
                c.getString(PREFIX + "publication"),
                c.getString(PREFIX + "message.prefix"),
                c.getInt(PREFIX + "statement.max.chars"),
                c.getBoolean(PREFIX + "install.triggers"),
                c.getString(BOOTSTRAP_SERVERS),
                c.getString(SCHEMA_REGISTRY_URL),
                c.getInt(PREFIX + "offsets.replication.factor"),
                c.getLong(PREFIX + "poll.interval.ms"),
                c.getLong(PREFIX + "offset.flush.interval.ms"),
                c.getBoolean(PREFIX + "dml.enabled"),
                listOf(c, "dml.exclude.schemas"),
                listOf(c, "dml.exclude.tables"),
                listOf(c, "cdc.tables"),
                c.getString(PREFIX + "dml.routine"),
                c.getLong(PREFIX + "dml.summary.interval.ms"),
                c.getBoolean(PREFIX + UPDATE_GATED),
                PassThrough.withPrefix(settings, DEBEZIUM_PREFIX),
                PassThrough.withPrefix(settings, PRODUCER_PREFIX),
                PassThrough.withPrefix(settings, CLIENT_PREFIX));
    }

    @Override
    public String toString() {
        return "IngestConfig[cluster=" + cluster + ", pg=" + pgUser + "@" + pgHost + ":" + pgPort + "/" + pgDatabase
                + ", slot=" + slotName + ", publication=" + publication + ", kafka=" + bootstrapServers
                + ", registry=" + registryUrl + ", pollIntervalMs=" + pollIntervalMs + ", dml=" + dmlEnabled
                + (dmlEnabled ? " excluding schemas " + dmlExcludeSchemas + " tables " + dmlExcludeTables : "")
                + ", routine DML by " + dmlRoutine + (routineSummarized() ? " every " + dmlSummaryIntervalMs + " ms" : "")
                + (dmlUpdateGated ? "" : ", UPDATEs ungated")
                + ", rowImages=" + rowImageTables + "]";
    }

    /** The list's non-empty entries, each once ("a,,b" and "a,a" are forgiven, as before). */
    private static List<String> listOf(AbstractConfig c, String key) {
        return c.getList(PREFIX + key).stream().map(String::trim).filter(v -> !v.isEmpty()).distinct().toList();
    }

    private static void require(boolean ok, String key, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + PREFIX + key + "=" + value + "; allowed: " + allowed);
        }
    }
}
