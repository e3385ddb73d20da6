package dev.firebreak.killswitch.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.firebreak.killswitch.KillSwitch;
import dev.firebreak.schema.Principal;
import dev.firebreak.killswitch.ReinstateRequest;
import dev.firebreak.killswitch.Revocation;
import dev.firebreak.killswitch.RevokeRequest;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The webhook revoker against a real HTTP token service on 127.0.0.1 that checks signatures and keys. */
class WebhookRevokerIT {
    private static final String SECRET = "whsec_cmFpbHdheS1ob29rLXNlY3JldC02ZjFjMmE5ZS0wMTIz";
    private static final String ISSUER = "railway";
    private static final String TOKEN_ID = "tok_agent_7";
    private static final Principal TARGET = Principal.parse("token:" + ISSUER + "/" + TOKEN_ID);
    private static final TokenService.Token LIVE =
            new TokenService.Token(true, List.of("volumes:write", "deploy"), "2027-01-01T00:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenService service;
    private final List<WebhookRevoker> revokers = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        service = new TokenService(SECRET);
        service.put(TOKEN_ID, LIVE);
        service.put("tok_ci", new TokenService.Token(true, List.of("deploy"), "2027-06-01T00:00:00Z"));
    }

    @AfterEach
    void stop() {
        revokers.forEach(WebhookRevoker::close);
        service.close();
    }

    private WebhookRevoker revoker(Map<String, String> overrides) {
        Map<String, String> blocks = new HashMap<>();
        String p = "firebreak.killswitch.webhook." + ISSUER + ".";
        blocks.put(p + "url", service.url().toString());
        blocks.put(p + "secret", SECRET);
        blocks.put(p + "backoff.ms", "5");
        blocks.put(p + "protected.tokens", "tok_ci");
        overrides.forEach((k, v) -> blocks.put(p + k, v));
        List<WebhookRevoker> built = WebhookRevoker.fromConfig(blocks);
        assertThat(built).hasSize(1);
        revokers.addAll(built);
        return built.get(0);
    }

    private WebhookRevoker revoker() {
        return revoker(Map.of());
    }

    private static RevokeRequest request(String commandId) {
        return RevokeRequest.of(commandId, List.of(), false, Duration.ofSeconds(10));
    }

