package dev.firebreak.killswitch.webhook;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;

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

    public static final int MIN_SECRET_LENGTH = 16;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(2000);
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(100);
    /** Issuer names: they become the scope of {@code token:<issuer>/<id>}, so no '/' and nothing exotic. */
    public static final Pattern ISSUER = Pattern.compile("[A-Za-z0-9._-]+");

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
        checkRange(errors, key + TIMEOUT_MS, timeout.toMillis(), 1, 60_000, " (milliseconds)");
        checkRange(errors, key + MAX_ATTEMPTS, maxAttempts, 1, 20, "");
        checkRange(errors, key + BACKOFF_MS, backoff.toMillis(), 1, 10_000, " (milliseconds)");
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
        List<String> errors = new ArrayList<>();
        URI url = parseUrl(errors, key + URL, block.get(URL));
        String secret = secret(errors, key, block, env);
        long timeout = parseLong(errors, key + TIMEOUT_MS, block.get(TIMEOUT_MS), DEFAULT_TIMEOUT.toMillis());
        long attempts = parseLong(errors, key + MAX_ATTEMPTS, block.get(MAX_ATTEMPTS), DEFAULT_MAX_ATTEMPTS);
        long backoff = parseLong(errors, key + BACKOFF_MS, block.get(BACKOFF_MS), DEFAULT_BACKOFF.toMillis());
        WebhookScheme scheme = WebhookScheme.STANDARD_WEBHOOKS;
        try {
            scheme = WebhookScheme.parse(key + SIGNATURE_SCHEME, block.get(SIGNATURE_SCHEME));
        } catch (IllegalArgumentException e) {
            errors.add(e.getMessage());
        }
        fail(errors);
        String tokens = block.getOrDefault(PROTECTED_TOKENS, "");
        Set<String> protectedTokens = tokens.isBlank() ? Set.of()
                : new LinkedHashSet<>(Arrays.stream(tokens.split(",", -1)).map(String::strip).toList());
        return new WebhookTargetConfig(issuer, url, secret, scheme, Duration.ofMillis(timeout),
                (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, attempts)), Duration.ofMillis(backoff),
                protectedTokens);
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

    private static String secret(List<String> errors, String key, Map<String, String> block, Function<String, String> env) {
        String literal = block.get(SECRET);
        String envName = block.get(SECRET_ENV);
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

    private static long parseLong(List<String> errors, String key, String value, long defaultValue) {
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            errors.add(key + " must be a whole number, was '" + value + "'");
            return defaultValue;
        }
    }

    private static void checkRange(List<String> errors, String key, long value, long min, long max, String unit) {
        if (value < min || value > max) {
            errors.add(key + " must be " + min + ".." + max + unit + ", was " + value);
        }
    }
}
