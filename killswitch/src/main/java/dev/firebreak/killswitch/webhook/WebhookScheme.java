package dev.firebreak.killswitch.webhook;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * How the kill switch signs its webhook requests, per issuer ({@code signature.scheme}).
 *
 * <p>{@link #STANDARD_WEBHOOKS} is the default: an issuer can verify it with an off-the-shelf Standard
 * Webhooks library in its own language. {@link #FIREBREAK_V1} is the scheme Firebreak used before,
 * kept so receivers built against it keep working until they move.
 */
public enum WebhookScheme {
    /** {@code webhook-id}, {@code webhook-timestamp}, {@code webhook-signature: v1,<base64>}; secret {@code whsec_...}. */
    STANDARD_WEBHOOKS("standard-webhooks"),
    /** {@code X-Firebreak-Timestamp}, {@code X-Firebreak-Signature: v1=<hex>}; any secret of 16+ characters. */
    FIREBREAK_V1("firebreak-v1");

    /** The value of the config key. */
    public final String wire;

    WebhookScheme(String wire) {
        this.wire = wire;
    }

    /** The allowed config values, comma-separated, for error messages. */
    public static String allowed() {
        return Arrays.stream(values()).map(s -> s.wire).collect(Collectors.joining(", "));
    }

    /** @throws IllegalArgumentException naming {@code key} and the allowed values */
    public static WebhookScheme parse(String key, String value) {
        if (value == null || value.isBlank()) {
            return STANDARD_WEBHOOKS;
        }
        String v = value.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(s -> s.wire.equals(v)).findFirst().orElseThrow(() ->
                new IllegalArgumentException(key + " must be one of " + allowed() + ", was '" + value + "'"));
    }

    /** Why {@code secret} does not suit this scheme (never echoing it), or null. */
    public String secretProblem(String secret, int minLength) {
        if (this == STANDARD_WEBHOOKS) {
            return StandardWebhookSignature.secretProblem(secret);
        }
        return secret.length() < minLength ? "must be at least " + minLength + " characters, was " + secret.length() : null;
    }

    /**
     * The signature headers of one attempt, in sending order.
     *
     * @param messageId the same for every retry of one message (the idempotency key)
     */
    public Map<String, String> headers(String secret, String messageId, long epochSeconds, byte[] body) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (this == STANDARD_WEBHOOKS) {
            headers.put(StandardWebhookSignature.ID_HEADER, messageId);
            headers.put(StandardWebhookSignature.TIMESTAMP_HEADER, Long.toString(epochSeconds));
            headers.put(StandardWebhookSignature.SIGNATURE_HEADER,
                    StandardWebhookSignature.sign(secret, messageId, epochSeconds, body));
        } else {
            headers.put(WebhookSignature.TIMESTAMP_HEADER, Long.toString(epochSeconds));
            headers.put(WebhookSignature.SIGNATURE_HEADER, WebhookSignature.sign(secret, epochSeconds, body));
        }
        return headers;
    }

    /** Verifies a received request; {@code header} looks a request header up by name (null when absent). */
    public WebhookSignature.Verification verify(String secret, UnaryOperator<String> header, byte[] body, Instant now,
                                                Duration maxSkew) {
        if (this == STANDARD_WEBHOOKS) {
            return StandardWebhookSignature.verify(secret, header.apply(StandardWebhookSignature.ID_HEADER),
                    header.apply(StandardWebhookSignature.TIMESTAMP_HEADER),
                    header.apply(StandardWebhookSignature.SIGNATURE_HEADER), body, now, maxSkew);
        }
        return WebhookSignature.verify(secret, header.apply(WebhookSignature.TIMESTAMP_HEADER),
                header.apply(WebhookSignature.SIGNATURE_HEADER), body, now, maxSkew);
    }
}
