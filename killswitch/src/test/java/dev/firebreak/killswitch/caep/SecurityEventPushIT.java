package dev.firebreak.killswitch.caep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CAEP session-revoked SETs pushed per RFC 8935 to receiver stand-ins ({@link SetReceiver}) that verify
 * the signature with the issuer's public key and the claims against RFC 8417, CAEP 1.0 and RFC 9493.
 */
class SecurityEventPushIT {
    private static final String ISSUER = "https://firebreak.example.com/";
    private static final String CAEP = SessionRevokedToken.EVENT_TYPE;

    @TempDir
    Path dir;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @ParameterizedTest
    @ValueSource(strings = {"RSA", "EC"})
    void aRevokedCredentialIsAnnouncedToEveryReceiverSignedAndShapedPerTheSpecs(String algorithm) throws Exception {
        KeyPair keys = keys(algorithm);
        try (SetReceiver siem = new SetReceiver(keys.getPublic(), ISSUER, "https://siem.example.com/", "siem-token-0123");
             SetReceiver idp = new SetReceiver(keys.getPublic(), ISSUER, "https://idp.example.com/ssf", null);
             SecurityEventPublisher publisher = publisher(keys, Map.of(
                     "siem.url", siem.url().toString(), "siem.audience", "https://siem.example.com/",
                     "siem.auth.token.env", "SIEM_TOKEN",
                     "idp.url", idp.url().toString(), "idp.audience", "https://idp.example.com/ssf"))) {
            publisher.published(result("pg:main/deployer_rw", RevocationAction.REVOKE, RevocationOutcome.REVOKED));

            for (SetReceiver receiver : List.of(siem, idp)) {
                SetReceiver.Delivery d = receiver.await(1, 10_000).get(0);
                assertThat(d.problem()).isNull();
                assertThat(d.status()).isEqualTo(202);
                assertThat(d.claims().getJSONObjectClaim("sub_id")).isEqualTo(Map.of("format", "opaque", "id", "pg:main/deployer_rw"));
                assertThat(d.claims().getStringClaim("txn")).isEqualTo("cmd-1");
                @SuppressWarnings("unchecked")
                Map<String, Object> event = (Map<String, Object>) d.claims().getJSONObjectClaim("events").get(CAEP);
                assertThat(event).containsEntry("initiating_entity", "policy").containsEntry("event_timestamp", 1_700_000_000L);
                assertThat(event.get("reason_admin").toString()).contains("rule ddl-burst", "agent:deployer");
            }
            assertThat(siem.deliveries().get(0).claims().getJWTID()).isNotEqualTo(idp.deliveries().get(0).claims().getJWTID());
            await().atMost(Duration.ofSeconds(5)).until(() -> delivered("siem") == 1 && delivered("idp") == 1);
        }
    }

    @Test
    void nothingIsPushedForFailedRefusedDryRunRepeatedOrReinstatedTargets() throws Exception {
        KeyPair keys = keys("EC");
        try (SetReceiver receiver = new SetReceiver(keys.getPublic(), ISSUER, "aud", null);
             SecurityEventPublisher publisher = publisher(keys, Map.of("r.url", receiver.url().toString(), "r.audience", "aud"))) {
            for (RevocationOutcome outcome : List.of(RevocationOutcome.FAILED, RevocationOutcome.REFUSED_PROTECTED,
                    RevocationOutcome.DRY_RUN, RevocationOutcome.ALREADY_REVOKED)) {
                publisher.published(result("pg:main/" + outcome.name().toLowerCase(), RevocationAction.REVOKE, outcome));
            }
            publisher.published(result("pg:main/back", RevocationAction.REINSTATE, RevocationOutcome.REINSTATED));
            // One thread, in order: had any of the above been queued it would arrive before this one.
            publisher.published(result("pg:main/sentinel", RevocationAction.REVOKE, RevocationOutcome.REVOKED));

            List<SetReceiver.Delivery> got = receiver.await(1, 10_000);
            Thread.sleep(300);
            assertThat(receiver.deliveries()).hasSize(1);
            assertThat(got.get(0).claims().getJSONObjectClaim("sub_id")).containsEntry("id", "pg:main/sentinel");
        }
    }

