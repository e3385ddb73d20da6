package dev.firebreak.schema.signing;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A shared HMAC-SHA256 secret, read from configuration: {@code <key>} holds the secret itself,
 * {@code <key>.env} the name of an environment variable holding it (exactly one of the two). The
 * secret's UTF-8 bytes are the HMAC key. Never printed: {@link #toString()} names only where it came from.
 */
public final class SigningKey {
    /** Suffix of the key naming an environment variable instead of holding the secret. */
    public static final String ENV_SUFFIX = ".env";
    /** At least this many characters; a short secret is a guessable one. */
    public static final int MIN_LENGTH = 32;
    static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;
    private final String source;

    private SigningKey(byte[] secret, String source) {
        this.key = new SecretKeySpec(secret, ALGORITHM);
        this.source = source;
        Arrays.fill(secret, (byte) 0);
    }

    /** A key from the secret itself (tests, programmatic use); at least {@value #MIN_LENGTH} characters. */
    public static SigningKey of(String secret) {
        return of(secret, "a secret given in code");
    }

    private static SigningKey of(String secret, String source) {
        Objects.requireNonNull(secret, "secret");
        if (secret.length() < MIN_LENGTH) {
            throw new IllegalArgumentException(source + " must hold at least " + MIN_LENGTH + " characters, has "
                    + secret.length());
        }
        return new SigningKey(secret.getBytes(StandardCharsets.UTF_8), source);
    }

    /**
     * Reads {@code key} or {@code key + ".env"} from {@code config}, the latter resolved through the
     * process environment; empty when neither is set. Fails, naming the key but never the value, when
     * both are set, the variable is unset or empty, or the secret is shorter than {@value #MIN_LENGTH}.
     */
    public static Optional<SigningKey> fromConfig(Map<String, String> config, String key) {
        return fromConfig(config, key, System::getenv);
    }

    /** As {@link #fromConfig(Map, String)}, with {@code env} resolving environment variable names. */
    public static Optional<SigningKey> fromConfig(Map<String, String> config, String key, Function<String, String> env) {
        String literal = blankToNull(config.get(key));
        String envName = blankToNull(config.get(key + ENV_SUFFIX));
        if (literal != null && envName != null) {
            throw new IllegalArgumentException("set only one of " + key + " and " + key + ENV_SUFFIX);
        }
        if (literal != null) {
            return Optional.of(of(literal, key));
        }
        if (envName == null) {
            return Optional.empty();
        }
        String fromEnv = env.apply(envName.strip());
        if (fromEnv == null || fromEnv.isEmpty()) {
            throw new IllegalArgumentException(key + ENV_SUFFIX + " names environment variable '" + envName.strip()
                    + "', which is not set or empty");
        }
        return Optional.of(of(fromEnv, key + ENV_SUFFIX + " (environment variable " + envName.strip() + ")"));
    }

    /** HMAC-SHA256 of {@code data} under this key. */
    byte[] mac(byte[] data) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(data);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Where the key came from; never the secret. */
    @Override
    public String toString() {
        return "SigningKey[from " + source + ", ****]";
    }
}
