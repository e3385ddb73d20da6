package dev.firebreak.killswitch.webhook;

import dev.firebreak.config.Allowed;
import dev.firebreak.config.Typed;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * One issuer's webhook block, {@code firebreak.killswitch.webhook.<issuer>.*}: where to POST, the
 * shared signing secret, and how long and how often to try.
 *
 * @param issuer          the scope of the tokens this webhook revokes ({@code token:<issuer>/<id>})
 * @param url             the endpoint without user info: https, or http only to a loopback host
 *                        ({@code 127.0.0.0/8}, {@code ::1}, {@code localhost}), because the signed
 *                        request names the token being revoked and the issuer's answer decides
 *                        whether the kill switch reports success
 * @param secret          the HMAC secret; never printed. For {@link WebhookScheme#STANDARD_WEBHOOKS}
 *                        {@code whsec_<base64 of 24..64 bytes>}, for {@link WebhookScheme#FIREBREAK_V1} at least
 *                        {@value #MIN_SECRET_LENGTH} characters
 * @param scheme          how requests are signed ({@value #SIGNATURE_SCHEME})
 * @param timeout         per attempt (connect and answer), capped by the request's deadline
 * @param maxAttempts     attempts for failures a retry may cure (5xx, 408, 429, timeouts, refused connections)
 * @param backoff         wait before the first retry, doubling per retry
 * @param protectedTokens token ids that are never revoked
 */
public record WebhookTargetConfig(String issuer, URI url, String secret, WebhookScheme scheme, Duration timeout,
                                  int maxAttempts, Duration backoff, Set<String> protectedTokens) {
    public static final String PREFIX = "firebreak.killswitch.webhook.";
    public static final String URL = "url";
    public static final String SECRET = "secret";
    public static final String SECRET_ENV = "secret.env";
    public static final String TIMEOUT_MS = "timeout.ms";
    public static final String MAX_ATTEMPTS = "max.attempts";
    public static final String BACKOFF_MS = "backoff.ms";
    public static final String PROTECTED_TOKENS = "protected.tokens";
    public static final String SIGNATURE_SCHEME = "signature.scheme";
    /** The keys of one issuer block, after {@code <PREFIX><issuer>.}. */
    public static final List<String> KEYS = List.of(URL, SECRET, SECRET_ENV, TIMEOUT_MS, MAX_ATTEMPTS, BACKOFF_MS,
            PROTECTED_TOKENS, SIGNATURE_SCHEME);

    /** Issuer names: they become the scope of {@code token:<issuer>/<id>}, so no '/' and nothing exotic. */
    public static final Pattern ISSUER = Pattern.compile("[A-Za-z0-9._-]+");
    public static final int MIN_SECRET_LENGTH = 16;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(2000);
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(100);
    private static final Allowed TIMEOUT_BOUNDS = Allowed.millis(1, 60_000);
    private static final Allowed ATTEMPTS_BOUNDS = Allowed.between(1, 20);
    private static final Allowed BACKOFF_BOUNDS = Allowed.millis(1, 10_000);

    /**
     * The keys of one issuer block, relative to {@code <PREFIX><issuer>.}: types, defaults, allowed values
     * and docs. The block is an open prefix of the kill switch's settings (issuers are named by the operator),
     * so this class, not {@code Settings.check}, refuses an unknown key in it.
     */
    public static final ConfigDef BLOCK = new ConfigDef()
            .define(URL, Type.STRING, null, Importance.HIGH, "The issuer's revocation endpoint: https://..., or http://"
                    + " only to a loopback host; no user info. Required.")
            .define(SECRET, Type.PASSWORD, null, Importance.HIGH, "The HMAC secret; never printed. standard-webhooks:"
                    + " whsec_<base64 of 24..64 bytes>; firebreak-v1: at least " + MIN_SECRET_LENGTH + " characters."
                    + " Exactly one of " + SECRET + " and " + SECRET_ENV + ".")
            .define(SECRET_ENV, Type.STRING, null, Importance.LOW, "Name of an environment variable holding the secret.")
            .define(TIMEOUT_MS, Type.LONG, DEFAULT_TIMEOUT.toMillis(), TIMEOUT_BOUNDS, Importance.LOW,
                    "Per attempt, connect and answer, capped by the request's deadline (milliseconds).")
            .define(MAX_ATTEMPTS, Type.INT, DEFAULT_MAX_ATTEMPTS, ATTEMPTS_BOUNDS, Importance.LOW,
                    "Attempts for failures a retry may cure (5xx, 408, 429, timeouts, refused connections).")
            .define(BACKOFF_MS, Type.LONG, DEFAULT_BACKOFF.toMillis(), BACKOFF_BOUNDS, Importance.LOW,
                    "Wait before the first retry, doubling per retry (milliseconds).")
            .define(PROTECTED_TOKENS, Type.LIST, "", Importance.MEDIUM, "Comma-separated token ids that are never revoked.")
            .define(SIGNATURE_SCHEME, Type.STRING, WebhookScheme.STANDARD_WEBHOOKS.wire, Importance.MEDIUM,
                    "How requests are signed; allowed: " + WebhookScheme.allowed() + ".");
    /** What goes under {@value #PREFIX}, for the settings reference. */
    public static final String BLOCK_DOC = "Token webhooks, one block per issuer (names " + ISSUER.pattern()
            + "; targets token:<issuer>/<id>): <issuer>.{" + String.join(",", KEYS) + "}; any other key is refused";

    public WebhookTargetConfig {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(backoff, "backoff");
        protectedTokens = Set.copyOf(protectedTokens);
        List<String> errors = new ArrayList<>();
        String key = PREFIX + issuer + ".";
        if (!ISSUER.matcher(issuer).matches()) {
            errors.add("issuer '" + issuer + "' in " + key + "* is invalid; allowed: " + ISSUER.pattern());
        }
        String urlProblem = urlProblem(url);
        if (urlProblem != null) {
            errors.add(key + URL + " " + urlProblem);
        }
        String secretProblem = scheme.secretProblem(secret, MIN_SECRET_LENGTH);
        if (secretProblem != null) {
            errors.add(key + SECRET + " (or the variable " + SECRET_ENV + " names) " + secretProblem + " for "
                    + key + SIGNATURE_SCHEME + "=" + scheme.wire + " (allowed schemes: " + WebhookScheme.allowed() + ")");
        }
        TIMEOUT_BOUNDS.check(errors, key + TIMEOUT_MS, timeout);
        ATTEMPTS_BOUNDS.check(errors, key + MAX_ATTEMPTS, maxAttempts);
        BACKOFF_BOUNDS.check(errors, key + BACKOFF_MS, backoff);
        if (protectedTokens.stream().anyMatch(String::isBlank)) {
            errors.add(key + PROTECTED_TOKENS + " contains an empty token id; allowed: comma-separated token ids");
        }
        fail(errors);
    }

    /**
     * Reads every issuer block under {@value #PREFIX} from {@code targetBlocks} (full keys); secrets named
     * by {@code secret.env} come from the process environment. Empty when no key has the prefix.
     *
     * @throws IllegalArgumentException naming every invalid or unknown key and the allowed values
     */
    public static List<WebhookTargetConfig> fromTargetBlocks(Map<String, String> targetBlocks) {
        return fromTargetBlocks(targetBlocks, System::getenv);
    }

    /** As {@link #fromTargetBlocks(Map)}, with {@code env} resolving {@code secret.env} names. */
    public static List<WebhookTargetConfig> fromTargetBlocks(Map<String, String> targetBlocks, Function<String, String> env) {
        Map<String, Map<String, String>> byIssuer = new TreeMap<>();
        List<String> errors = new ArrayList<>();
        targetBlocks.forEach((fullKey, value) -> {
            if (!fullKey.startsWith(PREFIX)) {
                return;
            }
            String rest = fullKey.substring(PREFIX.length());
            // Issuer names may contain dots, so the key is recognised by its suffix; no key is a
            // dotted suffix of another, so at most one matches.
            String key = KEYS.stream().filter(k -> rest.endsWith("." + k) && rest.length() > k.length() + 1)
                    .findFirst().orElse(null);
            if (key == null) {
                errors.add("unknown key " + fullKey + "; allowed: " + PREFIX + "<issuer>.{" + String.join(",", KEYS) + "}");
                return;
            }
            String issuer = rest.substring(0, rest.length() - key.length() - 1);
            byIssuer.computeIfAbsent(issuer, i -> new TreeMap<>()).put(key, value);
        });
        List<WebhookTargetConfig> configs = new ArrayList<>();
        byIssuer.forEach((issuer, block) -> {
            try {
                configs.add(fromBlock(issuer, block, env));
            } catch (IllegalArgumentException e) {
                errors.add(e.getMessage().substring(ERROR_PREFIX.length()));
            }
        });
        fail(errors);
        return List.copyOf(configs);
    }

    private static WebhookTargetConfig fromBlock(String issuer, Map<String, String> block, Function<String, String> env) {
        String key = PREFIX + issuer + ".";
        Typed.Values in = Typed.read(BLOCK, block, ERROR_PREFIX + key, "a whole number");
        List<String> errors = new ArrayList<>();
        URI url = parseUrl(errors, key + URL, in.getString(URL));
        String secret = secret(errors, key, in.getSecret(SECRET), in.getString(SECRET_ENV), env);
        WebhookScheme scheme = WebhookScheme.STANDARD_WEBHOOKS;
        try {
            scheme = WebhookScheme.parse(key + SIGNATURE_SCHEME, in.getString(SIGNATURE_SCHEME));
        } catch (IllegalArgumentException e) {
            errors.add(e.getMessage());
        }
        fail(errors);
        return new WebhookTargetConfig(issuer, url, secret, scheme, Duration.ofMillis(in.getLong(TIMEOUT_MS)),
                in.getInt(MAX_ATTEMPTS), Duration.ofMillis(in.getLong(BACKOFF_MS)),
                new LinkedHashSet<>(in.getList(PROTECTED_TOKENS)));
    }

    /** The URL without user info, query or fragment: safe for logs and results. */
    public String displayUrl() {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + (url.getRawPath() == null ? "" : url.getRawPath());
    }

    /** Everything but the secret, which is masked. */
    @Override
    public String toString() {
        return "WebhookTargetConfig[issuer=" + issuer + ", url=" + displayUrl() + ", secret=****, scheme=" + scheme.wire
                + ", timeout=" + timeout
                + ", maxAttempts=" + maxAttempts + ", backoff=" + backoff + ", protectedTokens=" + new TreeSet<>(protectedTokens) + "]";
    }

    private static final String ERROR_PREFIX = "invalid kill switch webhook configuration: ";

    private static void fail(List<String> errors) {
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(ERROR_PREFIX + String.join("; ", errors));
        }
    }

    private static String secret(List<String> errors, String key, String literal, String envName,
                                 Function<String, String> env) {
        if ((literal == null) == (envName == null)) {
            errors.add("exactly one of " + key + SECRET + " and " + key + SECRET_ENV
                    + " is required (the HMAC secret, or the name of an environment variable holding it)");
            return "";
        }
        if (literal != null) {
            return literal;
        }
        String fromEnv = envName.isBlank() ? null : env.apply(envName.strip());
        if (fromEnv == null || fromEnv.isEmpty()) {
            errors.add(key + SECRET_ENV + " names environment variable '" + envName + "', which is not set or empty");
            return "";
        }
        if (fromEnv.length() < MIN_SECRET_LENGTH) {
            errors.add(key + SECRET_ENV + ": environment variable '" + envName + "' must hold at least "
                    + MIN_SECRET_LENGTH + " characters, has " + fromEnv.length());
            return "";
        }
        return fromEnv;
    }

    private static URI parseUrl(List<String> errors, String key, String value) {
        if (value == null || value.isBlank()) {
            errors.add(key + " is required: https://..., or http://... to a loopback host");
            return null;
        }
        try {
            URI uri = new URI(value.strip());
            String problem = urlProblem(uri);
            if (problem != null) {
                errors.add(key + " " + problem);
                return null;
            }
            return uri;
        } catch (URISyntaxException e) {
            errors.add(key + " is not a valid URL (" + e.getReason() + "); allowed: https://..., or http://... to a loopback host");
            return null;
        }
    }

    private static String urlProblem(URI url) {
        String scheme = url.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https")) || url.getHost() == null) {
            return "must be an absolute http:// or https:// URL with a host";
        }
        if (scheme.equalsIgnoreCase("http") && !isLoopbackHost(url.getHost())) {
            // In clear text anyone on the path reads which token is being revoked and can forge
            // the "revoked" answer; the HMAC signs the request, not the reply.
            return "must use https:// unless the host is loopback; allowed: https://<host>/..., or http:// only to "
                    + "127.0.0.0/8, [::1] or localhost (was http://" + url.getHost() + ")";
        }
        if (url.getRawUserInfo() != null) {
            // Credentials belong in the secret, which is masked; user info would end up in logs.
            return "must not contain user info; put the credential in " + SECRET + " or " + SECRET_ENV;
        }
        return null;
    }

    private static final Pattern IPV4_LOOPBACK = Pattern.compile("127(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    static boolean isLoopbackHost(String host) {
        return isLoopback(host);
    }

    /**
     * True for literal loopback hosts only: {@code localhost}, an IPv4 literal in {@code 127.0.0.0/8},
     * or the IPv6 literal {@code ::1} (any spelling). Names are never resolved: a DNS answer is not
     * something a start-up check can trust.
     * Public: the CAEP receivers apply the same rule.
     */
    public static boolean isLoopback(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        String h = host.toLowerCase(java.util.Locale.ROOT);
        if (h.equals("localhost") || h.equals("localhost.")) {
            return true;
        }
        if (IPV4_LOOPBACK.matcher(h).matches()) {
            return true;
        }
        if (h.startsWith("[") && h.endsWith("]") && h.indexOf('%') < 0) {
            String literal = h.substring(1, h.length() - 1);
            if (!literal.matches("[0-9a-f:.]+")) {
                return false;
            }
            try {
                // An IPv6 literal: InetAddress parses it without any lookup.
                return java.net.InetAddress.getByName(literal).isLoopbackAddress();
            } catch (java.net.UnknownHostException e) {
                return false;
            }
        }
        return false;
    }
}