    @Test
    void a5xxIsRetriedWithTheSameTokenAndA400IsNot() throws Exception {
        KeyPair keys = keys("RSA");
        try (SetReceiver flaky = new SetReceiver(keys.getPublic(), ISSUER, "aud", null);
             SetReceiver refusing = new SetReceiver(keys.getPublic(), ISSUER, "aud", null);
             SecurityEventPublisher publisher = publisher(keys, Map.of("flaky.url", flaky.url().toString(),
                     "flaky.audience", "aud", "refusing.url", refusing.url().toString(), "refusing.audience", "aud"))) {
            flaky.script(503);
            refusing.script(400);
            publisher.published(result("token:railway/tok_1", RevocationAction.REVOKE, RevocationOutcome.REVOKED));

            List<SetReceiver.Delivery> twice = flaky.await(2, 10_000);
            assertThat(twice).extracting(SetReceiver.Delivery::status).containsExactly(503, 202);
            assertThat(twice.get(0).jwt()).isEqualTo(twice.get(1).jwt());
            await().atMost(Duration.ofSeconds(5)).until(() -> count("refusing", "rejected") == 1 && delivered("flaky") == 1);
            assertThat(refusing.deliveries()).hasSize(1);
        }
    }

    @Test
    void aSetSignedWithAnotherKeyIsRefusedByTheReceiver() throws Exception {
        // the stand-in's checks can fail: a receiver holding a different public key refuses the SET
        KeyPair keys = keys("EC");
        try (SetReceiver receiver = new SetReceiver(keys("EC").getPublic(), ISSUER, "aud", null);
             SecurityEventPublisher publisher = publisher(keys, Map.of("r.url", receiver.url().toString(), "r.audience", "aud"))) {
            publisher.published(result("pg:main/x", RevocationAction.REVOKE, RevocationOutcome.REVOKED));
            SetReceiver.Delivery d = receiver.await(1, 10_000).get(0);
            assertThat(d.status()).isEqualTo(400);
            assertThat(d.problem()).isEqualTo("signature does not verify");
        }
    }

    private SecurityEventPublisher publisher(KeyPair keys, Map<String, String> receivers) throws Exception {
        Path pem = dir.resolve("caep-" + System.nanoTime() + ".pem");
        Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        Map<String, String> map = new HashMap<>();
        map.put(SecurityEventConfig.ISSUER, ISSUER);
        map.put(SecurityEventConfig.KEY_FILE, pem.toString());
        map.put(SecurityEventConfig.KEY_ID, "firebreak-2026");
        receivers.forEach((k, v) -> map.put(SecurityEventConfig.RECEIVER + k, v));
        receivers.keySet().stream().map(k -> k.substring(0, k.indexOf('.')))
                .forEach(name -> map.put(SecurityEventConfig.RECEIVER + name + ".backoff.ms", "10"));
        SecurityEventConfig config = SecurityEventConfig.fromMap(map, Map.of("SIEM_TOKEN", "siem-token-0123")::get).orElseThrow();
        return new SecurityEventPublisher(config, meters);
    }

    private double delivered(String receiver) {
        return count(receiver, "delivered");
    }

    private double count(String receiver, String outcome) {
        var c = meters.find(SecurityEventPublisher.DELIVERIES).tag("receiver", receiver).tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    static KeyPair keys(String algorithm) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        if (algorithm.equals("EC")) {
            generator.initialize(new ECGenParameterSpec("secp256r1"));
        } else {
            generator.initialize(2048);
        }
        return generator.generateKeyPair();
    }

    private static RevocationResult result(String target, RevocationAction action, RevocationOutcome outcome) {
        return RevocationResult.newBuilder().setCommandId("cmd-1").setRuleId("ddl-burst").setPrincipal("agent:deployer")
                .setTarget(target).setOutcome(outcome).setDetail("").setWindowStartUs(1).setWindowEndUs(2)
                .setTriggerEventTimeUs(1).setStartedTimeUs(1).setCompletedTimeUs(1_700_000_000_123_456L).setAction(action)
                .build();
    }
}
