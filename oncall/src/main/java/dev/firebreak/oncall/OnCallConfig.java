package dev.firebreak.oncall;

import dev.firebreak.config.Allowed;
import dev.firebreak.config.DeclaredSettings;
import dev.firebreak.config.DeprecatedKeys;
import dev.firebreak.config.Typed;
import dev.firebreak.config.PassThrough;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Configuration of the on-call notifier, typed and validated when built: a bad value fails start-up
 * with the key and what is allowed.
 *
 * @param alertmanagerUrls  base URLs of every Alertmanager of the HA set; each alert goes to all of them
 * @param environment       value of the {@code environment} label, e.g. {@code prod}
 * @param dashboardUrl      link template; {@code {principal}} and {@code {rule}} are replaced URL-encoded,
 *                          {@code {from}} and {@code {to}} by the alert's time range (epoch milliseconds)
 * @param resendInterval    how often every firing alert is pushed again (Alertmanager forgets alerts
 *                          whose {@code endsAt}, 3 intervals ahead, passes)
 * @param alertHold         how long alert-only and refused alerts stay firing after they were created
 * @param lookback          how far back state is rebuilt on start; also the age at which an alert
 *                          nobody resolved is dropped, so a running notifier and a restarted one agree
 * @param timeout           connect and request timeout of one push
 * @param bootstrapServers  Kafka bootstrap servers
 * @param schemaRegistryUrl {@code http(s)://...} or {@code mem://<scope>}
 * @param consumerOverrides Kafka consumer settings, prefixes removed: {@link #CLIENT_PREFIX}, {@link #CONSUMER_PREFIX} over it
 */
public record OnCallConfig(
        List<URI> alertmanagerUrls,
        String environment,
        String dashboardUrl,
        Duration resendInterval,
        Duration alertHold,
        Duration lookback,
        Duration timeout,
        String bootstrapServers,
        String schemaRegistryUrl,
        Map<String, String> consumerOverrides) {

    public static final String PREFIX = "firebreak.oncall.";
    public static final String ALERTMANAGER_URLS = PREFIX + "alertmanager.urls";
    public static final String ENVIRONMENT = PREFIX + "environment";
    public static final String DASHBOARD_URL = PREFIX + "dashboard.url";
    public static final String RESEND_INTERVAL_MS = PREFIX + "resend.interval.ms";
    public static final String ALERT_HOLD_MS = PREFIX + "alert.hold.ms";
    public static final String LOOKBACK_MS = PREFIX + "lookback.ms";
    public static final String TIMEOUT_MS = PREFIX + "timeout.ms";
    public static final String BOOTSTRAP_SERVERS = PREFIX + "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = PREFIX + "schema.registry.url";
    /** Pass-through prefix for the notifier's Kafka consumer settings, e.g. {@code firebreak.oncall.consumer.fetch.max.wait.ms}. */
    public static final String CONSUMER_PREFIX = PREFIX + "consumer.";
    /** The old spelling of {@link #CONSUMER_PREFIX}, shared with the kill switch; still read, with a warning. */
    public static final String DEPRECATED_CONSUMER_PREFIX = "kafka.consumer.";
    /** Old spellings, still read (with a warning): see {@link DeprecatedKeys}. */
    public static final Map<String, String> ALIASES = Map.of(DEPRECATED_CONSUMER_PREFIX, CONSUMER_PREFIX);
    /**
     * Kafka client settings of the on-call notifier alone, e.g. its SASL credentials
     * ({@code firebreak.oncall.client.sasl.jaas.config}); {@link #CONSUMER_PREFIX} keys win on the same key.
     */
    public static final String CLIENT_PREFIX = PREFIX + PassThrough.CLIENT_INFIX;

    public static final String DEFAULT_DASHBOARD_URL =
            "http://localhost:3000/d/firebreak-principal/firebreak-principal?var-principal={principal}&from={from}&to={to}";
    public static final Duration DEFAULT_RESEND_INTERVAL = Duration.ofMinutes(1);
    public static final Duration DEFAULT_ALERT_HOLD = Duration.ofMinutes(15);
    public static final Duration DEFAULT_LOOKBACK = Duration.ofDays(1);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    private static final String ERROR = "invalid on-call configuration: ";
    private static final Allowed RESEND_BOUNDS = Allowed.millis(100, Duration.ofHours(1).toMillis());
    private static final Allowed HOLD_BOUNDS = Allowed.millis(1_000, Duration.ofDays(7).toMillis());
    private static final Allowed LOOKBACK_BOUNDS = Allowed.millis(0, Duration.ofDays(30).toMillis());
    private static final Allowed TIMEOUT_BOUNDS = Allowed.millis(1, 60_000);

    /** Every key of the on-call notifier, with type, default, allowed values and what it does. */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(ALERTMANAGER_URLS, Type.STRING, null, Importance.HIGH, "Comma-separated http(s)://<host>:<port>"
                    + "[/<path prefix>] base URLs of every Alertmanager of the HA set; each alert goes to all. Unset or"
                    + " blank: paging is off.")
            .define(ENVIRONMENT, Type.STRING, null, Importance.HIGH, "Value of the environment label, e.g. prod."
                    + " Required with paging.")
            .define(DASHBOARD_URL, Type.STRING, DEFAULT_DASHBOARD_URL, Importance.MEDIUM, "Link template, http(s)://;"
                    + " {principal} and {rule} are replaced URL-encoded, {from} and {to} by the alert's time range"
                    + " (epoch milliseconds).")
            .define(RESEND_INTERVAL_MS, Type.LONG, DEFAULT_RESEND_INTERVAL.toMillis(), RESEND_BOUNDS, Importance.LOW,
                    "How often every firing alert is pushed again; Alertmanager forgets alerts whose endsAt, 3"
                    + " intervals ahead, passes (milliseconds).")
            .define(ALERT_HOLD_MS, Type.LONG, DEFAULT_ALERT_HOLD.toMillis(), HOLD_BOUNDS, Importance.LOW, "How long"
                    + " alert-only and refused alerts stay firing after they were created (milliseconds).")
            .define(LOOKBACK_MS, Type.LONG, DEFAULT_LOOKBACK.toMillis(), LOOKBACK_BOUNDS, Importance.LOW, "How far back"
                    + " state is rebuilt on start; also the age at which an alert nobody resolved is dropped, so a"
                    + " running notifier and a restarted one agree (milliseconds).")
            .define(TIMEOUT_MS, Type.LONG, DEFAULT_TIMEOUT.toMillis(), TIMEOUT_BOUNDS, Importance.LOW, "Connect and"
                    + " request timeout of one push (milliseconds).")
            .define(BOOTSTRAP_SERVERS, Type.STRING, null, Importance.HIGH, "Kafka bootstrap servers,"
                    + " host:port[,host:port...]. Required with paging.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, null, Importance.HIGH, "Schema registry: http(s)://... or"
                    + " mem://<scope>. Required with paging.");
    // The notifier assigns partitions itself and never commits: a group or a different deserializer
    // would change what it reads, so these cannot be overridden.
    private static final Set<String> FIXED_CONSUMER = Set.of("enable.auto.commit", "key.deserializer",
            "value.deserializer", "group.id", "bootstrap.servers", "auto.offset.reset");

    public OnCallConfig {
        List<String> errors = new ArrayList<>();
        alertmanagerUrls = List.copyOf(alertmanagerUrls == null ? List.of() : alertmanagerUrls);
        if (alertmanagerUrls.isEmpty()) {
            errors.add(ALERTMANAGER_URLS + " is required: comma-separated http(s)://<host>:<port> base URLs");
        }
        if (blank(environment)) {
            errors.add(ENVIRONMENT + " is required: the environment label value, e.g. prod");
        }
        dashboardUrl = blank(dashboardUrl) ? DEFAULT_DASHBOARD_URL : dashboardUrl.strip();
        if (!dashboardUrl.startsWith("http://") && !dashboardUrl.startsWith("https://")) {
            errors.add(DASHBOARD_URL + " must be an http(s):// URL template (placeholders {principal}, {rule}, {from}, {to}), was '"
                    + dashboardUrl + "'");
        }
        RESEND_BOUNDS.check(errors, RESEND_INTERVAL_MS, resendInterval);
        HOLD_BOUNDS.check(errors, ALERT_HOLD_MS, alertHold);
        LOOKBACK_BOUNDS.check(errors, LOOKBACK_MS, lookback);
        TIMEOUT_BOUNDS.check(errors, TIMEOUT_MS, timeout);
        if (blank(bootstrapServers)) {
            errors.add(BOOTSTRAP_SERVERS + " is required: host:port[,host:port...]");
        }
        if (blank(schemaRegistryUrl) || !(schemaRegistryUrl.startsWith("http://")
                || schemaRegistryUrl.startsWith("https://") || schemaRegistryUrl.startsWith("mem://"))) {
            errors.add(SCHEMA_REGISTRY_URL + " is required: http://..., https://... or mem://<scope>");
        }
        consumerOverrides = Map.copyOf(consumerOverrides == null ? Map.of() : consumerOverrides);
        consumerOverrides.keySet().stream().filter(FIXED_CONSUMER::contains).sorted().forEach(k -> errors.add(
                CONSUMER_PREFIX + k + " or " + DEPRECATED_CONSUMER_PREFIX + k + " cannot be overridden; fixed by the"
                        + " on-call notifier: " + new TreeSet<>(FIXED_CONSUMER)));
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(ERROR + String.join("; ", errors));
        }
    }

    /**
     * Reads the configuration from flat string keys. Empty when {@value #ALERTMANAGER_URLS} is absent or
     * blank: paging is off. Keys outside {@value #PREFIX} and {@value #CONSUMER_PREFIX} are ignored, so
     * one map can configure every service; an unknown key under {@value #PREFIX} is a typo and fails
     * even when paging is off, because a misspelt URL key would otherwise switch paging off silently.
     */
    public static Optional<OnCallConfig> fromMap(Map<String, String> map) {
        List<String> unknown = map.keySet().stream()
                .filter(k -> k.startsWith(PREFIX) && !CONFIG.names().contains(k) && !k.startsWith(CLIENT_PREFIX)
                        && !k.startsWith(CONSUMER_PREFIX)).sorted().toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(ERROR + "unknown key(s) " + unknown + "; allowed: "
                    + new TreeSet<>(CONFIG.names()) + ", " + CLIENT_PREFIX + "*, " + CONSUMER_PREFIX + "*");
        }
        if (blank(map.get(ALERTMANAGER_URLS))) {
            return Optional.empty();
        }
        Typed.Values in = Typed.read(CONFIG, map, ERROR, "a whole number of milliseconds");
        return Optional.of(new OnCallConfig(
                parseUrls(in.getString(ALERTMANAGER_URLS)),
                in.getString(ENVIRONMENT),
                in.getString(DASHBOARD_URL),
                Duration.ofMillis(in.getLong(RESEND_INTERVAL_MS)),
                Duration.ofMillis(in.getLong(ALERT_HOLD_MS)),
                Duration.ofMillis(in.getLong(LOOKBACK_MS)),
                Duration.ofMillis(in.getLong(TIMEOUT_MS)),
                in.getString(BOOTSTRAP_SERVERS),
                in.getString(SCHEMA_REGISTRY_URL),
                PassThrough.layered(PassThrough.clientSettings(map, PREFIX),
                        PassThrough.withPrefix(canonical(map), CONSUMER_PREFIX))));
    }

    /** {@code map} with the old consumer spelling renamed; both spellings with different values fail. */
    private static Map<String, String> canonical(Map<String, String> map) {
        try {
            return DeprecatedKeys.canonical(map, ALIASES);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ERROR + e.getMessage(), e);
        }
    }

    /** The on-call notifier's keys and open prefixes, for {@code Settings.check} and the settings reference. */
    public static final class Definition extends DeclaredSettings {
        public Definition() {
            super("oncall", "On-call notifier", CONFIG, Map.of(
                    CLIENT_PREFIX, "Kafka client settings of the notifier's consumer, e.g. security.protocol,"
                            + " sasl.jaas.config; bootstrap.servers is refused",
                    CONSUMER_PREFIX, "Kafka consumer settings; win over " + CLIENT_PREFIX + "*. Fixed, refused: "
                            + new TreeSet<>(FIXED_CONSUMER)), ALIASES);
        }
    }

    /** Everything, with credentials in URLs (user info) and secret-looking consumer settings masked. */
    @Override
    public String toString() {
        Map<String, String> consumer = new java.util.TreeMap<>();
        consumerOverrides.forEach((k, v) -> consumer.put(k,
                k.matches("(?i).*(secret|password|jaas|token|credential).*") ? "****" : v));
        return "OnCallConfig[alertmanagerUrls=" + alertmanagerUrls.stream().map(OnCallConfig::printable).toList()
                + ", environment=" + environment + ", dashboardUrl=" + dashboardUrl
                + ", resendInterval=" + resendInterval + ", alertHold=" + alertHold + ", lookback=" + lookback
                + ", timeout=" + timeout + ", bootstrapServers=" + bootstrapServers
                + ", schemaRegistryUrl=" + schemaRegistryUrl + ", consumerOverrides=" + consumer + "]";
    }

    /** A base URL as it may appear in logs: user info (basic-auth credentials) replaced by ****. */
    static String printable(URI uri) {
        return uri.getUserInfo() == null ? uri.toString() : uri.toString().replace(uri.getRawUserInfo(), "****");
    }

    /** Base URLs without a trailing slash; each must be http(s) with a host. */
    static List<URI> parseUrls(String value) {
        List<URI> out = new ArrayList<>();
        for (String part : Arrays.stream(value.split(",", -1)).map(String::strip).toList()) {
            String trimmed = part.endsWith("/") ? part.substring(0, part.length() - 1) : part;
            URI uri = null;
            try {
                uri = new URI(trimmed);
            } catch (URISyntaxException e) {
                // reported below with the allowed form
            }
            if (uri == null || uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                    || uri.getQuery() != null || uri.getFragment() != null) {
                throw new IllegalArgumentException("invalid on-call configuration: " + ALERTMANAGER_URLS
                        + " must be comma-separated http(s)://<host>:<port>[/<path prefix>] base URLs, got '" + part + "'");
            }
            out.add(uri);
        }
        return out;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
