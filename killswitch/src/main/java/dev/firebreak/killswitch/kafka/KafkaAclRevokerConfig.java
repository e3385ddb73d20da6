package dev.firebreak.killswitch.kafka;

import dev.firebreak.config.Allowed;
import dev.firebreak.config.Typed;
import dev.firebreak.config.PassThrough;
import dev.firebreak.config.Settings;
import dev.firebreak.config.DeclaredSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.security.auth.KafkaPrincipal;

/**
 * Configuration of the Kafka revoker, block {@value #PREFIX}{@code *} of the kill switch
 * configuration, typed and validated when built: a bad value fails start-up naming the key and what
 * is allowed.
 *
 * @param cluster             logical cluster name; targets look like {@code kafka:<cluster>/<principal>}
 * @param bootstrapServers    {@code host:port[,host:port...]} of the cluster whose ACLs are written
 * @param protectedPrincipals principals never revoked, normalised to {@code <type>:<name>}
 * @param selfPrincipal       the revoker's own principal, never revoked: {@value #SELF_PRINCIPAL}, else
 *                            {@code User:<username>} of {@code admin.sasl.jaas.config}, else
 *                            {@code User:ANONYMOUS} on a PLAINTEXT connection
 * @param requestTimeout      upper bound of every Admin call (the request's deadline may cut it shorter)
 * @param adminOverrides      AdminClient settings ({@value #ADMIN_PREFIX}{@code *} with the prefix removed),
 *                            e.g. {@code security.protocol}, {@code sasl.mechanism}, {@code sasl.jaas.config}
 */
