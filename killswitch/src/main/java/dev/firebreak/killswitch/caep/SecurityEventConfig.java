package dev.firebreak.killswitch.caep;

import dev.firebreak.config.Allowed;
import dev.firebreak.config.Settings;
import dev.firebreak.config.DeclaredSettings;
import dev.firebreak.killswitch.webhook.WebhookTargetConfig;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * {@code firebreak.killswitch.caep.*}: where and how the kill switch pushes OpenID Shared Signals
 * (CAEP {@code session-revoked}) Security Event Tokens after it revoked a credential. Absent keys mean
 * no pushing.
 *
 * @param issuer     the {@code iss} claim: this Firebreak deployment, as receivers know it
 * @param key        the private key signing every SET: RSA of 2048 bits or more (RS256) or EC P-256 (ES256)
 * @param keyId      the {@code kid} header, so receivers pick the right public key; may be null
 * @param receivers  one per {@code receiver.<name>.*} block
 * @param queueLimit revocations waiting to be pushed beyond which new ones are dropped (counted, logged)
 */
public record SecurityEventConfig(String issuer, PrivateKey key, String keyId, List<Receiver> receivers, int queueLimit) {
    public static final String PREFIX = "firebreak.killswitch.caep.";
    public static final String ISSUER = PREFIX + "issuer";
    public static final String KEY_FILE = PREFIX + "signing.key.file";
    public static final String KEY_ENV = PREFIX + "signing.key.env";
    public static final String KEY_ID = PREFIX + "signing.key.id";
    public static final String QUEUE_LIMIT = PREFIX + "queue.limit";
    public static final String RECEIVER = PREFIX + "receiver.";
    /** The keys of one receiver block, after {@code receiver.<name>.}. */
    public static final List<String> RECEIVER_KEYS = List.of("url", "audience", "auth.token.env", "timeout.ms",
            "max.attempts", "backoff.ms");
    private static final Allowed QUEUE_BOUNDS = Allowed.between(1, 1_000_000);
    private static final Allowed TIMEOUT_BOUNDS = Allowed.millis(1, 60_000);
    private static final Allowed ATTEMPTS_BOUNDS = Allowed.between(1, 20);
    private static final Allowed BACKOFF_BOUNDS = Allowed.millis(1, 60_000);

    /** The fixed keys of the CAEP push; setting any key under {@value #PREFIX} switches pushing on. */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(ISSUER, Type.STRING, null, Importance.HIGH, "The iss claim of every Security Event Token: this"
                    + " Firebreak deployment as receivers know it, e.g. https://firebreak.example.com/. Required with pushing.")
            .define(KEY_FILE, Type.STRING, null, Importance.HIGH, "Path of the PKCS#8 PEM private key signing every SET:"
                    + " RSA of 2048+ bits (RS256) or EC P-256 (ES256). Exactly one of " + KEY_FILE + " and " + KEY_ENV + ".")
            .define(KEY_ENV, Type.STRING, null, Importance.HIGH, "Name of an environment variable holding that PEM key.")
            .define(KEY_ID, Type.STRING, null, Importance.LOW, "The kid header, so receivers pick the right public key.")
            .define(QUEUE_LIMIT, Type.INT, 10_000, QUEUE_BOUNDS, Importance.LOW, "Revocations waiting to be pushed beyond"
                    + " which new ones are dropped (counted and logged).");
    /** The keys of one receiver block, relative to {@value #RECEIVER}{@code <name>.}; validated by this class. */
    public static final ConfigDef RECEIVER_BLOCK = new ConfigDef()
            .define("url", Type.STRING, null, Importance.HIGH, "The receiver's RFC 8935 push endpoint: https://..., or"
                    + " http:// only to a loopback host. Required.")
            .define("audience", Type.STRING, null, Importance.MEDIUM, "The aud claim; default: the URL.")
            .define("auth.token.env", Type.STRING, null, Importance.MEDIUM, "Name of an environment variable holding the"
                    + " bearer token the receiver requires; never logged.")
            .define("timeout.ms", Type.LONG, 2_000L, TIMEOUT_BOUNDS, Importance.LOW, "Per attempt (milliseconds).")
            .define("max.attempts", Type.INT, 4, ATTEMPTS_BOUNDS, Importance.LOW, "Attempts per event.")
            .define("backoff.ms", Type.LONG, 200L, BACKOFF_BOUNDS, Importance.LOW, "First retry wait (milliseconds).");
    private static final List<String> KEYS = List.copyOf(CONFIG.names());
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final String ERROR = "invalid kill switch CAEP configuration: ";

