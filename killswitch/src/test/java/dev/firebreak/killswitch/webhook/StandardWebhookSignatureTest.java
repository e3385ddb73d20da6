package dev.firebreak.killswitch.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.killswitch.webhook.WebhookSignature.Verification;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StandardWebhookSignatureTest {
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw6B+eVVk8gFg=";
    private static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long TS = 1_614_265_330L;
    private static final byte[] BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    /** Computed by the reference library: {@code new Webhook(SECRET).sign(ID, new Date(TS * 1000), BODY)} (npm standardwebhooks 1.3.0). */
    private static final String KNOWN = "v1,TYF1XZO5g+Uo/TjG/itev7udARmnJzqZlRayodGP3LM=";
    private static final Instant NOW = Instant.ofEpochSecond(TS + 10);
    private static final Duration SKEW = Duration.ofMinutes(5);

    @Test
    void signMatchesTheReferenceLibrarysVector() {
        assertThat(StandardWebhookSignature.sign(SECRET, ID, TS, BODY)).isEqualTo(KNOWN);
    }

    @Test
    void verifyAcceptsAnyMatchingV1EntryAndIgnoresOtherVersions() {
        assertThat(verify(ID, Long.toString(TS), KNOWN)).isEqualTo(Verification.VALID);
        assertThat(verify(ID, Long.toString(TS), "v1a,abc v1,AAAA " + KNOWN)).isEqualTo(Verification.VALID);
    }

    @Test
    void theIdTimestampAndBodyAreAllInsideTheMac() {
        assertThat(verify("msg_other", Long.toString(TS), KNOWN)).isEqualTo(Verification.MISMATCH);
        assertThat(verify(ID, Long.toString(TS + 1), KNOWN)).isEqualTo(Verification.MISMATCH);
        assertThat(StandardWebhookSignature.verify(SECRET, ID, Long.toString(TS), KNOWN,
                "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8), NOW, SKEW)).isEqualTo(Verification.MISMATCH);
    }

    @Test
    void staleMissingAndMalformedAreNamed() {
        assertThat(StandardWebhookSignature.verify(SECRET, ID, Long.toString(TS), KNOWN, BODY,
                Instant.ofEpochSecond(TS + 301), SKEW)).isEqualTo(Verification.STALE);
        assertThat(verify(null, Long.toString(TS), KNOWN)).isEqualTo(Verification.MISSING);
        assertThat(verify(ID, "soon", KNOWN)).isEqualTo(Verification.MALFORMED);
        assertThat(verify(ID, Long.toString(TS), "v2,abc")).isEqualTo(Verification.MALFORMED);
    }

    @Test
    void secretsOutsideTheSpecificationAreRefusedWithoutEchoingThem() {
        assertThat(StandardWebhookSignature.secretProblem(SECRET)).isNull();
        assertThat(StandardWebhookSignature.secretProblem("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw6B+eVVk8gFg="))
                .contains("whsec_").doesNotContain("MfKQ");
        assertThat(StandardWebhookSignature.secretProblem("whsec_c2hvcnQ=")).contains("decodes to 5");
        assertThat(StandardWebhookSignature.secretProblem("whsec_***")).contains("not base64");
    }

    private static Verification verify(String id, String ts, String signature) {
        return StandardWebhookSignature.verify(SECRET, id, ts, signature, BODY, NOW, SKEW);
    }
}