public record KafkaAclRevokerConfig(
        String cluster,
        String bootstrapServers,
        List<String> protectedPrincipals,
        String selfPrincipal,
        Duration requestTimeout,
        Map<String, String> adminOverrides) {

    public static final String PREFIX = "firebreak.killswitch.kafka.";
    public static final String CLUSTER = PREFIX + "cluster";
    public static final String BOOTSTRAP_SERVERS = PREFIX + "bootstrap.servers";
    public static final String PROTECTED_PRINCIPALS = PREFIX + "protected.principals";
    public static final String SELF_PRINCIPAL = PREFIX + "self.principal";
    public static final String REQUEST_TIMEOUT_MS = PREFIX + "request.timeout.ms";
    /** Pass-through prefix for AdminClient settings, e.g. {@code firebreak.killswitch.kafka.admin.security.protocol}. */
    public static final String ADMIN_PREFIX = PREFIX + "admin.";
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(2);
    /**
     * Names of the Kafka clusters served besides the default block, comma-separated; each is configured by
     * the same keys under {@value #NAMED_PREFIX}{@code <name>.} (e.g. {@code ...kafka.cluster.eu.bootstrap.servers},
     * {@code ...kafka.cluster.eu.admin.sasl.jaas.config}), and gets its own Admin client.
     */
    public static final String CLUSTERS = PREFIX + "clusters";
    /** Prefix of a named Kafka cluster's block. */
    public static final String NAMED_PREFIX = PREFIX + "cluster.";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private static final String ERROR = "invalid kill switch configuration: ";
    private static final Allowed REQUEST_TIMEOUT_BOUNDS = Allowed.millis(1, 60_000);

    /**
     * The default block's keys and {@link #CLUSTERS}; a named cluster's block has the same keys (but
     * {@code cluster}) under {@value #NAMED_PREFIX}{@code <name>.}, which this class validates.
     */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(CLUSTER, Type.STRING, null, Importance.HIGH, "Logical name of the Kafka cluster whose ACLs the kill"
                    + " switch writes; targets are kafka:<cluster>/<principal>. Required once any key of this block is"
                    + " set (setting one switches the Kafka revoker on); no '/'.")
            .define(BOOTSTRAP_SERVERS, Type.STRING, null, Importance.HIGH, "host:port[,host:port...] of that cluster."
                    + " Required with the block.")
            .define(PROTECTED_PRINCIPALS, Type.LIST, "", Importance.HIGH, "Comma-separated principals never revoked,"
                    + " <type>:<name> or a bare user name (User:).")
            .define(SELF_PRINCIPAL, Type.STRING, null, Importance.MEDIUM, "The revoker's own principal, never revoked;"
                    + " default: User:<username> of " + ADMIN_PREFIX + "sasl.jaas.config, or User:ANONYMOUS on PLAINTEXT."
                    + " Required when neither applies.")
            .define(REQUEST_TIMEOUT_MS, Type.LONG, DEFAULT_REQUEST_TIMEOUT.toMillis(), REQUEST_TIMEOUT_BOUNDS,
                    Importance.LOW, "Upper bound of every Admin call; the request's deadline may cut it shorter"
                    + " (milliseconds).")
            .define(CLUSTERS, Type.LIST, "", Importance.MEDIUM, "Names of the Kafka clusters served besides the default"
                    + " block, comma-separated (1-64 of A-Z a-z 0-9 _ -); each is configured by the same keys under "
                    + NAMED_PREFIX + "<name>. and gets its own Admin client.");
    private static final Set<String> KEYS = Set.of(CLUSTER, BOOTSTRAP_SERVERS, PROTECTED_PRINCIPALS, SELF_PRINCIPAL,
            REQUEST_TIMEOUT_MS);
    // Set by the revoker from this block's own keys; a second source would be ambiguous.
    private static final Set<String> FIXED_ADMIN = Set.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
    private static final Pattern JAAS_USERNAME = Pattern.compile("\\busername\\s*=\\s*(?:\"([^\"]*)\"|([^\\s;\"]+))");

    public KafkaAclRevokerConfig {
        List<String> errors = new ArrayList<>();
        if (blank(cluster) || cluster.contains("/")) {
            errors.add(CLUSTER + " is required: a cluster name without '/' (targets look like kafka:<cluster>/<principal>)");
        }
        if (blank(bootstrapServers)) {
            errors.add(BOOTSTRAP_SERVERS + " is required: host:port[,host:port...]");
        }
        REQUEST_TIMEOUT_BOUNDS.check(errors, REQUEST_TIMEOUT_MS, requestTimeout);
        adminOverrides = Map.copyOf(adminOverrides == null ? Map.of() : adminOverrides);
        adminErrors(adminOverrides, errors);
        protectedPrincipals = normalised(protectedPrincipals == null ? List.of() : protectedPrincipals, errors);
        selfPrincipal = self(selfPrincipal, adminOverrides, errors);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid kill switch configuration: " + String.join("; ", errors));
        }
    }

    /** Whether {@code targetBlocks} has any key of the default block, i.e. a Kafka revoker for it is wanted. */
    public static boolean present(Map<String, String> targetBlocks) {
        return targetBlocks.keySet().stream().anyMatch(KafkaAclRevokerConfig::inDefaultBlock);
    }

    private static boolean inDefaultBlock(String key) {
        return key.startsWith(PREFIX) && !key.equals(CLUSTERS) && !key.startsWith(NAMED_PREFIX);
    }

    /**
     * Every Kafka cluster the kill switch reaches: the default block when present, then each cluster of
     * {@link #CLUSTERS} from its {@value #NAMED_PREFIX}{@code <name>.*} block. Fails naming the key and what is
     * allowed on a bad name, a name given twice (the default block's {@link #CLUSTER} counts), a key for a
     * cluster not listed, or an invalid block.
     */
    public static List<KafkaAclRevokerConfig> allFromMap(Map<String, String> map) {
        String listed = map.getOrDefault(CLUSTERS, "");
        List<String> names = listed.isBlank() ? List.of() : Arrays.stream(listed.split(",", -1)).map(String::strip).toList();
        List<String> errors = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        if (present(map) && map.get(CLUSTER) != null) {
            seen.add(map.get(CLUSTER).strip());
        }
        for (String name : names) {
            if (!NAME.matcher(name).matches()) {
                errors.add(CLUSTERS + " has a bad cluster name '" + name + "'; allowed: 1-64 of A-Z a-z 0-9 _ -");
            } else if (!seen.add(name)) {
                errors.add(CLUSTERS + " names cluster '" + name + "' twice (the default block's " + CLUSTER
                        + " counts); allowed: distinct names");
            }
        }
        new TreeSet<>(map.keySet()).stream().filter(k -> k.startsWith(NAMED_PREFIX)).forEach(k -> {
            String rest = k.substring(NAMED_PREFIX.length());
            String name = rest.contains(".") ? rest.substring(0, rest.indexOf('.')) : rest;
            if (!names.contains(name)) {
                errors.add(k + " is for cluster '" + name + "', which " + CLUSTERS + " does not list; allowed: "
                        + names.stream().map(n -> NAMED_PREFIX + n + ".*").toList());
            } else if ((NAMED_PREFIX + name + ".cluster").equals(k)) {
                errors.add(k + " cannot be set: the name in " + CLUSTERS + " is the cluster's name");
            }
        });
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid kill switch configuration: " + String.join("; ", errors));
        }
        List<KafkaAclRevokerConfig> out = new ArrayList<>();
        if (present(map)) {
            out.add(fromMap(map));
        }
        names.forEach(name -> out.add(named(map, name)));
        return List.copyOf(out);
    }

    /** One named cluster's block, read as if it were the default block; errors name the cluster's own keys. */
    private static KafkaAclRevokerConfig named(Map<String, String> map, String name) {
        String prefix = NAMED_PREFIX + name + ".";
        Map<String, String> block = new TreeMap<>();
        map.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                block.put(PREFIX + k.substring(prefix.length()), v);
            }
        });
        block.put(CLUSTER, name);
        try {
            return fromMap(block);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace(PREFIX, prefix), e);
        }
    }

    /**
     * Reads the block from full keys ({@link #CLUSTER} and friends); keys outside {@value #PREFIX} are
     * ignored, an unknown key inside it is a typo and fails.
     */
    public static KafkaAclRevokerConfig fromMap(Map<String, String> map) {
        List<String> unknown = map.keySet().stream()
                .filter(k -> inDefaultBlock(k) && !KEYS.contains(k) && !k.startsWith(ADMIN_PREFIX)).sorted().toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("invalid kill switch configuration: unknown key(s) " + unknown
                    + "; allowed: " + new TreeSet<>(KEYS) + " and " + ADMIN_PREFIX + "<AdminClient setting>");
        }
        Typed.Values in = Typed.read(CONFIG, map, ERROR, "a whole number 1..60000 (milliseconds)");
        Map<String, String> admin = new TreeMap<>(Settings.resolve(PassThrough.withPrefix(map, ADMIN_PREFIX)));
        return new KafkaAclRevokerConfig(
                in.getString(CLUSTER),
                in.getString(BOOTSTRAP_SERVERS),
                in.getList(PROTECTED_PRINCIPALS),
                in.getString(SELF_PRINCIPAL),
                Duration.ofMillis(in.getLong(REQUEST_TIMEOUT_MS)),
                admin);
    }

    /** The Kafka revoker's keys and open prefixes, for {@code Settings.check} and the settings reference. */
    public static final class Definition extends DeclaredSettings {
        public Definition() {
            super("killswitch", "Kill switch: Kafka ACL revoker", CONFIG, Map.of(
                    ADMIN_PREFIX, "AdminClient settings of the default block's Admin client (security.protocol,"
                            + " sasl.*, ssl.*); only AdminClientConfig names; fixed, refused: " + new TreeSet<>(FIXED_ADMIN),
                    NAMED_PREFIX, "One block per cluster named in " + CLUSTERS + ": <name>.bootstrap.servers,"
                            + " <name>.protected.principals, <name>.self.principal, <name>.request.timeout.ms,"
                            + " <name>.admin.*; any other key, or a name not listed, is refused"), Map.of());
        }
    }

    /** Everything, with values of secret-looking admin settings (jaas, password, secret, token) as ****. */
    @Override
    public String toString() {
        Map<String, String> masked = new TreeMap<>();
        adminOverrides.forEach((k, v) -> masked.put(k,
                k.matches("(?i).*(secret|password|jaas|token|credential).*") ? "****" : v));
        return "KafkaAclRevokerConfig[cluster=" + cluster + ", bootstrapServers=" + bootstrapServers
                + ", protectedPrincipals=" + protectedPrincipals + ", selfPrincipal=" + selfPrincipal
                + ", requestTimeout=" + requestTimeout + ", adminOverrides=" + masked + "]";
    }

    private static void adminErrors(Map<String, String> admin, List<String> errors) {
        Set<String> known = AdminClientConfig.configNames();
        admin.keySet().stream().sorted().forEach(k -> {
            if (FIXED_ADMIN.contains(k)) {
                errors.add(ADMIN_PREFIX + k + " cannot be set; use " + BOOTSTRAP_SERVERS + " and " + REQUEST_TIMEOUT_MS
                        + " (fixed: " + new TreeSet<>(FIXED_ADMIN) + ")");
            } else if (!known.contains(k)) {
                errors.add(ADMIN_PREFIX + k + " is not an AdminClient setting; allowed: " + ADMIN_PREFIX
                        + "<name> for the names of org.apache.kafka.clients.admin.AdminClientConfig");
            }
        });
    }

    private static List<String> normalised(List<String> principals, List<String> errors) {
        List<String> out = new ArrayList<>();
        for (String p : principals) {
            try {
                out.add(KafkaPrincipals.parse(p).toString());
            } catch (IllegalArgumentException e) {
                errors.add(PROTECTED_PRINCIPALS + ": " + e.getMessage()
                        + "; allowed: comma-separated principals, <type>:<name> or a bare user name");
            }
        }
        return List.copyOf(out);
    }

    private static String self(String explicit, Map<String, String> admin, List<String> errors) {
        try {
            if (!blank(explicit)) {
                return KafkaPrincipals.parse(explicit.strip()).toString();
            }
        } catch (IllegalArgumentException e) {
            errors.add(SELF_PRINCIPAL + ": " + e.getMessage());
            return explicit;
        }
        Matcher m = JAAS_USERNAME.matcher(admin.getOrDefault("sasl.jaas.config", ""));
        if (m.find()) {
            return new KafkaPrincipal(KafkaPrincipal.USER_TYPE, m.group(1) != null ? m.group(1) : m.group(2)).toString();
        }
        if (admin.getOrDefault("security.protocol", "PLAINTEXT").equalsIgnoreCase("PLAINTEXT")) {
            return KafkaPrincipal.ANONYMOUS.toString();
        }
        errors.add(SELF_PRINCIPAL + " is required when the revoker's own principal cannot be derived from "
                + ADMIN_PREFIX + "sasl.jaas.config (username=...): <type>:<name>, e.g. User:firebreak");
        return explicit;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