    /**
     * One Security Event Token receiver (RFC 8935 push endpoint).
     *
     * @param audience  the {@code aud} claim (defaults to the URL)
     * @param authToken bearer token the receiver requires, or null; never logged
     */
    public record Receiver(String name, URI url, String audience, String authToken, Duration timeout, int maxAttempts,
                           Duration backoff) {
        public Receiver {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(audience, "audience");
        }

        @Override
        public String toString() {
            return "Receiver[" + name + ", url=" + url.getScheme() + "://" + url.getAuthority() + url.getRawPath()
                    + ", audience=" + audience + ", auth=" + (authToken == null ? "none" : "****") + ", timeout=" + timeout
                    + ", maxAttempts=" + maxAttempts + ", backoff=" + backoff + "]";
        }
    }

    public SecurityEventConfig {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(key, "key");
        receivers = List.copyOf(receivers);
    }

    /** RS256 for an RSA key, ES256 for an EC P-256 key (checked when reading). */
    public String algorithm() {
        return key instanceof RSAPrivateKey ? "RS256" : "ES256";
    }

    /** Empty when no key has the prefix. */
    public static Optional<SecurityEventConfig> fromMap(Map<String, String> map) {
        return fromMap(map, System::getenv);
    }

    /**
     * As {@link #fromMap(Map)}, with {@code env} resolving environment variable names.
     *
     * @throws IllegalArgumentException naming every invalid or unknown key and the allowed values
     */
    public static Optional<SecurityEventConfig> fromMap(Map<String, String> map, Function<String, String> env) {
        Map<String, String> raw = new TreeMap<>();
        map.forEach((k, v) -> {
            if (k.startsWith(PREFIX)) {
                raw.put(k, v);
            }
        });
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> block = new TreeMap<>(Settings.resolve(raw));
        List<String> errors = new ArrayList<>();
        Map<String, Map<String, String>> receiverBlocks = receiverBlocks(block, errors);
        String issuer = block.get(ISSUER);
        if (issuer == null || issuer.isBlank()) {
            errors.add(ISSUER + " is required: the iss claim, e.g. https://firebreak.example.com/");
        }
        PrivateKey key = key(block, env, errors);
        if (receiverBlocks.isEmpty()) {
            errors.add("at least one " + RECEIVER + "<name>.url is required");
        }
        List<Receiver> receivers = new ArrayList<>();
        receiverBlocks.forEach((name, keys) -> receiver(name, keys, env, errors).ifPresent(receivers::add));
        long queue = parse(errors, QUEUE_LIMIT, block.get(QUEUE_LIMIT), CONFIG, QUEUE_LIMIT, QUEUE_BOUNDS);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(ERROR + String.join("; ", errors));
        }
        String keyId = block.get(KEY_ID);
        return Optional.of(new SecurityEventConfig(issuer.strip(), key, keyId == null || keyId.isBlank() ? null
                : keyId.strip(), receivers, (int) queue));
    }

    private static Map<String, Map<String, String>> receiverBlocks(Map<String, String> block, List<String> errors) {
        Map<String, Map<String, String>> receivers = new TreeMap<>();
        block.forEach((k, v) -> {
            if (KEYS.contains(k)) {
                return;
            }
            String rest = k.startsWith(RECEIVER) ? k.substring(RECEIVER.length()) : null;
            String key = rest == null ? null : RECEIVER_KEYS.stream()
                    .filter(rk -> rest.endsWith("." + rk) && rest.length() > rk.length() + 1).findFirst().orElse(null);
            String name = key == null ? null : rest.substring(0, rest.length() - key.length() - 1);
            if (key == null || !NAME.matcher(name).matches()) {
                errors.add("unknown key " + k + "; allowed: " + KEYS + ", " + RECEIVER + "<name>.{"
                        + String.join(",", RECEIVER_KEYS) + "} with <name> matching " + NAME.pattern());
                return;
            }
            receivers.computeIfAbsent(name, n -> new TreeMap<>()).put(key, v);
        });
        return receivers;
    }

    private static Optional<Receiver> receiver(String name, Map<String, String> keys, Function<String, String> env,
                                               List<String> errors) {
        String p = RECEIVER + name + ".";
        URI url = url(p + "url", keys.get("url"), errors);
        String token = null;
        String tokenEnv = keys.get("auth.token.env");
        if (tokenEnv != null) {
            token = env.apply(tokenEnv.strip());
            if (token == null || token.isBlank()) {
                errors.add(p + "auth.token.env names environment variable '" + tokenEnv + "', which is not set or empty");
            }
        }
        long timeout = parse(errors, p + "timeout.ms", keys.get("timeout.ms"), RECEIVER_BLOCK, "timeout.ms", TIMEOUT_BOUNDS);
        long attempts = parse(errors, p + "max.attempts", keys.get("max.attempts"), RECEIVER_BLOCK, "max.attempts",
                ATTEMPTS_BOUNDS);
        long backoff = parse(errors, p + "backoff.ms", keys.get("backoff.ms"), RECEIVER_BLOCK, "backoff.ms", BACKOFF_BOUNDS);
        if (url == null) {
            return Optional.empty();
        }
        String audience = keys.getOrDefault("audience", url.toString()).strip();
        return Optional.of(new Receiver(name, url, audience, token, Duration.ofMillis(timeout), (int) attempts,
                Duration.ofMillis(backoff)));
    }

    private static URI url(String key, String value, List<String> errors) {
        if (value == null || value.isBlank()) {
            errors.add(key + " is required: https://..., or http://... to a loopback host");
            return null;
        }
        try {
            URI uri = new URI(value.strip());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
            boolean ok = uri.getHost() != null && uri.getRawUserInfo() == null && (scheme.equals("https")
                    || scheme.equals("http") && WebhookTargetConfig.isLoopback(uri.getHost()));
            if (!ok) {
                // In clear text anyone on the path could read whose sessions were revoked.
                errors.add(key + " must be https://<host>/..., or http:// only to 127.0.0.0/8, [::1] or localhost, "
                        + "without user info (was " + scheme + "://" + uri.getHost() + ")");
                return null;
            }
            return uri;
        } catch (URISyntaxException e) {
            errors.add(key + " is not a valid URL (" + e.getReason() + ")");
            return null;
        }
    }

    private static PrivateKey key(Map<String, String> block, Function<String, String> env, List<String> errors) {
        String file = block.get(KEY_FILE);
        String envName = block.get(KEY_ENV);
        if ((file == null) == (envName == null)) {
            errors.add("exactly one of " + KEY_FILE + " and " + KEY_ENV + " is required (a PKCS#8 PEM private key: "
                    + "RSA 2048+ bits for RS256, or EC P-256 for ES256)");
            return null;
        }
        String pem;
        String source = file != null ? KEY_FILE : KEY_ENV;
        if (file != null) {
            try {
                pem = Files.readString(Path.of(file.strip()), StandardCharsets.US_ASCII);
            } catch (IOException | RuntimeException e) {
                errors.add(KEY_FILE + " cannot be read: " + file + " (" + e.getClass().getSimpleName() + ")");
                return null;
            }
        } else {
            pem = env.apply(envName.strip());
            if (pem == null || pem.isBlank()) {
                errors.add(KEY_ENV + " names environment variable '" + envName + "', which is not set or empty");
                return null;
            }
        }
        try {
            return parsePkcs8(pem);
        } catch (IllegalArgumentException e) {
            errors.add(source + ": " + e.getMessage());
            return null;
        }
    }

    /** A {@code -----BEGIN PRIVATE KEY-----} PEM: RSA of 2048+ bits or EC on P-256; never echoes the key. */
    static PrivateKey parsePkcs8(String pem) {
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int from = pem.indexOf(begin);
        int to = pem.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("not a PKCS#8 PEM private key (expected " + begin + "; convert with "
                    + "openssl pkcs8 -topk8 -nocrypt)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the PEM body is not base64");
        }
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                PrivateKey key = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                if (key instanceof RSAPrivateKey rsa && rsa.getModulus().bitLength() < 2048) {
                    throw new IllegalArgumentException("RSA key has " + rsa.getModulus().bitLength()
                            + " bits; RS256 needs at least 2048");
                }
                if (key instanceof ECPrivateKey ec && ec.getParams().getCurve().getField().getFieldSize() != 256) {
                    throw new IllegalArgumentException("EC key is not on P-256; ES256 needs P-256");
                }
                return key;
            } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("the key is neither RSA nor EC");
    }

    /** The whole number at {@code key}, its default from {@code definition}; problems are collected, not thrown. */
    private static long parse(List<String> errors, String key, String value, ConfigDef definition, String name,
                              Allowed bounds) {
        long dflt = ((Number) definition.configKeys().get(name).defaultValue).longValue();
        if (value == null || value.isBlank()) {
            return dflt;
        }
        try {
            long v = Long.parseLong(value.strip());
            bounds.check(errors, key, v);
            return v;
        } catch (NumberFormatException e) {
            errors.add(key + " must be a whole number, was '" + value + "'");
            return dflt;
        }
    }

    /** The CAEP push's keys and receiver blocks, for {@code Settings.check} and the settings reference. */
    public static final class Definition extends DeclaredSettings {
        public Definition() {
            super("killswitch", "Kill switch: CAEP session-revoked push", CONFIG, Map.of(RECEIVER, "One block per"
                    + " Security Event Token receiver: <name>.{" + String.join(",", RECEIVER_KEYS) + "}, <name> matching "
                    + NAME.pattern() + "; url required; any other key is refused"), Map.of());
        }
    }

    /** Everything but the key and tokens. */
    @Override
    public String toString() {
        return "SecurityEventConfig[issuer=" + issuer + ", key=" + algorithm() + " ****, keyId=" + keyId + ", receivers="
                + receivers + ", queueLimit=" + queueLimit + "]";
    }
}
