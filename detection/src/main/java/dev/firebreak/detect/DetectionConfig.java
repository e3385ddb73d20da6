package dev.firebreak.detect;

import dev.firebreak.config.Allowed;
import dev.firebreak.config.DeclaredSettings;
import dev.firebreak.config.DeprecatedKeys;
import dev.firebreak.config.PassThrough;
import dev.firebreak.config.Typed;
import dev.firebreak.metrics.BoundedLabel;
import dev.firebreak.rules.DetectionRule;
import dev.firebreak.rules.RulesFileException;
import dev.firebreak.rules.RulesLoader;
import dev.firebreak.schema.signing.SigningKey;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Configuration of the detection service, validated when built: a bad value fails at start-up
 * with the key and what it allows.
 *
 * @param applicationId     Kafka Streams application id: consumer group and internal topic prefix
 * @param bootstrapServers  Kafka bootstrap servers
 * @param schemaRegistryUrl http(s):// URL of a Confluent-compatible registry, or mem://scope
 * @param stateDir          where the local state stores live
 * @param rules             the rules to run, ids unique, each with the exceptions that apply to it
 * @param kafka             further Kafka Streams properties; they override the defaults set here
 * @param principalLabelLimit distinct principals that keep their own {@code principal} metric label
 *                          ({@link BoundedLabel#PRINCIPAL_LIMIT_KEY}); later ones share {@link BoundedLabel#OTHER}
 * @param commandSigningKey signs every revoke command ({@link #COMMAND_SIGNING_SECRET}); required by
 *                          {@link DetectionService}, since the kill switch executes no unsigned command
 * @param processingGuarantee {@link #PROCESSING_GUARANTEE}: {@code exactly_once_v2} (default) or {@code at_least_once}
 * @param reissue           when a failed or reinstated revocation is re-issued ({@link #RESULT_VERIFICATION_SECRET},
 *                          {@link #REISSUE_MAX})
 */
public record DetectionConfig(String applicationId, String bootstrapServers, String schemaRegistryUrl,
                              Path stateDir, List<DetectionRule> rules, Path rulesPath, boolean baselines,
                              Map<String, String> kafka, int principalLabelLimit, SigningKey commandSigningKey,
                              String processingGuarantee, ReissuePolicy reissue) {
    public static final String PREFIX = "firebreak.detection.";
    public static final String APPLICATION_ID = PREFIX + "application.id";
    public static final String BOOTSTRAP_SERVERS = PREFIX + "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = PREFIX + "schema.registry.url";
    public static final String STATE_DIR = PREFIX + "state.dir";
    /**
     * A rules file, or a directory of {@code *.yaml} rule files (format: {@link RulesLoader}); unset
     * means the bundled rules ({@code rules/} of the repository, inside the jar).
     */
    public static final String RULES_PATH = dev.firebreak.rules.RulesLoader.RULES_PATH;
    /** Per-principal baselines (first destructive action, rate far above normal): alerts only; default true. */
    public static final String BASELINES = PREFIX + "baselines.enabled";
    /**
     * The HMAC-SHA256 secret signing revoke commands, shared with the kill switch
     * ({@code firebreak.killswitch.command.verification.secret}); or {@code <key>.env}, the name of an
     * environment variable holding it. Required, at least {@value SigningKey#MIN_LENGTH} characters; never logged.
     */
    public static final String COMMAND_SIGNING_SECRET = PREFIX + "command.signing.secret";
    /**
     * Kafka Streams' processing guarantee: {@code exactly_once_v2} (default) or {@code at_least_once}.
     * Under exactly-once a revoke command, the window state that led to it and the input offsets
     * commit in one transaction: a command whose send failed is never recorded as sent, so the
     * restarted thread issues it again. Under at-least-once the state may say "episode open" while
     * the command never reached Kafka, and the burst is then never revoked.
     */
    public static final String PROCESSING_GUARANTEE = PREFIX + "processing.guarantee";
    /** The guarantees {@link #PROCESSING_GUARANTEE} allows. */
    public static final List<String> PROCESSING_GUARANTEES = List.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE);
    /**
     * Kafka Streams' commit interval under this service: 100 ms, Kafka's own default under
     * exactly-once. Under exactly-once a command becomes visible to the kill switch (a read_committed
     * consumer) only when its transaction commits, so the processor that emits a command or an alert
     * asks Streams to commit at once ({@code ProcessorContext#commit()}): Streams honours that in the
     * same loop, right after processing, and the interval no longer bounds a command's latency. It
     * bounds only how much routine window state one transaction carries. Before that request, the
     * interval was 20 ms with a 5 ms poll: a commit after every batch (0) could not keep up with the
     * demo's set-up backlog (2.3 to 3.3 s late), and 100 ms put 112 ms (p50) between produce and the
     * kill switch. Override with {@code firebreak.detection.streams.commit.interval.ms} and {@code ...streams.poll.ms}.
     */
    public static final String DEFAULT_COMMIT_INTERVAL_MS = "100";
    /**
     * Kafka Streams' {@code poll.ms}: how long an idle stream thread blocks in poll. A record ends
     * the wait as soon as it is fetched, so this costs no latency; a 5 ms poll cost an idle pipeline
     * a loop every 5 ms on each stream thread.
     */
    public static final String DEFAULT_POLL_MS = "100";
    /**
     * Kafka Streams' record cache ({@code statestore.cache.max.bytes}, shared by the threads): 10 MiB,
     * Kafka's default. The detection stores cache their writes, so a principal's state reaches the
     * changelog once per commit instead of once per event. It holds no output: this topology has no
     * table that emits from the cache, and the processors forward alerts and commands themselves,
     * at once. Under exactly-once the cache is flushed into the same transaction as the command.
     */
    public static final String DEFAULT_CACHE_MAX_BYTES = Long.toString(10L * 1024 * 1024);
    /**
     * Kafka Streams' {@code num.standby.replicas}: 1, so with two or more detection instances each
     * task's window state is kept warm on another instance, and when one instance dies the task moves
     * to the instance that already holds its state instead of replaying the changelog first (the
     * failover time is then about the consumer group's session timeout). A single instance simply
     * gets no standby. Override with {@code firebreak.detection.streams.num.standby.replicas} (0 saves the second copy's
     * memory and changelog reads).
     */
    public static final String DEFAULT_STANDBY_REPLICAS = "1";
    /**
     * The HMAC-SHA256 secret verifying the kill switch's results (the same secret as
     * {@code firebreak.killswitch.result.signing.secret}), or {@code <key>.env}. Unset: no result is
     * trusted, so a failed or reinstated revocation is never re-issued (logged at start-up).
     */
    public static final String RESULT_VERIFICATION_SECRET = PREFIX + "result.verification.secret";
    /** Commands re-issued at most per episode after a FAILED or REINSTATED result; 0..100, default 3. */
    public static final String REISSUE_MAX = PREFIX + "reissue.max";
    /** Deprecated: keys with this prefix pass, without it, to Kafka Streams; now {@link #STREAMS_PREFIX}. */
    public static final String KAFKA_PREFIX = "kafka.";
    /** Keys with this prefix pass, without it, to Kafka Streams (and through its prefixes to its clients). */
    public static final String STREAMS_PREFIX = PREFIX + "streams.";
    /** Old spellings, still read (with a warning). */
    public static final Map<String, String> ALIASES = Map.of(KAFKA_PREFIX, STREAMS_PREFIX);
    /**
     * Kafka client settings of detection alone, e.g. its SASL credentials
     * ({@code firebreak.detection.client.sasl.jaas.config}); {@link #STREAMS_PREFIX} keys win on the same key.
     */
    public static final String CLIENT_PREFIX = PREFIX + dev.firebreak.config.PassThrough.CLIENT_INFIX;

    public static final String DEFAULT_APPLICATION_ID = "firebreak-detection";
    /** Fine for the demo; production should set a directory the OS does not clean up. */
    public static final Path DEFAULT_STATE_DIR = Path.of(System.getProperty("java.io.tmpdir"), "firebreak-detection");

    private static final Pattern APPLICATION_ID_PATTERN = Pattern.compile("[A-Za-z0-9._-]{1,200}");

    /** Every key of detection; relations between keys and the rules are checked in {@link #fromMap}. */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(APPLICATION_ID, Type.STRING, DEFAULT_APPLICATION_ID, after(Allowed.matching(APPLICATION_ID_PATTERN,
                    "1 to 200 of A-Z a-z 0-9 . _ -")), Importance.MEDIUM,
                    "Kafka Streams application id: the consumer group and the prefix of the internal topics; every"
                            + " instance of one detection deployment shares it.")
            .define(BOOTSTRAP_SERVERS, Type.STRING, null, Importance.HIGH,
                    "Kafka bootstrap servers of detection, host:port[,host:port...]. Required.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, null, Importance.HIGH,
                    "Schema registry: http://..., https://... or mem://<scope>. Required.")
            .define(STATE_DIR, Type.STRING, null, Importance.HIGH,
                    "Where the local state stores live; unset: <java.io.tmpdir>/firebreak-detection, fine for the demo"
                            + " only: production should set a directory the OS does not clean up.")
            .define(RULES_PATH, Type.STRING, null, Importance.HIGH,
                    "A rules file, or a directory of *.yaml rule files (docs/rules.md); edits are reloaded. Unset: the"
                            + " bundled rules. The guard reads its policy from the same files.")
            .define(BASELINES, Type.BOOLEAN, true, Importance.LOW,
                    "Per-principal baselines (first destructive action, rate far above normal): alerts only.")
            .define(COMMAND_SIGNING_SECRET, Type.PASSWORD, null, Importance.HIGH,
                    "HMAC-SHA256 secret signing every revoke command, shared with the kill switch"
                            + " (firebreak.killswitch.command.verification.secret); at least " + SigningKey.MIN_LENGTH
                            + " characters. Required: the kill switch executes no unsigned command.")
            .define(COMMAND_SIGNING_SECRET + SigningKey.ENV_SUFFIX, Type.STRING, null, Importance.HIGH,
                    "Instead of the secret, the name of an environment variable holding it (or use ${env:NAME}).")
            .define(PROCESSING_GUARANTEE, Type.STRING, StreamsConfig.EXACTLY_ONCE_V2, after(Allowed.oneOf(PROCESSING_GUARANTEES)),
                    Importance.MEDIUM, "Kafka Streams' processing guarantee. Under exactly_once_v2 a revoke command, the"
                            + " window state that led to it and the input offsets commit in one transaction; under"
                            + " at_least_once a burst may never be revoked after a failed send.")
            .define(RESULT_VERIFICATION_SECRET, Type.PASSWORD, null, Importance.MEDIUM,
                    "HMAC-SHA256 secret verifying the kill switch's results (firebreak.killswitch.result.signing.secret)."
                            + " Unset: no result is trusted, so a failed or reinstated revocation is never re-issued.")
            .define(RESULT_VERIFICATION_SECRET + SigningKey.ENV_SUFFIX, Type.STRING, null, Importance.MEDIUM,
                    "Instead of the secret, the name of an environment variable holding it.")
            .define(REISSUE_MAX, Type.INT, ReissuePolicy.DEFAULT_MAX, after(Allowed.of("an integer 0.." + ReissuePolicy.MAX_MAX
                            + " (0: never re-issue)", v -> (Integer) v >= 0 && (Integer) v <= ReissuePolicy.MAX_MAX)),
                    Importance.LOW, "Commands re-issued at most per episode after a FAILED or REINSTATED result.");
    private static final Set<String> KEYS = CONFIG.names();

    /** Detection's settings, for {@code Settings.check} and the settings reference. */
    public static final class Definition extends DeclaredSettings {
        public Definition() {
            super("detection", "Detection (Kafka Streams)", CONFIG, Map.of(
                    CLIENT_PREFIX, "Settings of every Kafka client of detection (SASL, TLS); not bootstrap.servers.",
                    STREAMS_PREFIX, "Kafka Streams properties (and its consumer./producer./admin. prefixed client"
                            + " settings), over client.* and the defaults; not application.id, bootstrap.servers,"
                            + " state.dir, processing.guarantee, which have their own keys."), ALIASES);
        }
    }
    // Owned by the typed keys above; a pass-through copy would silently disagree with them.
    private static final Map<String, String> RESERVED = Map.of(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID,
            StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP_SERVERS, StreamsConfig.STATE_DIR_CONFIG, STATE_DIR,
            StreamsConfig.PROCESSING_GUARANTEE_CONFIG, PROCESSING_GUARANTEE);

    /** With the default principal label limit and no signing key (enough for the topology's own properties). */
    public DetectionConfig(String applicationId, String bootstrapServers, String schemaRegistryUrl, Path stateDir,
                           List<DetectionRule> rules, Path rulesPath, boolean baselines, Map<String, String> kafka) {
        this(applicationId, bootstrapServers, schemaRegistryUrl, stateDir, rules, rulesPath, baselines, kafka,
                BoundedLabel.DEFAULT_PRINCIPAL_LIMIT, null, StreamsConfig.EXACTLY_ONCE_V2, ReissuePolicy.DISABLED);
    }

    public DetectionConfig {
        if (principalLabelLimit < 0 || principalLabelLimit > BoundedLabel.MAX_LIMIT) {
            throw invalid(BoundedLabel.PRINCIPAL_LIMIT_KEY, principalLabelLimit, "0.." + BoundedLabel.MAX_LIMIT);
        }
        if (applicationId == null || !APPLICATION_ID_PATTERN.matcher(applicationId).matches()) {
            throw invalid(APPLICATION_ID, applicationId, "1 to 200 of A-Z a-z 0-9 . _ -");
        }
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw invalid(BOOTSTRAP_SERVERS, bootstrapServers, "host:port[,host:port...]");
        }
        if (schemaRegistryUrl == null || !schemaRegistryUrl.matches("(https?|mem)://.+")) {
            throw invalid(SCHEMA_REGISTRY_URL, schemaRegistryUrl, "http://..., https://..., mem://<scope>");
        }
        if (stateDir == null) {
            throw invalid(STATE_DIR, null, "a directory path");
        }
        if (rules == null || rules.isEmpty()) {
            throw new IllegalArgumentException("at least one rule is required");
        }
        if (!PROCESSING_GUARANTEES.contains(processingGuarantee)) {
            throw invalid(PROCESSING_GUARANTEE, processingGuarantee, String.join(", ", PROCESSING_GUARANTEES));
        }
        reissue = reissue == null ? ReissuePolicy.DISABLED : reissue;
        rules = List.copyOf(rules);
        kafka = Map.copyOf(kafka == null ? Map.of() : kafka);
        for (String key : kafka.keySet()) {
            if (RESERVED.containsKey(key)) {
                throw new IllegalArgumentException(KAFKA_PREFIX + key + " is not allowed; set " + RESERVED.get(key) + " instead");
            }
        }
    }

    /**
     * Reads {@code firebreak.detection.*} keys, the rules from {@link #RULES_PATH} (or the bundled
     * rules), and {@code firebreak.detection.streams.*} (formerly {@code kafka.*}) pass-through keys.
     * Other keys are ignored, so the whole process configuration may be passed in; unknown
     * {@code firebreak.detection.*} keys fail, since they are typos. Invalid rule files fail with a
     * {@link RulesFileException} naming file, line and reason; exceptions that expired before now are
     * logged and ignored. A command signing secret that is set but unusable (too short, variable
     * unset) fails here; a missing one fails {@link DetectionService}.
     */
    public static DetectionConfig fromMap(Map<String, String> config) {
        Map<String, String> canonical = DeprecatedKeys.canonical(config, ALIASES);
        Map<String, String> values = new HashMap<>();
        canonical.forEach((key, value) -> {
            if (key.startsWith(PREFIX) && !key.startsWith(CLIENT_PREFIX) && !key.startsWith(STREAMS_PREFIX)) {
                if (!KEYS.contains(key)) {
                    throw new IllegalArgumentException("unknown key " + key + "; allowed: "
                            + KEYS.stream().sorted().collect(Collectors.joining(", ")) + ", " + CLIENT_PREFIX + "*, "
                            + STREAMS_PREFIX + "*");
                }
                // A blank value is an unset key, as it always was here.
                if (value != null && !value.isBlank()) {
                    values.put(key, value);
                }
            }
        });
        AbstractConfig c = Typed.parse(CONFIG, values);
        return new DetectionConfig(c.getString(APPLICATION_ID), c.getString(BOOTSTRAP_SERVERS),
                c.getString(SCHEMA_REGISTRY_URL),
                c.getString(STATE_DIR) != null ? Path.of(c.getString(STATE_DIR)) : DEFAULT_STATE_DIR,
                rules(c.getString(RULES_PATH)), c.getString(RULES_PATH) != null ? Path.of(c.getString(RULES_PATH)) : null,
                c.getBoolean(BASELINES), streams(config, canonical), BoundedLabel.principalLimit(config),
                signingKey(canonical), c.getString(PROCESSING_GUARANTEE),
                new ReissuePolicy(SigningKey.fromConfig(canonical, RESULT_VERIFICATION_SECRET).orElse(null),
                        c.getInt(REISSUE_MAX)));
    }

    /**
     * Kafka Streams' pass-through: detection's own client settings first, {@link #STREAMS_PREFIX} over
     * them. A key the typed keys own fails, named as written ({@code kafka.application.id} or
     * {@code firebreak.detection.streams.application.id}).
     */
    private static Map<String, String> streams(Map<String, String> written, Map<String, String> canonical) {
        Map<String, String> kafka = new HashMap<>(PassThrough.clientSettings(canonical, PREFIX));
        kafka.putAll(PassThrough.withPrefix(canonical, STREAMS_PREFIX));
        for (String key : kafka.keySet()) {
            if (RESERVED.containsKey(key) && canonical.containsKey(STREAMS_PREFIX + key)) {
                String as = written.containsKey(STREAMS_PREFIX + key) ? STREAMS_PREFIX + key : KAFKA_PREFIX + key;
                throw new IllegalArgumentException(as + " is not allowed; set " + RESERVED.get(key) + " instead");
            }
        }
        return kafka;
    }

    private static SigningKey signingKey(Map<String, String> config) {
        return SigningKey.fromConfig(config, COMMAND_SIGNING_SECRET).orElse(null);
    }

    /** The command signing key; fails, naming the key, when none is configured. */
    public SigningKey requireCommandSigningKey() {
        if (commandSigningKey == null) {
            throw new IllegalArgumentException(COMMAND_SIGNING_SECRET + " (or " + COMMAND_SIGNING_SECRET
                    + SigningKey.ENV_SUFFIX + ") is required: the HMAC-SHA256 secret, shared with the kill switch, that"
                    + " signs every revoke command (at least " + SigningKey.MIN_LENGTH + " characters); the kill switch"
                    + " executes no unsigned command");
        }
        return commandSigningKey;
    }

    /**
     * Kafka Streams properties. Every default that would cost more than the latency budget is
     * overridden: no producer linger, and the record cache only for state ({@link #DEFAULT_CACHE_MAX_BYTES}). Fetches
     * keep Kafka's long poll: with {@code fetch.min.bytes=1} the broker answers as soon as a record
     * (for read_committed, its commit marker) arrives, so a short {@code fetch.max.wait.ms} only adds
     * empty round trips. Commands commit at once ({@link #DEFAULT_COMMIT_INTERVAL_MS}).
     */
    public Properties toStreamsProperties() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, DEFAULT_CACHE_MAX_BYTES);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), "0");
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, DEFAULT_COMMIT_INTERVAL_MS);
        props.put(StreamsConfig.POLL_MS_CONFIG, DEFAULT_POLL_MS);
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, DEFAULT_STANDBY_REPLICAS);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
        props.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.OPTIMIZE);
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
        // Unreadable values never reach this handler (the topology routes them to the DLQ itself);
        // it covers keys, which must not stop detection either, and registry outages, which fail
        // the stream thread (it is replaced and reads the record again) instead of skipping.
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                RegistryOutageHandler.class.getName());
        props.putAll(kafka);
        return props;
    }

    private static List<DetectionRule> rules(String path) {
        RulesLoader.RuleSet set = path == null
                ? RulesLoader.loadBundled(Instant.now())
                : RulesLoader.load(Path.of(path), Instant.now());
        return set.rules();
    }

    private static Allowed after(Allowed allowed) {
        return allowed.worded(Allowed.Wording.INVALID_AFTER);
    }

    private static IllegalArgumentException invalid(String key, Object value, String allowed) {
        String problem = value == null ? " is required" : "=" + value + " is invalid";
        return new IllegalArgumentException(key + problem + "; allowed: " + allowed);
    }
}
