package dev.firebreak.killswitch.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies kill switch webhook requests; the sender ({@link WebhookRevoker}) and receivers
 * share this class so both sides compute the MAC the same way.
 *
 * <p>Scheme {@value #VERSION}: {@code X-Firebreak-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>}
 * with {@code X-Firebreak-Timestamp: <epoch seconds>}. The timestamp is inside the MAC, so a captured
 * request cannot be replayed once it falls outside the receiver's clock-skew window.
 */
public final class WebhookSignature {
    /** Header carrying the epoch seconds the request was signed at. */
    public static final String TIMESTAMP_HEADER = "X-Firebreak-Timestamp";
    /** Header carrying {@code v1=<hex mac>}. */
    public static final String SIGNATURE_HEADER = "X-Firebreak-Signature";
    /** The scheme version prefix of the signature header value. */
    public static final String VERSION = "v1";
    /** A sensible receiver default for the allowed clock difference. */
    public static final Duration DEFAULT_MAX_SKEW = Duration.ofMinutes(5);

    private static final String ALGORITHM = "HmacSHA256";
    private static final HexFormat HEX = HexFormat.of();

    /** Why a request was accepted or not; receivers answer 401 for anything but {@link #VALID}. */
    public enum Verification {
        VALID, MISSING, MALFORMED, STALE, MISMATCH;

        public boolean valid() {
            return this == VALID;
        }
    }

    private WebhookSignature() {
    }

    /** The value of {@value #SIGNATURE_HEADER} for {@code body} signed at {@code epochSeconds}. */
    public static String sign(String secret, long epochSeconds, byte[] body) {
        return VERSION + "=" + HEX.formatHex(mac(secret, epochSeconds, body));
    }

    /**
     * Checks a received request: the timestamp must be within {@code maxSkew} of {@code now} (either
     * direction) and the MAC must match, compared in constant time.
     *
     * @param timestampHeader value of {@value #TIMESTAMP_HEADER}, may be null
     * @param signatureHeader value of {@value #SIGNATURE_HEADER}, may be null
     * @param body            the raw request body bytes, exactly as received
     */
    public static Verification verify(String secret, String timestampHeader, String signatureHeader, byte[] body,
                                      Instant now, Duration maxSkew) {
        Objects.requireNonNull(body, "body");
        if (timestampHeader == null || signatureHeader == null) {
            return Verification.MISSING;
        }
        long timestamp;
        byte[] given;
        try {
            timestamp = Long.parseLong(timestampHeader.strip());
            String prefix = VERSION + "=";
            if (!signatureHeader.startsWith(prefix)) {
                return Verification.MALFORMED;
            }
            given = HEX.parseHex(signatureHeader.substring(prefix.length()).strip());
        } catch (IllegalArgumentException e) {
            return Verification.MALFORMED;
        }
        if (Math.abs(now.getEpochSecond() - timestamp) > maxSkew.toSeconds()) {
            return Verification.STALE;
        }
        // MessageDigest.isEqual does not stop at the first differing byte.
        return MessageDigest.isEqual(mac(secret, timestamp, body), given) ? Verification.VALID : Verification.MISMATCH;
    }

    private static byte[] mac(String secret, long epochSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM));
            mac.update((epochSeconds + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            // Every Java SE runtime ships HmacSHA256; reaching this is a broken JVM, not bad input.
            throw new IllegalStateException(ALGORITHM + " unavailable", e);
        }
    }
}
