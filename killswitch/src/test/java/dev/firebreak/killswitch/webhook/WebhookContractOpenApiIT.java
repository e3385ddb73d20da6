package dev.firebreak.killswitch.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.Principal;
import dev.firebreak.killswitch.ReinstateRequest;
import dev.firebreak.killswitch.Revocation;
import dev.firebreak.killswitch.RevokeRequest;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.stack.OpenApiContract;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/openapi/killswitch-webhook.yaml against the real sender: valid OpenAPI 3.1 for the
 * specification's schema (reference validator on npm), and every request {@link WebhookRevoker}
 * sends, revoke and reinstate, in both signature schemes, conforms to it (headers and body).
 */
class WebhookContractOpenApiIT {
    private static final String OPERATION = "/webhooks/tokenAction/post";
    private static final String STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw6B+eVVk8gFg=";
    private static final String LEGACY_SECRET = "railway-hook-secret-6f1c2a9e";
    private static final Principal TARGET = Principal.parse("token:railway/tok_agent_7");
    private static OpenApiContract contract;

    @BeforeAll
    static void load() throws Exception {
        contract = OpenApiContract.load("killswitch-webhook.yaml");
    }

    @Test
    void theDocumentIsValidOpenApi31() throws Exception {
        assertThat(contract.documentProblems()).isEmpty();
    }

    @Test
    void revokeAndReinstateRequestsConformInBothSchemes() throws Exception {
        for (WebhookScheme scheme : WebhookScheme.values()) {
            String secret = scheme == WebhookScheme.STANDARD_WEBHOOKS ? STANDARD_SECRET : LEGACY_SECRET;
            try (TokenService issuer = new TokenService(secret, scheme)) {
                issuer.put("tok_agent_7", new TokenService.Token(true, List.of("volumes:write"), "2027-01-01T00:00:00Z"));
                WebhookRevoker revoker = WebhookRevoker.fromConfig(blocks(issuer, secret, scheme)).get(0);
                Revocation revoked = revoker.revoke(TARGET, RevokeRequest.of("cmd-1", List.of(), false, Duration.ofSeconds(10)));
                assertThat(revoked.outcome()).isEqualTo(RevocationOutcome.REVOKED);
                Revocation back = revoker.reinstate(TARGET, ReinstateRequest.of("re-1", revoked.previousState(), "alice",
                        "CHG-1234", false, Duration.ofSeconds(10)));
                assertThat(back.outcome()).isEqualTo(RevocationOutcome.REINSTATED);

                assertThat(issuer.received()).hasSize(2).allSatisfy(sent -> {
                    assertThat(contract.requestProblems(OPERATION, sent.contentType(), sent.body())).as(sent.body()).isEmpty();
                    assertThat(contract.headerProblems(OPERATION, sent.headers())).as(scheme.wire).isEmpty();
                });
            }
        }
    }

    @Test
    void theIssuersAnswersThatTheRevokerAcceptsConform() {
        for (String answer : List.of("{\"status\":\"revoked\",\"previous_state\":{\"active\":true},\"detail\":\"token disabled\"}",
                "{\"status\":\"already_revoked\"}", "{\"status\":\"reinstated\"}")) {
            assertThat(contract.responseProblems(OPERATION, 200, "application/json", answer)).as(answer).isEmpty();
        }
        assertThat(contract.responseProblems(OPERATION, 200, "application/json", "{\"status\":\"deleted\"}")).isNotEmpty();
    }

    @Test
    void theCheckCatchesARequestOutsideTheContract() {
        String extra = "{\"action\":\"revoke\",\"issuer\":\"railway\",\"token_id\":\"t\",\"command_id\":\"c\","
                + "\"idempotency_key\":\"" + "a".repeat(64) + "\",\"dry_run\":false,\"sent_at\":\"2026-01-01T00:00:00Z\","
                + "\"secret\":\"oops\"}";
        assertThat(contract.requestProblems(OPERATION, "application/json", extra)).isNotEmpty();
        assertThat(contract.headerProblems(OPERATION, Map.of("webhook-signature", "v1=abc"))).hasSize(2);
    }

    private static Map<String, String> blocks(TokenService issuer, String secret, WebhookScheme scheme) {
        Map<String, String> blocks = new HashMap<>();
        String p = "firebreak.killswitch.webhook.railway.";
        blocks.put(p + "url", issuer.url().toString());
        blocks.put(p + "secret", secret);
        blocks.put(p + "signature.scheme", scheme.wire);
        return blocks;
    }
}
