package dev.firebreak.schema.registry;

import dev.firebreak.config.Allowed;
import dev.firebreak.config.DeclaredSettings;
import dev.firebreak.config.Typed;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * How every stage of this process talks to the schema registry, beyond its URL: HTTP basic auth,
 * the truststore for an {@code https://} registry whose certificate the JVM's default trust does
 * not cover, and the compatibility level set on every subject the pipeline writes. Shared by every
 * service ({@code firebreak.schema.registry.*}, like {@code firebreak.metrics.*}) because the
 * registry is one per deployment. Validated when built: a bad value fails start-up naming the key.
 *
 * <p>Secrets are never written in the properties file: the password comes from a file
 * ({@code ...password.file}, e.g. a mounted secret) or an environment variable ({@code ...password.env}),
 * exactly one of the two. {@link #toString()} never shows it.
 *
 * @param user               basic auth user; empty for none
 * @param password           basic auth password; null without a user
 * @param sslContext         trust for https, from the truststore; empty for the JVM's default trust
 * @param truststore         where {@code sslContext} came from, for messages
 * @param compatibility      the level set on every subject before its first registration
 */
public record RegistryClientConfig(Optional<String> user, String password, Optional<SSLContext> sslContext,
                                   Optional<Path> truststore, Compatibility compatibility) {
    public static final String PREFIX = "firebreak.schema.registry.";
    public static final String USER = PREFIX + "basic.auth.user";
    public static final String PASSWORD_FILE = PREFIX + "basic.auth.password.file";
    public static final String PASSWORD_ENV = PREFIX + "basic.auth.password.env";
    public static final String TRUSTSTORE_LOCATION = PREFIX + "ssl.truststore.location";
    public static final String TRUSTSTORE_TYPE = PREFIX + "ssl.truststore.type";
    public static final String TRUSTSTORE_PASSWORD_FILE = PREFIX + "ssl.truststore.password.file";
    public static final String TRUSTSTORE_PASSWORD_ENV = PREFIX + "ssl.truststore.password.env";
    public static final String COMPATIBILITY = PREFIX + "compatibility";
    private static final Set<String> TRUSTSTORE_TYPES = Set.of("PKCS12", "JKS");

    /**
     * The Confluent compatibility levels ({@code PUT /config/{subject}}). The pipeline's default is
     * {@link #BACKWARD_TRANSITIVE}: a consumer with the newest schema must read every record still in
     * Kafka, written by any earlier release, not only by the one before.
     */
    public enum Compatibility { BACKWARD_TRANSITIVE, BACKWARD, FULL_TRANSITIVE, FULL, FORWARD_TRANSITIVE, FORWARD, NONE }

    /** Every key, typed and documented; relations between keys are checked in {@link #fromMap}. */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(USER, Type.STRING, null, Importance.MEDIUM,
                    "HTTP basic auth user for the schema registry; unset for none. Needs a password (" + PASSWORD_FILE
                            + " or " + PASSWORD_ENV + ").")
            .define(PASSWORD_FILE, Type.STRING, null, Importance.MEDIUM,
                    "A file holding the basic auth password (a mounted secret); trailing whitespace dropped."
                            + " Exactly one of this and " + PASSWORD_ENV + " with a user.")
            .define(PASSWORD_ENV, Type.STRING, null, Importance.MEDIUM,
                    "The name of an environment variable holding the basic auth password.")
            .define(TRUSTSTORE_LOCATION, Type.STRING, null, Importance.MEDIUM,
                    "Truststore for an https:// registry whose certificate the JVM's default trust does not cover;"
                            + " unset: the JVM's default trust.")
            .define(TRUSTSTORE_TYPE, Type.STRING, null, Allowed.of("PKCS12, JKS (any case; unset: PKCS12)",
                            v -> TRUSTSTORE_TYPES.contains(v.toString().toUpperCase(Locale.ROOT)))
                            .saying((k, v) -> k + " must be one of " + new TreeSet<>(TRUSTSTORE_TYPES) + ", was '" + v + "'"),
                    Importance.LOW, "The truststore's format.")
            .define(TRUSTSTORE_PASSWORD_FILE, Type.STRING, null, Importance.LOW,
                    "A file holding the truststore's password, if it has one.")
            .define(TRUSTSTORE_PASSWORD_ENV, Type.STRING, null, Importance.LOW,
                    "The name of an environment variable holding the truststore's password.")
            .define(COMPATIBILITY, Type.STRING, null, Allowed.of(String.join(", ", names()) + " (any case; unset: "
                                    + Compatibility.BACKWARD_TRANSITIVE + ")", v -> names().contains(v.toString().toUpperCase(Locale.ROOT)))
                            .saying((k, v) -> k + " must be one of " + List.of(Compatibility.values()) + ", was '" + v + "'"),
                    Importance.LOW, "The compatibility level set on every subject the pipeline writes, before its first"
                            + " schema. BACKWARD_TRANSITIVE: a consumer with the newest schema reads every record still in"
                            + " Kafka, written by any earlier release.");
    private static final Set<String> KEYS = CONFIG.names();

    /** The registry client's settings, shared by every stage. */
    public static final class Definition extends DeclaredSettings {
        public Definition() {
            super("shared", "Schema registry client", CONFIG);
        }
    }

    private static List<String> names() {
        return java.util.Arrays.stream(Compatibility.values()).map(Enum::name).toList();
    }

    /** No auth, default trust, BACKWARD_TRANSITIVE: what a process gets without {@code firebreak.schema.registry.*}. */
    public static final RegistryClientConfig DEFAULT = new RegistryClientConfig(Optional.empty(), null, Optional.empty(),
            Optional.empty(), Compatibility.BACKWARD_TRANSITIVE);

    public RegistryClientConfig {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(sslContext, "sslContext");
        Objects.requireNonNull(truststore, "truststore");
        Objects.requireNonNull(compatibility, "compatibility");
        if (user.isPresent() != (password != null)) {
            throw new IllegalArgumentException("basic auth needs both a user and a password");
        }
    }

    /** Reads {@code firebreak.schema.registry.*} from {@code map}; environment variables from the process. */
    public static RegistryClientConfig fromMap(Map<String, String> map) {
        return fromMap(map, System::getenv);
    }

    /**
     * As {@link #fromMap(Map)}, with {@code env} resolving environment variable names.
     *
     * @throws IllegalArgumentException naming every bad key and what is allowed; never a secret's value
     */
    public static RegistryClientConfig fromMap(Map<String, String> map, Function<String, String> env) {
        List<String> errors = new ArrayList<>();
        map.keySet().stream().filter(k -> k.startsWith(PREFIX) && !KEYS.contains(k)).sorted()
                .forEach(k -> errors.add("unknown key " + k + "; allowed: " + new TreeSet<>(KEYS)));
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid schema registry client configuration: " + String.join("; ", errors));
        }
        map = strings(Typed.parse(CONFIG, map));
        Optional<String> user = Optional.ofNullable(blankToNull(map.get(USER))).map(String::strip);
        String password = secret(map, PASSWORD_FILE, PASSWORD_ENV, env, errors);
        if (user.isPresent() && password == null) {
            errors.add(USER + " is set but neither " + PASSWORD_FILE + " nor " + PASSWORD_ENV);
        } else if (user.isEmpty() && password != null) {
            errors.add(PASSWORD_FILE + "/" + PASSWORD_ENV + " is set but " + USER + " is not");
            password = null;
        }
        if (user.isPresent() && user.get().contains(":")) {
            errors.add(USER + " must not contain ':' (HTTP basic auth separates user and password with it)");
        }
        Optional<Path> truststore = Optional.ofNullable(blankToNull(map.get(TRUSTSTORE_LOCATION))).map(s -> Path.of(s.strip()));
        String storePassword = secret(map, TRUSTSTORE_PASSWORD_FILE, TRUSTSTORE_PASSWORD_ENV, env, errors);
        String type = Optional.ofNullable(blankToNull(map.get(TRUSTSTORE_TYPE))).map(s -> s.strip().toUpperCase(Locale.ROOT))
                .orElse("PKCS12");
        if (!TRUSTSTORE_TYPES.contains(type)) {
            errors.add(TRUSTSTORE_TYPE + " must be one of " + new TreeSet<>(TRUSTSTORE_TYPES) + ", was '" + map.get(TRUSTSTORE_TYPE) + "'");
        }
        Optional<SSLContext> ssl = Optional.empty();
        if (truststore.isPresent() && errors.isEmpty()) {
            ssl = Optional.ofNullable(sslContext(truststore.get(), type, storePassword, errors));
        } else if (truststore.isEmpty() && (storePassword != null || map.containsKey(TRUSTSTORE_TYPE))) {
            errors.add(TRUSTSTORE_TYPE + "/" + TRUSTSTORE_PASSWORD_FILE + "/" + TRUSTSTORE_PASSWORD_ENV + " need "
                    + TRUSTSTORE_LOCATION);
        }
        Compatibility compatibility = compatibility(map.get(COMPATIBILITY), errors);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid schema registry client configuration: " + String.join("; ", errors));
        }
        return new RegistryClientConfig(user, password, ssl, truststore, compatibility);
    }

    private static Compatibility compatibility(String value, List<String> errors) {
        if (blankToNull(value) == null) {
            return Compatibility.BACKWARD_TRANSITIVE;
        }
        try {
            return Compatibility.valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            errors.add(COMPATIBILITY + " must be one of " + List.of(Compatibility.values()) + ", was '" + value + "'");
            return Compatibility.BACKWARD_TRANSITIVE;
        }
    }

    /** The secret from a file (trailing newline dropped) or an environment variable; null when neither key is set. */
    private static String secret(Map<String, String> map, String fileKey, String envKey, Function<String, String> env,
                                 List<String> errors) {
        String file = blankToNull(map.get(fileKey));
        String envName = blankToNull(map.get(envKey));
        if (file != null && envName != null) {
            errors.add("set only one of " + fileKey + " and " + envKey);
            return null;
        }
        if (file != null) {
            try {
                String text = Files.readString(Path.of(file.strip()), StandardCharsets.UTF_8).strip();
                if (text.isEmpty()) {
                    errors.add(fileKey + " names " + file.strip() + ", which is empty");
                }
                return text;
            } catch (IOException | RuntimeException e) {
                errors.add(fileKey + " names " + file.strip() + ", which cannot be read (" + e.getClass().getSimpleName() + ")");
                return null;
            }
        }
        if (envName != null) {
            String value = env.apply(envName.strip());
            if (value == null || value.isEmpty()) {
                errors.add(envKey + " names environment variable '" + envName.strip() + "', which is not set or empty");
                return null;
            }
            return value;
        }
        return null;
    }

    private static SSLContext sslContext(Path location, String type, String password, List<String> errors) {
        try (InputStream in = Files.newInputStream(location)) {
            KeyStore store = KeyStore.getInstance(type);
            store.load(in, password == null ? null : password.toCharArray());
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            // The exception's message never holds the password; it says whether the file or its password is wrong.
            errors.add(TRUSTSTORE_LOCATION + " " + location + " cannot be loaded as " + type + ": " + e.getMessage());
            return null;
        }
    }

    /** The parsed values, as the strings the checks below read; unset keys are absent. */
    private static Map<String, String> strings(AbstractConfig parsed) {
        Map<String, String> out = new java.util.HashMap<>();
        for (String key : KEYS) {
            String value = parsed.getString(key);
            if (value != null) {
                out.put(key, value);
            }
        }
        return out;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Never the password. */
    @Override
    public String toString() {
        return "RegistryClientConfig[user=" + user.orElse("(none)") + ", password=" + (password == null ? "(none)" : "****")
                + ", truststore=" + truststore.map(Path::toString).orElse("(JVM default)")
                + ", compatibility=" + compatibility + "]";
    }
}