    @Test
    void revokeMakesTheTokenUnusableAndRecordsItsPreviousState() throws Exception {
        Revocation r = revoker().revoke(TARGET, request("cmd-1"));

        assertThat(r.outcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(r.detail()).contains("token " + TOKEN_ID, "revoked by issuer railway", "token disabled");
        assertThat(JSON.readTree(r.previousState())).isEqualTo(JSON.valueToTree(LIVE));
        assertThat(service.usable(TOKEN_ID)).isFalse();
        assertThat(service.usable("tok_ci")).isTrue();

        TokenService.Received sent = service.received().get(0);
        assertThat(sent.contentType()).isEqualTo("application/json");
        assertThat(sent.idempotencyKey()).isEqualTo(WebhookRevoker.idempotencyKey("cmd-1", TARGET, "revoke"));
        assertThat(Math.abs(Long.parseLong(sent.timestamp()) - Instant.now().getEpochSecond())).isLessThan(60);
        // Standard Webhooks by default: the message id is the idempotency key, the same on every retry.
        assertThat(sent.headers()).containsEntry("webhook-id", sent.idempotencyKey())
                .containsKeys("webhook-timestamp", "webhook-signature")
                .doesNotContainKeys("x-firebreak-timestamp", "x-firebreak-signature");
        assertThat(sent.headers().get("webhook-signature")).startsWith("v1,");
        JsonNode body = JSON.readTree(sent.body());
        assertThat(fieldNames(body)).containsExactly("action", "issuer", "token_id", "command_id", "idempotency_key",
                "dry_run", "sent_at");
        assertThat(body.get("action").asText()).isEqualTo("revoke");
        assertThat(body.get("issuer").asText()).isEqualTo(ISSUER);
        assertThat(body.get("token_id").asText()).isEqualTo(TOKEN_ID);
        assertThat(body.get("command_id").asText()).isEqualTo("cmd-1");
        assertThat(body.get("idempotency_key").asText()).isEqualTo(sent.idempotencyKey());
        assertThat(body.get("dry_run").asBoolean()).isFalse();
        assertThat(Instant.parse(body.get("sent_at").asText())).isNotNull();
        assertThat(sent.body()).doesNotContain(SECRET);
    }

    @Test
    void aReplayedCommandIsAlreadyRevokedAndDoesNothing() {
        WebhookRevoker revoker = revoker();
        assertThat(revoker.revoke(TARGET, request("cmd-1")).outcome()).isEqualTo(RevocationOutcome.REVOKED);

        Revocation replay = revoker.revoke(TARGET, request("cmd-1"));
        Revocation another = revoker.revoke(TARGET, request("cmd-2"));

        assertThat(replay.outcome()).isEqualTo(RevocationOutcome.ALREADY_REVOKED);
        assertThat(replay.detail()).contains("earlier delivery");
        assertThat(replay.previousState()).isEmpty();
        assertThat(another.outcome()).isEqualTo(RevocationOutcome.ALREADY_REVOKED);
        assertThat(another.detail()).contains("already revoked");
        assertThat(service.revocations()).isEqualTo(1);
        List<TokenService.Received> sent = service.received();
        assertThat(sent.get(1).idempotencyKey()).isEqualTo(sent.get(0).idempotencyKey());
        assertThat(sent.get(2).idempotencyKey()).isNotEqualTo(sent.get(0).idempotencyKey());
    }

    @Test
    void reinstateWithThePreviousStateRestoresTheTokenExactly() throws Exception {
        WebhookRevoker revoker = revoker();
        Revocation revoked = revoker.revoke(TARGET, request("cmd-1"));
        assertThat(service.usable(TOKEN_ID)).isFalse();

        Revocation back = revoker.reinstate(TARGET, ReinstateRequest.of("re-1", revoked.previousState(), "alice",
                "false positive: nightly cleanup", false, Duration.ofSeconds(10)));

        assertThat(back.outcome()).isEqualTo(RevocationOutcome.REINSTATED);
        assertThat(service.token(TOKEN_ID)).isEqualTo(LIVE);
        JsonNode body = JSON.readTree(service.received().get(1).body());
        assertThat(fieldNames(body)).containsExactly("action", "issuer", "token_id", "command_id", "idempotency_key",
                "dry_run", "sent_at", "previous_state", "operator", "reason");
        assertThat(body.get("action").asText()).isEqualTo("reinstate");
        assertThat(body.get("operator").asText()).isEqualTo("alice");
        assertThat(body.get("previous_state")).isEqualTo(JSON.readTree(revoked.previousState()));

        // A late redelivery of the old command must not lock the reinstated token out again.
        assertThat(revoker.revoke(TARGET, request("cmd-1")).outcome()).isEqualTo(RevocationOutcome.ALREADY_REVOKED);
        assertThat(service.usable(TOKEN_ID)).isTrue();
    }

    @Test
    void reinstateWithoutRecordedStateFailsWithoutARequest() {
        Revocation r = revoker().reinstate(TARGET, ReinstateRequest.of("re-1", "", "alice", "undo", false,
                Duration.ofSeconds(5)));

        assertThat(r.outcome()).isEqualTo(RevocationOutcome.FAILED);
        assertThat(r.detail()).contains("previous state");
        assertThat(service.requests()).isZero();
    }

    @Test
    void serverErrorsAreRetriedWithTheSameKeyUntilRevoked() {
        service.script(503, "{\"error\":\"maintenance\"}", Map.of());
        service.script(503, "", Map.of());

        Revocation r = revoker().revoke(TARGET, request("cmd-1"));

        assertThat(r.outcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(service.requests()).isEqualTo(3);
        assertThat(service.received()).extracting(TokenService.Received::idempotencyKey).containsOnly(
                WebhookRevoker.idempotencyKey("cmd-1", TARGET, "revoke"));
        assertThat(service.received()).extracting(TokenService.Received::body).containsOnly(service.received().get(0).body());
        assertThat(service.usable(TOKEN_ID)).isFalse();
    }

    @Test
    void aLostAnswerIsRetriedAndTheReplayStillCarriesThePreviousState() throws Exception {
        service.loseAnswers(1);

        Revocation r = revoker(Map.of("timeout.ms", "300")).revoke(TARGET, request("cmd-1"));

        assertThat(r.outcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(r.detail()).contains("answer was lost");
        assertThat(JSON.readTree(r.previousState())).isEqualTo(JSON.valueToTree(LIVE));
        assertThat(service.requests()).isEqualTo(2);
        assertThat(service.revocations()).isEqualTo(1);
    }

    @Test
    void tooManyRequestsHonoursRetryAfter() {
        service.script(429, "{\"error\":\"slow down\"}", Map.of("Retry-After", "1"));

        Revocation r = revoker().revoke(TARGET, request("cmd-1"));

        assertThat(r.outcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(service.requests()).isEqualTo(2);
    }

    @Test
    void aRetryAfterBeyondTheDeadlineEndsTheAttempts() {
        service.script(429, "{\"error\":\"slow down\"}", Map.of("Retry-After", "120"));

        Revocation r = revoker().revoke(TARGET, request("cmd-1"));

        assertThat(r.outcome()).isEqualTo(RevocationOutcome.FAILED);
        assertThat(r.retryable()).isFalse();
        assertThat(r.detail()).contains("after 1 attempt:", "HTTP 429", "asked to wait 120000 ms");
        assertThat(service.requests()).isEqualTo(1);
    }

    @Test
    void aWrongSecretIsRejectedAndNotRetried() {
        Revocation r = revoker(Map.of("secret", "whsec_bm90LXRoZS1pc3N1ZXJzLXNlY3JldC00MiEhIQ==")).revoke(TARGET, request("cmd-1"));

        assertThat(r.outcome()).isEqualTo(RevocationOutcome.FAILED);
        assertThat(r.retryable()).isFalse();
        assertThat(r.detail()).contains("HTTP 401", "MISMATCH", "after 1 attempt)")
                .doesNotContain("bm90LXRoZS1pc3N1ZXJzLXNlY3JldC00MiEhIQ").doesNotContain(SECRET);
        assertThat(service.requests()).isEqualTo(1);
        assertThat(service.usable(TOKEN_ID)).isTrue();
    }

    @Test
    void aBadRequestFailsAfterOneAttempt() {
        service.script(400, "{\"error\":\"malformed token id\"}", Map.of());

        Revocation r = revoker().revoke(TARGET, request("cmd-1"));

        assertThat(r.outcome()).isEqualTo(RevocationOutcome.FAILED);
        assertThat(r.detail()).contains("HTTP 400", "malformed token id", "after 1 attempt");
        assertThat(service.requests()).isEqualTo(1);
    }

    @Test
    void answersOutsideTheContractFailNamingWhatCameBack() {
        service.script(200, "<html>ok</html>", Map.of());
        service.script(200, "{\"status\":\"deleted\"}", Map.of());
        service.script(204, "", Map.of());
        service.script(200, "{\"status\":\"reinstated\"}", Map.of());
        WebhookRevoker revoker = revoker();

        List<Revocation> rs = List.of(revoker.revoke(TARGET, request("a")), revoker.revoke(TARGET, request("b")),
                revoker.revoke(TARGET, request("c")), revoker.revoke(TARGET, request("d")));

        assertThat(rs).extracting(Revocation::outcome).containsOnly(RevocationOutcome.FAILED);
        assertThat(rs.get(0).detail()).contains("without a JSON status", "<html>ok</html>");
        assertThat(rs.get(1).detail()).contains("unexpected status 'deleted'");
        assertThat(rs.get(2).detail()).contains("HTTP 204 without a JSON status", "(empty)");
        assertThat(rs.get(3).detail()).contains("unexpected status 'reinstated'");
        assertThat(service.requests()).isEqualTo(4);
        assertThat(service.usable(TOKEN_ID)).isTrue();
    }

    @Test
    void aStoppedServiceFailsAfterMaxAttempts() {
        WebhookRevoker revoker = revoker(Map.of("max.attempts", "3"));
        service.stop();

        Revocation r = revoker.revoke(TARGET, request("cmd-1"));

        assertThat(r.outcome()).isEqualTo(RevocationOutcome.FAILED);
        assertThat(r.retryable()).isFalse();
        assertThat(r.detail()).contains("did not confirm revoke of token " + TOKEN_ID, "after 3 attempts",
                "cannot connect to " + service.url());
    }

    @Test
    void aShortDeadlineCutsTheRetries() {
        for (int i = 0; i < 20; i++) {
            service.script(503, "{\"error\":\"down\"}", Map.of());
        }
        WebhookRevoker revoker = revoker(Map.of("max.attempts", "20", "backoff.ms", "150"));

        Revocation r = revoker.revoke(TARGET, RevokeRequest.of("cmd-1", List.of(), false, Duration.ofMillis(400)));

        int attempts = service.requests();
        assertThat(r.outcome()).isEqualTo(RevocationOutcome.FAILED);
        assertThat(attempts).isBetween(1, 19);
        assertThat(r.detail()).contains("after " + attempts + " attempt", "HTTP 503", "deadline");
    }

    @Test
    void aProtectedTokenIsRefusedWithoutARequest() {
        Revocation r = revoker().revoke(Principal.parse("token:railway/tok_ci"), request("cmd-1"));

        assertThat(r.outcome()).isEqualTo(RevocationOutcome.REFUSED_PROTECTED);
        assertThat(r.detail()).contains("tok_ci", "protected");
        assertThat(service.requests()).isZero();
        assertThat(service.usable("tok_ci")).isTrue();
    }

    @Test
    void aDryRunSendsNothing() {
        WebhookRevoker revoker = revoker();

        Revocation r = revoker.revoke(TARGET, RevokeRequest.of("cmd-1", List.of(), true, Duration.ofSeconds(5)));
        Revocation back = revoker.reinstate(TARGET, ReinstateRequest.of("re-1", "{\"active\":true}", "alice", "undo",
                true, Duration.ofSeconds(5)));

        assertThat(r.outcome()).isEqualTo(RevocationOutcome.DRY_RUN);
        assertThat(r.detail()).contains("would POST revoke for token " + TOKEN_ID + " to " + service.url());
        assertThat(back.outcome()).isEqualTo(RevocationOutcome.DRY_RUN);
        assertThat(back.detail()).contains("would POST reinstate");
        assertThat(service.requests()).isZero();
        assertThat(service.usable(TOKEN_ID)).isTrue();
    }

    @Test
    void throughTheKillSwitchTheRevokersOwnRetriesAreNotMultiplied() {
        for (int i = 0; i < 10; i++) {
            service.script(503, "", Map.of());
        }
        WebhookRevoker revoker = revoker(Map.of("max.attempts", "2"));
        RevokeCommand command = RevokeCommand.newBuilder()
                .setCommandId("cmd-9").setRuleId("volume-delete").setPrincipal("agent:cursor-7")
                .setTargets(List.of(TARGET.toString())).setBackendPids(List.of())
                .setWindowStartUs(Micros.now() - 9_000_000).setWindowEndUs(Micros.now())
                .setTriggerEventId("ev-1").setTriggerEventTimeUs(Micros.now()).setIssuedTimeUs(Micros.now())
                .setDryRun(false).build();

        try (KillSwitch ks = new KillSwitch(List.of(revoker), false, new SimpleMeterRegistry())) {
            RevocationResult result = ks.execute(command).get(0).result();

            assertThat(result.getOutcome()).isEqualTo(RevocationOutcome.FAILED);
            assertThat(result.getKind()).isEqualTo("webhook");
            assertThat(result.getAttempts()).isEqualTo(1);
            assertThat(service.requests()).isEqualTo(2);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void theFirebreakV1SchemeIsKeptAsAnOption() throws Exception {
        String legacySecret = "railway-hook-secret-6f1c2a9e";
        try (TokenService legacy = new TokenService(legacySecret, WebhookScheme.FIREBREAK_V1)) {
            legacy.put(TOKEN_ID, LIVE);
            Map<String, String> blocks = new HashMap<>();
            String p = "firebreak.killswitch.webhook." + ISSUER + ".";
            blocks.put(p + "url", legacy.url().toString());
            blocks.put(p + "secret", legacySecret);
            blocks.put(p + "signature.scheme", "firebreak-v1");
            List<WebhookRevoker> built = WebhookRevoker.fromConfig(blocks);
            revokers.addAll(built);

            Revocation r = built.get(0).revoke(TARGET, request("cmd-legacy"));

            assertThat(r.outcome()).isEqualTo(RevocationOutcome.REVOKED);
            TokenService.Received sent = legacy.received().get(0);
            assertThat(sent.headers()).containsKeys("x-firebreak-timestamp", "x-firebreak-signature")
                    .doesNotContainKeys("webhook-id", "webhook-signature");
            assertThat(WebhookSignature.verify(legacySecret, sent.timestamp(), sent.headers().get("x-firebreak-signature"),
                    sent.body().getBytes(java.nio.charset.StandardCharsets.UTF_8), Instant.now(),
                    WebhookSignature.DEFAULT_MAX_SKEW).valid()).isTrue();
        }
    }
}
