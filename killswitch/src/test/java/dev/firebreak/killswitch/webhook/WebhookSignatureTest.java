package dev.firebreak.killswitch.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.Principal;
import dev.firebreak.killswitch.webhook.WebhookSignature.Verification;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {
    private static final String SECRET = "whsec-test-secret-0123456789";
    private static final long TS = 1_700_000_000L;
    private static final byte[] BODY = "{\"action\":\"revoke\",\"token_id\":\"tok_123\"}".getBytes(StandardCharsets.UTF_8);
    /**
     * Computed independently:
     * {@code printf '%s' '1700000000.{"action":"revoke","token_id":"tok_123"}' | openssl dgst -sha256 -hmac 'whsec-test-secret-0123456789'}.
     */
    private static final String KNOWN = "v1=049d1987e6c8c81dc6f6000610fc33fc6da737b5312414dc2984da4a7a266d0b";
    private static final Instant NOW = Instant.ofEpochSecond(TS + 30);
    private static final Duration SKEW = Duration.ofMinutes(5);

    @Test
    void signMatchesAnIndependentlyComputedVector() {
        assertThat(WebhookSignature.sign(SECRET, TS, BODY)).isEqualTo(KNOWN);
    }

    @Test
    void aCorrectSignatureWithinTheSkewVerifies() {
        assertThat(verify(SECRET, Long.toString(TS), KNOWN, BODY, NOW)).isEqualTo(Verification.VALID);
        assertThat(verify(SECRET, Long.toString(TS), KNOWN, BODY, Instant.ofEpochSecond(TS - 300))).isEqualTo(Verification.VALID);
    }

    @Test
    void anyChangeToBodySecretOrTimestampIsAMismatch() {
        byte[] tampered = "{\"action\":\"revoke\",\"token_id\":\"tok_124\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(verify(SECRET, Long.toString(TS), KNOWN, tampered, NOW)).isEqualTo(Verification.MISMATCH);
        assertThat(verify(SECRET + "x", Long.toString(TS), KNOWN, BODY, NOW)).isEqualTo(Verification.MISMATCH);
        // The timestamp is inside the MAC: moving it forward to look fresh breaks the signature.
        assertThat(verify(SECRET, Long.toString(TS + 1), KNOWN, BODY, NOW)).isEqualTo(Verification.MISMATCH);
    }

    @Test
    void aCapturedRequestReplayedLaterIsStale() {
        assertThat(verify(SECRET, Long.toString(TS), KNOWN, BODY, Instant.ofEpochSecond(TS + 301))).isEqualTo(Verification.STALE);
        assertThat(verify(SECRET, Long.toString(TS), KNOWN, BODY, Instant.ofEpochSecond(TS - 301))).isEqualTo(Verification.STALE);
    }

    @Test
    void missingAndMalformedHeadersAreNamed() {
        assertThat(verify(SECRET, null, KNOWN, BODY, NOW)).isEqualTo(Verification.MISSING);
        assertThat(verify(SECRET, Long.toString(TS), null, BODY, NOW)).isEqualTo(Verification.MISSING);
        assertThat(verify(SECRET, "yesterday", KNOWN, BODY, NOW)).isEqualTo(Verification.MALFORMED);
        assertThat(verify(SECRET, Long.toString(TS), KNOWN.replace("v1=", "v2="), BODY, NOW)).isEqualTo(Verification.MALFORMED);
        assertThat(verify(SECRET, Long.toString(TS), "v1=zz", BODY, NOW)).isEqualTo(Verification.MALFORMED);
        assertThat(verify(SECRET, Long.toString(TS), KNOWN.substring(0, 41), BODY, NOW)).isEqualTo(Verification.MISMATCH);
        assertThat(Verification.MISMATCH.valid()).isFalse();
    }

    @Test
    void idempotencyKeyMatchesAnIndependentlyComputedVector() {
        // printf '%s' $'cmd-1\ntoken:railway/tok_123\nrevoke' | sha256sum
        assertThat(WebhookRevoker.idempotencyKey("cmd-1", Principal.parse("token:railway/tok_123"), "revoke"))
                .isEqualTo("e132ba4491d094d7a50784c16788075c16b7d0b90fb368e6f8893fc3f2c4740e");
        assertThat(WebhookRevoker.idempotencyKey("cmd-1", Principal.parse("token:railway/tok_123"), "reinstate"))
                .isNotEqualTo("e132ba4491d094d7a50784c16788075c16b7d0b90fb368e6f8893fc3f2c4740e");
    }

    private static Verification verify(String secret, String ts, String sig, byte[] body, Instant now) {
        return WebhookSignature.verify(secret, ts, sig, body, now, SKEW);
    }
}
