package dev.firebreak.killswitch;

import dev.firebreak.config.Allowed;
import dev.firebreak.config.DeclaredSettings;
import dev.firebreak.config.DeprecatedKeys;
import dev.firebreak.config.Typed;
import dev.firebreak.config.PassThrough;
import dev.firebreak.config.Settings;
import dev.firebreak.killswitch.webhook.WebhookTargetConfig;
import dev.firebreak.metrics.BoundedLabel;
import dev.firebreak.schema.signing.SigningKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Configuration of the kill switch, typed and validated when built: a bad value fails start-up with
 * the key and what is allowed.
 *
 * @param cluster           logical name of the PostgreSQL cluster; targets {@code pg:<cluster>/<role>}
 * @param jdbcUrl           {@code jdbc:postgresql://...} of the cluster (any database; roles are cluster-wide)
 * @param user              the kill switch's own role (CREATEROLE with ADMIN on lockable roles, pg_signal_backend)
 * @param password          password of {@code user}; never printed
 * @param protectedRoles    roles that are never locked, in addition to superusers and {@code user}
 * @param confirmTimeout    how long to wait for the role's sessions to disappear before reporting FAILED
 * @param settle            after a role was locked, how long to keep watching for sessions whose login
 *                          passed the check just before the lock committed (they register late)
 * @param groupId           consumer group of the command consumer
 * @param bootstrapServers  Kafka bootstrap servers
 * @param schemaRegistryUrl {@code http(s)://...} or {@code mem://<scope>}
 * @param dryRun            treat every command as a dry run
 * @param revokeConnect     also REVOKE the role's explicit CONNECT grants on every database (recorded and
 *                          restored by reinstate); off by default because CONNECT granted to PUBLIC
 *                          makes it no extra barrier and it needs the database owners' rights
 * @param commandDeadline   time budget of a command that sets none itself
 * @param maxCommandAge     older commands are not executed (and alert); zero disables the check
 * @param retryMaxAttempts  attempts per target for retryable failures
 * @param retryBackoff      first retry wait, doubling up to 1 s
 * @param consumerOverrides Kafka consumer settings, prefixes removed: {@link #CLIENT_PREFIX}, {@link #CONSUMER_PREFIX} over it
 * @param producerOverrides Kafka producer settings, prefixes removed: {@link #CLIENT_PREFIX}, {@link #PRODUCER_PREFIX} over it
 * @param targetBlocks      every key under {@link #TARGET_BLOCKS}, full key to value, for the revokers of
 *                          the other target kinds to validate (see {@link Revokers})
 * @param principalLabelLimit distinct principals that get their own metric label value
 *                          ({@code firebreak.metrics.principal.label.limit}, shared by every service)
 * @param commandVerificationKey verifies the signature of every revoke command ({@link #COMMAND_VERIFICATION_SECRET},
 *                          detection's signing secret); the service does not start without it
 * @param resultSigningKey  signs every result the kill switch and reinstate publish, and verifies the results
 *                          reinstate reads ({@link #RESULT_SIGNING_SECRET}); the service does not start without it
 * @param operatorKey       verifies manual commands ({@code firebreak revoke}) and signs them in the CLI
 *                          ({@link #OPERATOR_SECRET}); null: manual commands are refused
 * @param namedClusters     PostgreSQL clusters besides the default one ({@link #PG_CLUSTERS}), each with its own
 *                          connection and revoker; protected roles, timeouts and {@code revokeConnect} are shared
 * @param parallelism       commands executed at once ({@link #PARALLELISM}); one principal's commands stay in order
 */
public record KillSwitchConfig(
        String cluster,
        String jdbcUrl,
        String user,
        String password,
        List<String> protectedRoles,
        Duration confirmTimeout,
        Duration settle,
        String groupId,
        String bootstrapServers,
        String schemaRegistryUrl,
        boolean dryRun,
        boolean revokeConnect,
        Duration commandDeadline,
        Duration maxCommandAge,
        int retryMaxAttempts,
        Duration retryBackoff,
        Map<String, String> consumerOverrides,
        Map<String, String> producerOverrides,
        Map<String, String> targetBlocks,
        int principalLabelLimit,
        SigningKey commandVerificationKey,
        SigningKey resultSigningKey,
        SigningKey operatorKey,
        List<PgCluster> namedClusters,
        int parallelism) {

    public static final String PREFIX = "firebreak.killswitch.";
    public static final String CLUSTER = PREFIX + "pg.cluster";
    public static final String PG_URL = PREFIX + "pg.url";
    public static final String PG_USER = PREFIX + "pg.user";
    public static final String PG_PASSWORD = PREFIX + "pg.password";
    public static final String PROTECTED_ROLES = PREFIX + "pg.protected.roles";
    public static final String CONFIRM_TIMEOUT_MS = PREFIX + "pg.confirm.timeout.ms";
    public static final String SETTLE_MS = PREFIX + "pg.settle.ms";
    public static final String GROUP_ID = PREFIX + "group.id";
    public static final String BOOTSTRAP_SERVERS = PREFIX + "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = PREFIX + "schema.registry.url";
    public static final String DRY_RUN = PREFIX + "dry.run";
    public static final String PG_REVOKE_CONNECT = PREFIX + "pg.revoke.connect";
    public static final String COMMAND_DEADLINE_MS = PREFIX + "command.deadline.ms";
    public static final String COMMAND_MAX_AGE_MS = PREFIX + "command.max.age.ms";
    public static final String RETRY_MAX_ATTEMPTS = PREFIX + "retry.max.attempts";
    public static final String RETRY_BACKOFF_MS = PREFIX + "retry.backoff.ms";
    /**
     * Names of the PostgreSQL clusters served besides the default one ({@link #CLUSTER}), comma-separated;
     * each needs {@code pg.cluster.<name>.url} and {@code .user} ({@code .password} optional).
     */
    public static final String PG_CLUSTERS = PREFIX + "pg.clusters";
    /** Prefix of a named cluster's keys: {@code firebreak.killswitch.pg.cluster.<name>.url|user|password}. */
    public static final String PG_CLUSTER_PREFIX = PREFIX + "pg.cluster.";
    /** Commands executed at once, each principal's in order (1..64). */
    public static final String PARALLELISM = PREFIX + "parallelism";
    public static final int DEFAULT_PARALLELISM = 4;
    public static final int MAX_PARALLELISM = 64;
    /** The per-cluster keys under {@link #PG_CLUSTER_PREFIX}{@code <name>.}. */
    static final List<String> PG_CLUSTER_KEYS = List.of("url", "user", "password");
    /**
     * Detection's command signing secret ({@code firebreak.detection.command.signing.secret}), or with
     * {@code .env} the name of an environment variable holding it. A command whose signature does not
     * verify is never executed. Required to run; never logged.
     */
    public static final String COMMAND_VERIFICATION_SECRET = PREFIX + "command.verification.secret";
    /**
     * The kill switch's own secret for the results it and {@code reinstate} publish, or with {@code .env}
     * an environment variable's name; reinstate restores only from results it verifies. Deliberately
     * not detection's secret: whoever holds that could otherwise forge the state reinstate restores.
     */
    public static final String RESULT_SIGNING_SECRET = PREFIX + "result.signing.secret";
    /**
     * The operators' secret for manual revoke commands ({@code firebreak revoke} signs with it, the kill
     * switch verifies), or with {@code .env} an environment variable's name. Optional: without it the
     * kill switch refuses every manual command. Deliberately none of the other two secrets: holding
     * detection's secret does not let anyone order a revocation "by hand", and the reverse.
     */
    public static final String OPERATOR_SECRET = PREFIX + "operator.secret";
    /**
     * Config blocks validated by their own readers: the other target kinds' (see {@link Revokers}),
     * {@code firebreak.killswitch.kafka.*}, {@code firebreak.killswitch.webhook.<issuer>.*}, and the CAEP
     * push of revocations, {@code firebreak.killswitch.caep.*} ({@code caep.SecurityEventConfig}).
     */
    public static final List<String> TARGET_BLOCKS = List.of(PREFIX + "kafka.", PREFIX + "webhook.", PREFIX + "caep.");
    /**
     * Kafka client settings of the kill switch alone (its consumer, producer, and reinstate's), e.g. its
     * SASL credentials ({@code firebreak.killswitch.client.sasl.jaas.config}); the consumer and producer
     * pass-throughs win on the same key.
     */
    public static final String CLIENT_PREFIX = PREFIX + PassThrough.CLIENT_INFIX;
    /** Pass-through prefix for the kill switch's Kafka consumer settings, e.g. {@code ...consumer.fetch.max.wait.ms}. */
    public static final String CONSUMER_PREFIX = PREFIX + "consumer.";
    /** Pass-through prefix for the kill switch's Kafka producer settings, e.g. {@code ...producer.compression.type}. */
    public static final String PRODUCER_PREFIX = PREFIX + "producer.";
    /** The old spelling of {@link #CONSUMER_PREFIX}, shared with other stages; still read, with a warning. */
    public static final String DEPRECATED_CONSUMER_PREFIX = "kafka.consumer.";
    /** The old spelling of {@link #PRODUCER_PREFIX}; still read, with a warning. */
    public static final String DEPRECATED_PRODUCER_PREFIX = "kafka.producer.";
    /** Old spellings, still read (with a warning): see {@link DeprecatedKeys}. */
    public static final Map<String, String> ALIASES = Map.of(DEPRECATED_CONSUMER_PREFIX, CONSUMER_PREFIX,
            DEPRECATED_PRODUCER_PREFIX, PRODUCER_PREFIX);

    public static final String DEFAULT_GROUP_ID = "firebreak-killswitch";
    public static final Duration DEFAULT_CONFIRM_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_SETTLE = Duration.ofMillis(25);
    public static final Duration DEFAULT_COMMAND_DEADLINE = Duration.ofSeconds(5);
    public static final Duration DEFAULT_COMMAND_MAX_AGE = Duration.ofMinutes(10);
    public static final int DEFAULT_RETRY_MAX_ATTEMPTS = 5;
    public static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofMillis(50);

    private static final String ERROR = "invalid kill switch configuration: ";
    private static final Allowed CONFIRM_TIMEOUT_BOUNDS = Allowed.millis(1, 60_000);
    private static final Allowed SETTLE_BOUNDS = Allowed.millis(0, 1_000);
    private static final Allowed COMMAND_DEADLINE_BOUNDS = Allowed.millis(1, 300_000);
    private static final Allowed RETRY_ATTEMPTS_BOUNDS = Allowed.between(1, 100);
    private static final Allowed RETRY_BACKOFF_BOUNDS = Allowed.millis(1, 10_000);
    private static final Allowed PARALLELISM_BOUNDS = Allowed.between(1, MAX_PARALLELISM);

    /**
     * Every fixed key of the kill switch, with type, default, allowed values and what it does: the
     * settings reference is generated from it. Named clusters and the target blocks are open prefixes
     * ({@link Definition#openPrefixes()}), validated by this class and the revokers' configs.
     */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(CLUSTER, Type.STRING, null, Importance.HIGH, "Logical name of the default PostgreSQL cluster; its"
                    + " targets are pg:<cluster>/<role>. Required; no '/'.")
            .define(PG_URL, Type.STRING, null, Importance.HIGH, "jdbc:postgresql://<host>:<port>/<database> of the default"
                    + " cluster; any database, since roles are cluster-wide. Required.")
            .define(PG_USER, Type.STRING, null, Importance.HIGH, "The kill switch's own PostgreSQL role (CREATEROLE with"
                    + " ADMIN on the roles it may lock, pg_signal_backend). Required.")
            .define(PG_PASSWORD, Type.PASSWORD, null, Importance.HIGH, "Password of " + PG_USER + "; never printed."
                    + " Best given as ${env:NAME} or ${dir:/run/secrets:name}.")
            .define(PROTECTED_ROLES, Type.LIST, "", Importance.HIGH, "Comma-separated roles that are never locked, in"
                    + " addition to superusers and " + PG_USER + ".")
            .define(CONFIRM_TIMEOUT_MS, Type.LONG, DEFAULT_CONFIRM_TIMEOUT.toMillis(), CONFIRM_TIMEOUT_BOUNDS,
                    Importance.MEDIUM, "How long to wait for a locked role's sessions to disappear before reporting"
                    + " FAILED (milliseconds).")
            .define(SETTLE_MS, Type.LONG, DEFAULT_SETTLE.toMillis(), SETTLE_BOUNDS, Importance.LOW, "After a role was"
                    + " locked, how long to keep watching for late sessions, a margin on top of following every login"
                    + " that was starting up when the lock committed until it shows or is gone (milliseconds).")
            .define(GROUP_ID, Type.STRING, DEFAULT_GROUP_ID, Importance.MEDIUM, "Consumer group of the command consumer;"
                    + " the Kafka ACLs of the deployment name it.")
            .define(BOOTSTRAP_SERVERS, Type.STRING, null, Importance.HIGH, "Kafka bootstrap servers,"
                    + " host:port[,host:port...]. Required.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, null, Importance.HIGH, "Schema registry: http(s)://... or"
                    + " mem://<scope> for an in-JVM registry. Required.")
            .define(DRY_RUN, Type.BOOLEAN, false, Importance.MEDIUM, "Treat every command as a dry run: report what"
                    + " would be done, change nothing.")
            .define(PG_REVOKE_CONNECT, Type.BOOLEAN, false, Importance.LOW, "Also REVOKE the role's explicit CONNECT"
                    + " grants on every database (recorded and restored by reinstate). Off by default: CONNECT granted"
                    + " to PUBLIC makes it no extra barrier, and it needs the database owners' rights.")
            .define(COMMAND_DEADLINE_MS, Type.LONG, DEFAULT_COMMAND_DEADLINE.toMillis(), COMMAND_DEADLINE_BOUNDS,
                    Importance.MEDIUM, "Time budget of a command that sets none itself (milliseconds).")
            .define(COMMAND_MAX_AGE_MS, Type.LONG, DEFAULT_COMMAND_MAX_AGE.toMillis(), ConfigDef.Range.atLeast(0),
                    Importance.MEDIUM, "Older commands are not executed, and alert; 0 disables the check (milliseconds).")
            .define(RETRY_MAX_ATTEMPTS, Type.INT, DEFAULT_RETRY_MAX_ATTEMPTS, RETRY_ATTEMPTS_BOUNDS, Importance.LOW,
                    "Attempts per target for failures a retry may cure.")
            .define(RETRY_BACKOFF_MS, Type.LONG, DEFAULT_RETRY_BACKOFF.toMillis(), RETRY_BACKOFF_BOUNDS, Importance.LOW,
                    "First retry wait, doubling up to 1 s (milliseconds).")
            .define(PG_CLUSTERS, Type.LIST, "", Importance.MEDIUM, "Names of the PostgreSQL clusters served besides the"
                    + " default one, comma-separated (1-64 of A-Z a-z 0-9 _ -); each needs " + PG_CLUSTER_PREFIX
                    + "<name>.url and .user, .password optional.")
            .define(PARALLELISM, Type.INT, DEFAULT_PARALLELISM, PARALLELISM_BOUNDS, Importance.LOW, "Commands executed"
                    + " at once; one principal's commands stay in order.")
            .define(COMMAND_VERIFICATION_SECRET, Type.PASSWORD, null, Importance.HIGH, "Detection's command signing"
                    + " secret (firebreak.detection.command.signing.secret), at least " + SigningKey.MIN_LENGTH
                    + " characters: a command whose signature does not verify is never executed. Required to run;"
                    + " or set " + COMMAND_VERIFICATION_SECRET + SigningKey.ENV_SUFFIX + ".")
            .define(COMMAND_VERIFICATION_SECRET + SigningKey.ENV_SUFFIX, Type.STRING, null, Importance.LOW,
                    "Name of an environment variable holding " + COMMAND_VERIFICATION_SECRET + " (set only one).")
            .define(RESULT_SIGNING_SECRET, Type.PASSWORD, null, Importance.HIGH, "The kill switch's own secret for the"
                    + " results it and reinstate publish, at least " + SigningKey.MIN_LENGTH + " characters; reinstate"
                    + " restores only from results it verifies. Deliberately not detection's secret. Required to run;"
                    + " or set " + RESULT_SIGNING_SECRET + SigningKey.ENV_SUFFIX + ".")
            .define(RESULT_SIGNING_SECRET + SigningKey.ENV_SUFFIX, Type.STRING, null, Importance.LOW,
                    "Name of an environment variable holding " + RESULT_SIGNING_SECRET + " (set only one).")
            .define(OPERATOR_SECRET, Type.PASSWORD, null, Importance.MEDIUM, "The operators' secret for manual revoke"
                    + " commands (firebreak revoke signs, the kill switch verifies), at least " + SigningKey.MIN_LENGTH
                    + " characters. Optional: without it every manual command is refused. Or set " + OPERATOR_SECRET
                    + SigningKey.ENV_SUFFIX + ".")
            .define(OPERATOR_SECRET + SigningKey.ENV_SUFFIX, Type.STRING, null, Importance.LOW,
                    "Name of an environment variable holding " + OPERATOR_SECRET + " (set only one).");

    // Settings the kill switch's correctness depends on (manual commit after acked results, acks=all,
    // its own serdes); an override would silently break at-least-once, so it is rejected.
    private static final Set<String> FIXED_CONSUMER = Set.of("enable.auto.commit", "key.deserializer",
            "value.deserializer", "group.id", "bootstrap.servers");
    private static final Set<String> FIXED_PRODUCER = Set.of("acks", "enable.idempotence", "key.serializer",
            "value.serializer", "bootstrap.servers");

    public KillSwitchConfig {
        List<String> errors = new ArrayList<>();
        if (blank(cluster) || cluster.contains("/")) {
            errors.add(CLUSTER + " is required: a cluster name without '/' (targets look like pg:<cluster>/<role>)");
        }
        if (blank(jdbcUrl) || !jdbcUrl.startsWith("jdbc:postgresql://")) {
            errors.add(PG_URL + " is required: jdbc:postgresql://<host>:<port>/<database>");
        }
        if (blank(user)) {
            errors.add(PG_USER + " is required: the kill switch's own PostgreSQL role");
        }
        password = password == null ? "" : password;
        protectedRoles = List.copyOf(protectedRoles == null ? List.of() : protectedRoles);
        if (protectedRoles.stream().anyMatch(String::isEmpty)) {
            errors.add(PROTECTED_ROLES + " contains an empty role name; allowed: comma-separated role names");
        }
        CONFIRM_TIMEOUT_BOUNDS.check(errors, CONFIRM_TIMEOUT_MS, confirmTimeout);
        SETTLE_BOUNDS.check(errors, SETTLE_MS, settle);
        COMMAND_DEADLINE_BOUNDS.check(errors, COMMAND_DEADLINE_MS, commandDeadline);
        if (maxCommandAge == null || maxCommandAge.isNegative()) {
            errors.add(COMMAND_MAX_AGE_MS + " must be >= 0 (milliseconds; 0 disables the check), was " + millis(maxCommandAge));
        }
        RETRY_ATTEMPTS_BOUNDS.check(errors, RETRY_MAX_ATTEMPTS, retryMaxAttempts);
        RETRY_BACKOFF_BOUNDS.check(errors, RETRY_BACKOFF_MS, retryBackoff);
        if (blank(groupId)) {
            errors.add(GROUP_ID + " must not be blank");
        }
        if (blank(bootstrapServers)) {
            errors.add(BOOTSTRAP_SERVERS + " is required: host:port[,host:port...]");
        }
        if (blank(schemaRegistryUrl) || !(schemaRegistryUrl.startsWith("http://")
                || schemaRegistryUrl.startsWith("https://") || schemaRegistryUrl.startsWith("mem://"))) {
            errors.add(SCHEMA_REGISTRY_URL + " is required: http://..., https://... or mem://<scope>");
        }
        targetBlocks = Map.copyOf(targetBlocks == null ? Map.of() : targetBlocks);
        if (principalLabelLimit < 0 || principalLabelLimit > BoundedLabel.MAX_LIMIT) {
            errors.add(BoundedLabel.PRINCIPAL_LIMIT_KEY + " must be 0.." + BoundedLabel.MAX_LIMIT + ", was " + principalLabelLimit);
        }
        consumerOverrides = Map.copyOf(consumerOverrides == null ? Map.of() : consumerOverrides);
        producerOverrides = Map.copyOf(producerOverrides == null ? Map.of() : producerOverrides);
        consumerOverrides.keySet().stream().filter(FIXED_CONSUMER::contains).sorted().forEach(k -> errors.add(
                CONSUMER_PREFIX + k + " or " + DEPRECATED_CONSUMER_PREFIX + k + " cannot be overridden; fixed by the"
                        + " kill switch: " + new TreeSet<>(FIXED_CONSUMER)));
        producerOverrides.keySet().stream().filter(FIXED_PRODUCER::contains).sorted().forEach(k -> errors.add(
                PRODUCER_PREFIX + k + " or " + DEPRECATED_PRODUCER_PREFIX + k + " cannot be overridden; fixed by the"
                        + " kill switch: " + new TreeSet<>(FIXED_PRODUCER)));
        namedClusters = List.copyOf(namedClusters == null ? List.of() : namedClusters);
        PgCluster.validate(cluster, namedClusters, errors);
        PARALLELISM_BOUNDS.check(errors, PARALLELISM, parallelism);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid kill switch configuration: " + String.join("; ", errors));
        }
    }

    /**
     * A PostgreSQL cluster the kill switch locks roles in: targets {@code pg:<name>/<role>}.
     *
     * @param name     cluster name, the scope of its targets
     * @param jdbcUrl  {@code jdbc:postgresql://...} (any database; roles are cluster-wide)
     * @param user     the kill switch's role there
     * @param password its password; never printed
     */
    public record PgCluster(String name, String jdbcUrl, String user, String password) {
        /** Named clusters: letters, digits, '_' and '-' (a '.' would make their keys ambiguous). */
        static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");

        public PgCluster {
            password = password == null ? "" : password;
        }

        static void validate(String defaultName, List<PgCluster> named, List<String> errors) {
            Set<String> seen = new java.util.HashSet<>();
            if (defaultName != null) {
                seen.add(defaultName);
            }
            for (PgCluster c : named) {
                String at = PG_CLUSTER_PREFIX + c.name() + ".";
                if (c.name() == null || !NAME.matcher(c.name()).matches()) {
                    errors.add(PG_CLUSTERS + " has a bad cluster name '" + c.name() + "'; allowed: 1-64 of A-Z a-z 0-9 _ -");
                    continue;
                }
                if (!seen.add(c.name())) {
                    errors.add(PG_CLUSTERS + " names cluster '" + c.name() + "' twice (the default cluster "
                            + CLUSTER + "=" + defaultName + " counts); allowed: distinct names");
                }
                if (blank(c.jdbcUrl()) || !c.jdbcUrl().startsWith("jdbc:postgresql://")) {
                    errors.add(at + "url is required: jdbc:postgresql://<host>:<port>/<database>");
                }
                if (blank(c.user())) {
                    errors.add(at + "user is required: the kill switch's own PostgreSQL role on cluster " + c.name());
                }
            }
        }

        /** Everything but the password; the URL's password parameter masked. */
        @Override
        public String toString() {
            return "PgCluster[name=" + name + ", jdbcUrl=" + maskUrl(jdbcUrl) + ", user=" + user + ", password=****]";
        }
    }

    /** Every PostgreSQL cluster: the default one ({@link #CLUSTER}, {@link #PG_URL}...) first, then the named ones. */
    public List<PgCluster> pgClusters() {
        List<PgCluster> all = new ArrayList<>();
        all.add(new PgCluster(cluster, jdbcUrl, user, password));
        all.addAll(namedClusters);
        return List.copyOf(all);
    }

    /**
     * Reads the configuration from flat string keys ({@link #PG_URL} and friends) through {@link #CONFIG}:
     * its types and defaults, {@code ${env:NAME}}-style secrets resolved. Keys outside {@value #PREFIX} and
     * the deprecated {@value #DEPRECATED_CONSUMER_PREFIX} and {@value #DEPRECATED_PRODUCER_PREFIX} are
     * ignored, so one map can configure every service; an unknown key under {@value #PREFIX} is a typo and fails.
     */
    public static KillSwitchConfig fromMap(Map<String, String> map) {
        List<String> unknown = map.keySet().stream()
                .filter(k -> k.startsWith(PREFIX) && !CONFIG.names().contains(k) && OPEN.stream().noneMatch(k::startsWith))
                .sorted().toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(ERROR + "unknown key(s) " + unknown + "; allowed: "
                    + new TreeSet<>(CONFIG.names()) + ", " + OPEN.stream().map(p -> p + "*").toList());
        }
        Typed.Values in = Typed.read(CONFIG, map, ERROR, "a whole number");
        Map<String, String> client = clientSettings(map);
        Map<String, String> canonical = canonical(map);
        return new KillSwitchConfig(
                in.getString(CLUSTER),
                in.getString(PG_URL),
                in.getString(PG_USER),
                in.getSecret(PG_PASSWORD),
                in.getList(PROTECTED_ROLES),
                Duration.ofMillis(in.getLong(CONFIRM_TIMEOUT_MS)),
                Duration.ofMillis(in.getLong(SETTLE_MS)),
                in.getString(GROUP_ID),
                in.getString(BOOTSTRAP_SERVERS),
                in.getString(SCHEMA_REGISTRY_URL),
                in.getBoolean(DRY_RUN),
                in.getBoolean(PG_REVOKE_CONNECT),
                Duration.ofMillis(in.getLong(COMMAND_DEADLINE_MS)),
                Duration.ofMillis(in.getLong(COMMAND_MAX_AGE_MS)),
                in.getInt(RETRY_MAX_ATTEMPTS),
                Duration.ofMillis(in.getLong(RETRY_BACKOFF_MS)),
                PassThrough.layered(client, PassThrough.withPrefix(canonical, CONSUMER_PREFIX)),
                PassThrough.layered(client, PassThrough.withPrefix(canonical, PRODUCER_PREFIX)),
                targetBlocks(map),
                BoundedLabel.principalLimit(map),
                key(in, COMMAND_VERIFICATION_SECRET),
                key(in, RESULT_SIGNING_SECRET),
                key(in, OPERATOR_SECRET),
                namedClusters(map, in.getList(PG_CLUSTERS)),
                in.getInt(PARALLELISM));
    }

    /** Prefixes under {@value #PREFIX} whose keys are validated elsewhere: pass-throughs, named clusters, target blocks. */
    private static final List<String> OPEN = openPrefixes();

    private static List<String> openPrefixes() {
        List<String> open = new ArrayList<>(List.of(CLIENT_PREFIX, CONSUMER_PREFIX, PRODUCER_PREFIX, PG_CLUSTER_PREFIX));
        open.addAll(TARGET_BLOCKS);
        return List.copyOf(open);
    }

    /**
     * The clusters listed in {@link #PG_CLUSTERS}, each from its {@code pg.cluster.<name>.*} keys. A key naming
     * a cluster not listed, or an unknown per-cluster key, fails naming the key and what is allowed.
     */
    private static List<PgCluster> namedClusters(Map<String, String> map, List<String> names) {
        List<String> errors = new ArrayList<>();
        for (String key : new TreeSet<>(map.keySet())) {
            if (!key.startsWith(PG_CLUSTER_PREFIX)) {
                continue;
            }
            String rest = key.substring(PG_CLUSTER_PREFIX.length());
            int dot = rest.indexOf('.'); // names have no dot
            String name = dot < 0 ? rest : rest.substring(0, dot);
            String field = dot < 0 ? "" : rest.substring(dot + 1);
            if (!names.contains(name)) {
                errors.add(key + " is for cluster '" + name + "', which " + PG_CLUSTERS + " does not list; allowed: "
                        + names.stream().map(n -> PG_CLUSTER_PREFIX + n + ".*").toList());
            } else if (!PG_CLUSTER_KEYS.contains(field)) {
                errors.add(key + " is not a cluster setting; allowed: " + PG_CLUSTER_PREFIX + name + "." + PG_CLUSTER_KEYS);
            }
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(ERROR + String.join("; ", errors));
        }
        // The per-cluster keys are secrets' neighbours: resolve ${env:...} references like the fixed keys.
        Map<String, String> resolved = Settings.resolve(PassThrough.withPrefix(map, PG_CLUSTER_PREFIX));
        return names.stream().map(n -> new PgCluster(n, resolved.get(n + ".url"), resolved.get(n + ".user"),
                resolved.get(n + ".password"))).toList();
    }

    /** {@code map} with the old pass-through spellings renamed; both spellings with different values fail. */
    private static Map<String, String> canonical(Map<String, String> map) {
        try {
            return DeprecatedKeys.canonical(map, ALIASES);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ERROR + e.getMessage(), e);
        }
    }

    private static Map<String, String> clientSettings(Map<String, String> map) {
        try {
            return PassThrough.clientSettings(map, PREFIX);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid kill switch configuration: " + e.getMessage());
        }
    }

    private static SigningKey key(Typed.Values in, String key) {
        Map<String, String> given = new HashMap<>();
        given.put(key, in.getSecret(key));
        given.put(key + SigningKey.ENV_SUFFIX, in.getString(key + SigningKey.ENV_SUFFIX));
        try {
            return SigningKey.fromConfig(given, key).orElse(null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid kill switch configuration: " + e.getMessage());
        }
    }

    /** The kill switch's fixed keys and its open prefixes, for {@code Settings.check} and the settings reference. */
    public static final class Definition extends DeclaredSettings {
        public Definition() {
            super("killswitch", "Kill switch", CONFIG, openPrefixDocs(), ALIASES);
        }

        private static Map<String, String> openPrefixDocs() {
            Map<String, String> open = new java.util.LinkedHashMap<>();
            open.put(CLIENT_PREFIX, "Kafka client settings of every client of the kill switch (its consumer, producer,"
                    + " and reinstate's), e.g. security.protocol, sasl.jaas.config; bootstrap.servers is refused");
            open.put(CONSUMER_PREFIX, "Kafka consumer settings of the command consumer; win over " + CLIENT_PREFIX
                    + "*. Fixed, refused: " + new TreeSet<>(FIXED_CONSUMER));
            open.put(PRODUCER_PREFIX, "Kafka producer settings of the result producer; win over " + CLIENT_PREFIX
                    + "*. Fixed, refused: " + new TreeSet<>(FIXED_PRODUCER));
            open.put(PG_CLUSTER_PREFIX, "One block per cluster named in " + PG_CLUSTERS + ": <name>.url"
                    + " (jdbc:postgresql://..., required), <name>.user (required), <name>.password (a secret); any"
                    + " other key, or a name not listed, is refused");
            open.put(WebhookTargetConfig.PREFIX, WebhookTargetConfig.BLOCK_DOC);
            return open;
        }
    }

    /** The key verifying revoke commands; fails, naming the setting, when none is configured. */
    public SigningKey requireCommandVerificationKey() {
        return required(commandVerificationKey, COMMAND_VERIFICATION_SECRET, "the secret detection signs revoke commands"
                + " with (firebreak.detection.command.signing.secret); without it no command could be trusted");
    }

    /** The operators' key for manual commands; fails, naming the setting, when none is configured. */
    public SigningKey requireOperatorKey() {
        return required(operatorKey, OPERATOR_SECRET, "the operators' secret that signs manual revoke commands"
                + " (firebreak revoke); the kill switch verifies them with the same setting");
    }

    /** The key signing and verifying results; fails, naming the setting, when none is configured. */
    public SigningKey requireResultSigningKey() {
        return required(resultSigningKey, RESULT_SIGNING_SECRET, "the kill switch's own secret for the results it"
                + " publishes, which reinstate verifies before restoring anything; not detection's secret");
    }

    private static SigningKey required(SigningKey key, String setting, String what) {
        if (key == null) {
            throw new IllegalArgumentException("invalid kill switch configuration: " + setting + " (or " + setting
                    + SigningKey.ENV_SUFFIX + ") is required: " + what + " (at least " + SigningKey.MIN_LENGTH
                    + " characters)");
        }
        return key;
    }

    /** Everything except the password, which is masked; the JDBC URL's password parameter too. */
    @Override
    public String toString() {
        return "KillSwitchConfig[cluster=" + cluster + ", jdbcUrl=" + maskUrl(jdbcUrl)
                + ", user=" + user + ", password=****, protectedRoles=" + protectedRoles
                + ", confirmTimeout=" + confirmTimeout + ", settle=" + settle + ", groupId=" + groupId
                + ", bootstrapServers=" + bootstrapServers + ", schemaRegistryUrl=" + schemaRegistryUrl
                + ", dryRun=" + dryRun + ", revokeConnect=" + revokeConnect + ", commandDeadline=" + commandDeadline
                + ", maxCommandAge=" + maxCommandAge + ", retryMaxAttempts=" + retryMaxAttempts
                + ", retryBackoff=" + retryBackoff + ", consumerOverrides=" + masked(consumerOverrides)
                + ", producerOverrides=" + masked(producerOverrides) + ", targetBlocks=" + masked(targetBlocks)
                + ", commandVerificationKey=" + commandVerificationKey + ", resultSigningKey=" + resultSigningKey
                + ", operatorKey=" + operatorKey + ", namedClusters=" + namedClusters + ", parallelism=" + parallelism + "]";
    }

    private static String maskUrl(String url) {
        return url == null ? null : url.replaceAll("(?i)(password=)[^&]*", "$1****");
    }

    /** The shape before named clusters: the default cluster only, {@value #DEFAULT_PARALLELISM} commands at once. */
    public KillSwitchConfig(String cluster, String jdbcUrl, String user, String password, List<String> protectedRoles,
                            Duration confirmTimeout, Duration settle, String groupId, String bootstrapServers,
                            String schemaRegistryUrl, boolean dryRun, boolean revokeConnect, Duration commandDeadline,
                            Duration maxCommandAge, int retryMaxAttempts, Duration retryBackoff,
                            Map<String, String> consumerOverrides, Map<String, String> producerOverrides,
                            Map<String, String> targetBlocks, int principalLabelLimit, SigningKey commandVerificationKey,
                            SigningKey resultSigningKey, SigningKey operatorKey) {
        this(cluster, jdbcUrl, user, password, protectedRoles, confirmTimeout, settle, groupId, bootstrapServers,
                schemaRegistryUrl, dryRun, revokeConnect, commandDeadline, maxCommandAge, retryMaxAttempts, retryBackoff,
                consumerOverrides, producerOverrides, targetBlocks, principalLabelLimit, commandVerificationKey,
                resultSigningKey, operatorKey, List.of(), DEFAULT_PARALLELISM);
    }

    /** The pre-existing shape, with the default principal label bound; for programmatic use. */
    public KillSwitchConfig(String cluster, String jdbcUrl, String user, String password, List<String> protectedRoles,
                            Duration confirmTimeout, Duration settle, String groupId, String bootstrapServers,
                            String schemaRegistryUrl, boolean dryRun, boolean revokeConnect, Duration commandDeadline,
                            Duration maxCommandAge, int retryMaxAttempts, Duration retryBackoff,
                            Map<String, String> consumerOverrides, Map<String, String> producerOverrides,
                            Map<String, String> targetBlocks) {
        this(cluster, jdbcUrl, user, password, protectedRoles, confirmTimeout, settle, groupId, bootstrapServers,
                schemaRegistryUrl, dryRun, revokeConnect, commandDeadline, maxCommandAge, retryMaxAttempts, retryBackoff,
                consumerOverrides, producerOverrides, targetBlocks, BoundedLabel.DEFAULT_PRINCIPAL_LIMIT);
    }

    /** The shape before signing: no keys (enough for the revokers; the service and reinstate need keys). */
    public KillSwitchConfig(String cluster, String jdbcUrl, String user, String password, List<String> protectedRoles,
                            Duration confirmTimeout, Duration settle, String groupId, String bootstrapServers,
                            String schemaRegistryUrl, boolean dryRun, boolean revokeConnect, Duration commandDeadline,
                            Duration maxCommandAge, int retryMaxAttempts, Duration retryBackoff,
                            Map<String, String> consumerOverrides, Map<String, String> producerOverrides,
                            Map<String, String> targetBlocks, int principalLabelLimit) {
        this(cluster, jdbcUrl, user, password, protectedRoles, confirmTimeout, settle, groupId, bootstrapServers,
                schemaRegistryUrl, dryRun, revokeConnect, commandDeadline, maxCommandAge, retryMaxAttempts, retryBackoff,
                consumerOverrides, producerOverrides, targetBlocks, principalLabelLimit, null, null, null);
    }

    /** How the kill switch executes commands. */
    public KillSwitch.Settings execution() {
        return new KillSwitch.Settings(dryRun, commandDeadline, maxCommandAge, retryMaxAttempts, retryBackoff);
    }

    private static Map<String, String> targetBlocks(Map<String, String> map) {
        Map<String, String> out = new java.util.TreeMap<>();
        map.forEach((k, v) -> {
            if (TARGET_BLOCKS.stream().anyMatch(k::startsWith)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** Values of keys that may hold secrets (secret, password, jaas, token) are printed as ****. */
    static Map<String, String> masked(Map<String, String> map) {
        Map<String, String> out = new java.util.TreeMap<>();
        map.forEach((k, v) -> out.put(k, k.matches("(?i).*(secret|password|jaas|token|credential).*") ? "****" : v));
        return out;
    }


    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String millis(Duration d) {
        return d == null ? "null" : d.toMillis() + "";
    }
}
