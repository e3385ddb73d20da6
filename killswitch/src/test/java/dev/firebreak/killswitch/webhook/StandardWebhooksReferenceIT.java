package dev.firebreak.killswitch.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.Principal;
import dev.firebreak.killswitch.Revocation;
import dev.firebreak.killswitch.RevokeRequest;
import dev.firebreak.schema.RevocationOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import dev.firebreak.stack.ReferenceNode;
import org.junit.jupiter.api.Test;

/**
 * The kill switch's webhook requests checked by the Standard Webhooks reference library (npm
 * {@code standardwebhooks}, run with node), and the library's signatures checked by ours: a
 * receiver using any conforming library accepts what Firebreak sends.
 */
class StandardWebhooksReferenceIT {
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw6B+eVVk8gFg=";
    private static final Principal TARGET = Principal.parse("token:railway/tok_agent_7");

    @Test
    void theReferenceLibraryVerifiesWhatTheRevokerSends() throws Exception {
        TokenService.Received sent = revokeOnce();

        assertThat(referenceVerify(SECRET, sent.headers(), sent.body())).isEqualTo("VALID");
    }

    @Test
    void theReferenceLibraryRejectsATamperedBodyOrAnotherSecret() throws Exception {
        TokenService.Received sent = revokeOnce();

        String tampered = sent.body().replace("tok_agent_7", "tok_agent_8");
        assertThat(referenceVerify(SECRET, sent.headers(), tampered)).startsWith("INVALID");
        String otherSecret = "whsec_" + Base64.getEncoder().encodeToString("another-issuers-key-0123456789".getBytes(
                StandardCharsets.US_ASCII));
        assertThat(referenceVerify(otherSecret, sent.headers(), sent.body())).startsWith("INVALID");
    }

    @Test
    void ourVerifierAcceptsTheReferenceLibrarysSignatureAndWeSignIdentically() throws Exception {
        long now = Instant.now().getEpochSecond();
        byte[] body = "{\"action\":\"revoke\",\"token_id\":\"tok_123\"}".getBytes(StandardCharsets.UTF_8);
        ReferenceNode.Run signed = ReferenceNode.run("standard-webhooks.js", Map.of("mode", "sign", "secret", SECRET,
                "id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "timestamp", now,
                "body_base64", Base64.getEncoder().encodeToString(body)));
        assertThat(signed.exitCode()).isZero();

        assertThat(StandardWebhookSignature.sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", now, body)).isEqualTo(signed.out());
        assertThat(StandardWebhookSignature.verify(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", Long.toString(now),
                "v1,bm90LWl0 " + signed.out(), body, Instant.now(), Duration.ofMinutes(5)).valid()).isTrue();
    }

    private static TokenService.Received revokeOnce() throws Exception {
        try (TokenService issuer = new TokenService(SECRET)) {
            issuer.put("tok_agent_7", new TokenService.Token(true, List.of("volumes:write"), null));
            Map<String, String> blocks = new HashMap<>();
            blocks.put("firebreak.killswitch.webhook.railway.url", issuer.url().toString());
            blocks.put("firebreak.killswitch.webhook.railway.secret", SECRET);
            WebhookRevoker revoker = WebhookRevoker.fromConfig(blocks).get(0);
            Revocation r = revoker.revoke(TARGET, RevokeRequest.of("cmd-std-1", List.of(), false, Duration.ofSeconds(10)));
            assertThat(r.outcome()).isEqualTo(RevocationOutcome.REVOKED);
            return issuer.received().get(0);
        }
    }

    private static String referenceVerify(String secret, Map<String, String> headers, String body) throws Exception {
        return ReferenceNode.run("standard-webhooks.js", Map.of("mode", "verify", "secret", secret, "headers", headers,
                "body_base64", Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8)))).out();
    }
}
