package dev.firebreak.killswitch.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies webhook requests per the Standard Webhooks specification
 * (standardwebhooks.com, version 1): headers {@value #ID_HEADER}, {@value #TIMESTAMP_HEADER} (epoch
 * seconds) and {@value #SIGNATURE_HEADER} {@code v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>},
 * where the key is the base64-decoded part of a {@code whsec_...} secret.
 *
 * <p>Receivers can therefore verify with any Standard Webhooks library (the reference ones exist for
 * JavaScript, Python, Go, Java, Ruby, PHP, Rust, C#...) instead of code written for Firebreak. The
 * message id is inside the MAC, so a receiver that remembers ids also rejects replays within the skew window.
 */
public final class StandardWebhookSignature {
    /** Unique per message and identical on its retries: receivers deduplicate on it. */
    public static final String ID_HEADER = "webhook-id";
    /** Epoch seconds of this attempt. */
    public static final String TIMESTAMP_HEADER = "webhook-timestamp";
    /** Space-separated {@code v1,<base64>} signatures (one from Firebreak; receivers accept any match). */
    public static final String SIGNATURE_HEADER = "webhook-signature";
    /** The prefix of a Standard Webhooks secret. */
    public static final String SECRET_PREFIX = "whsec_";
    /** The specification's key size bounds (bytes after base64 decoding). */
    public static final int MIN_KEY_BYTES = 24;
    public static final int MAX_KEY_BYTES = 64;

    private static final String ALGORITHM = "HmacSHA256";
    private static final String VERSION = "v1";

    private StandardWebhookSignature() {
    }

    /**
     * Why {@code secret} is not a usable Standard Webhooks secret, or null when it is: {@code whsec_}
     * followed by standard base64 of {@value #MIN_KEY_BYTES}..{@value #MAX_KEY_BYTES} random bytes.
     * Never echoes the secret.
     */
    public static String secretProblem(String secret) {
        if (secret == null || !secret.startsWith(SECRET_PREFIX)) {
            return "must be a Standard Webhooks secret: " + SECRET_PREFIX + "<base64 of " + MIN_KEY_BYTES + ".."
                    + MAX_KEY_BYTES + " random bytes>";
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return "must be " + SECRET_PREFIX + " followed by standard base64; the part after the prefix is not base64";
        }
        if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
            return "must decode to " + MIN_KEY_BYTES + ".." + MAX_KEY_BYTES + " bytes after " + SECRET_PREFIX
                    + ", decodes to " + key.length;
        }
        return null;
    }

    /** The value of {@value #SIGNATURE_HEADER}: {@code v1,<base64 mac>}. */
    public static String sign(String secret, String messageId, long epochSeconds, byte[] body) {
        return VERSION + "," + Base64.getEncoder().encodeToString(mac(secret, messageId, epochSeconds, body));
    }

    /**
     * Checks a received request as a Standard Webhooks receiver does: all three headers present, the
     * timestamp within {@code maxSkew} of {@code now}, and one of the space-separated {@code v1,...}
     * signatures matching (compared in constant time). Signatures of other versions are ignored.
     */
    public static WebhookSignature.Verification verify(String secret, String idHeader, String timestampHeader,
                                                       String signatureHeader, byte[] body, Instant now, Duration maxSkew) {
        Objects.requireNonNull(body, "body");
        if (idHeader == null || timestampHeader == null || signatureHeader == null) {
            return WebhookSignature.Verification.MISSING;
        }
        long timestamp;
        try {
            timestamp = Long.parseLong(timestampHeader.strip());
        } catch (NumberFormatException e) {
            return WebhookSignature.Verification.MALFORMED;
        }
        if (Math.abs(now.getEpochSecond() - timestamp) > maxSkew.toSeconds()) {
            return WebhookSignature.Verification.STALE;
        }
        byte[] expected = mac(secret, idHeader, timestamp, body);
        boolean sawV1 = false;
        for (String candidate : signatureHeader.strip().split(" +")) {
            int comma = candidate.indexOf(',');
            if (comma < 0 || !candidate.substring(0, comma).equals(VERSION)) {
                continue;
            }
            sawV1 = true;
            try {
                if (MessageDigest.isEqual(expected, Base64.getDecoder().decode(candidate.substring(comma + 1)))) {
                    return WebhookSignature.Verification.VALID;
                }
            } catch (IllegalArgumentException notBase64) {
                // one bad entry does not hide a good one further on
            }
        }
        return sawV1 ? WebhookSignature.Verification.MISMATCH : WebhookSignature.Verification.MALFORMED;
    }

    private static byte[] mac(String secret, String messageId, long epochSeconds, byte[] body) {
        String problem = secretProblem(secret);
        if (problem != null) {
            throw new IllegalArgumentException("webhook secret " + problem);
        }
        byte[] key = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            mac.update((messageId + "." + epochSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(ALGORITHM + " unavailable", e);
        }
    }
}
