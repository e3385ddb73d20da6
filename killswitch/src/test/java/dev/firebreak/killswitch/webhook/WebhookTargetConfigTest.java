package dev.firebreak.killswitch.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.Principal;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WebhookTargetConfigTest {
    private static final String P = "firebreak.killswitch.webhook.";
    /** A Standard Webhooks secret: whsec_ and base64 of 32 bytes. */
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw6B+eVVk8gFg=";

    private static Map<String, String> minimal(String issuer) {
        Map<String, String> m = new HashMap<>();
        m.put(P + issuer + ".url", "https://hooks.example.com/firebreak/revoke");
        m.put(P + issuer + ".secret", SECRET);
        return m;
    }

    private static List<WebhookTargetConfig> read(Map<String, String> m) {
        return WebhookTargetConfig.fromTargetBlocks(m, Map.of("RAILWAY_HOOK_SECRET", "from-the-env-0123456789")::get);
    }

    @Test
    void noWebhookKeysMeansNoRevokers() {
        Map<String, String> m = Map.of("firebreak.killswitch.kafka.bootstrap.servers", "k:9092");
        assertThat(read(m)).isEmpty();
        assertThat(WebhookRevoker.fromConfig(m)).isEmpty();
    }

    @Test
    void defaultsApplyToOptionalKeys() {
        WebhookTargetConfig c = read(minimal("railway")).get(0);
        assertThat(c.issuer()).isEqualTo("railway");
        assertThat(c.url()).isEqualTo(URI.create("https://hooks.example.com/firebreak/revoke"));
        assertThat(c.secret()).isEqualTo(SECRET);
        assertThat(c.timeout()).isEqualTo(Duration.ofMillis(2000));
        assertThat(c.maxAttempts()).isEqualTo(4);
        assertThat(c.backoff()).isEqualTo(Duration.ofMillis(100));
        assertThat(c.protectedTokens()).isEmpty();
        assertThat(c.scheme()).isEqualTo(WebhookScheme.STANDARD_WEBHOOKS);
    }

    @Test
    void everyKeyIsReadAndIssuersMayContainDots() {
        Map<String, String> m = minimal("vault.prod-eu_1");
        m.remove(P + "vault.prod-eu_1.secret");
        m.put(P + "vault.prod-eu_1.secret.env", "RAILWAY_HOOK_SECRET");
        m.put(P + "vault.prod-eu_1.timeout.ms", "750");
        m.put(P + "vault.prod-eu_1.max.attempts", "7");
        m.put(P + "vault.prod-eu_1.backoff.ms", "20");
        m.put(P + "vault.prod-eu_1.protected.tokens", " tok_ci , tok_backup");
        m.put(P + "vault.prod-eu_1.signature.scheme", "firebreak-v1");
        m.putAll(minimal("railway"));

        List<WebhookTargetConfig> cs = read(m);

        assertThat(cs).extracting(WebhookTargetConfig::issuer).containsExactly("railway", "vault.prod-eu_1");
        WebhookTargetConfig c = cs.get(1);
        assertThat(c.secret()).isEqualTo("from-the-env-0123456789");
        assertThat(c.timeout()).isEqualTo(Duration.ofMillis(750));
        assertThat(c.maxAttempts()).isEqualTo(7);
        assertThat(c.backoff()).isEqualTo(Duration.ofMillis(20));
        assertThat(c.protectedTokens()).containsExactlyInAnyOrder("tok_ci", "tok_backup");
        assertThat(c.scheme()).isEqualTo(WebhookScheme.FIREBREAK_V1);
    }

    @Test
    void fromConfigBuildsOneRevokerPerIssuer() {
        Map<String, String> m = minimal("railway");
        m.putAll(minimal("vault"));
        List<WebhookRevoker> rs = WebhookRevoker.fromConfig(m);
        try {
            assertThat(rs).extracting(WebhookRevoker::describe).containsExactly("token:railway/*", "token:vault/*");
            assertThat(rs).extracting(WebhookRevoker::kind).containsOnly("webhook");
            assertThat(rs.get(0).handles(Principal.parse("token:railway/tok_1"))).isTrue();
            assertThat(rs.get(0).handles(Principal.parse("token:vault/tok_1"))).isFalse();
            assertThat(rs.get(0).handles(Principal.parse("pg:railway/tok_1"))).isFalse();
        } finally {
            rs.forEach(WebhookRevoker::close);
        }
    }

    @Test
    void secretIsRequiredExactlyOnce() {
        Map<String, String> none = minimal("railway");
        none.remove(P + "railway.secret");
        Map<String, String> both = minimal("railway");
        both.put(P + "railway.secret.env", "RAILWAY_HOOK_SECRET");
        Map<String, String> unset = minimal("railway");
        unset.remove(P + "railway.secret");
        unset.put(P + "railway.secret.env", "NOT_SET_ANYWHERE");

        for (Map<String, String> m : List.of(none, both)) {
            assertThatThrownBy(() -> read(m)).hasMessageContaining("exactly one of " + P + "railway.secret and "
                    + P + "railway.secret.env");
        }
        assertThatThrownBy(() -> read(unset)).hasMessageContaining(P + "railway.secret.env names environment variable "
                + "'NOT_SET_ANYWHERE', which is not set or empty");
    }

    @Test
    void aShortSecretIsRejectedWithoutPrintingIt() {
        Map<String, String> m = minimal("railway");
        m.put(P + "railway.secret", "hunter2hunter2");
        m.put(P + "railway.signature.scheme", "firebreak-v1");
        assertThatThrownBy(() -> read(m))
                .hasMessageContaining(P + "railway.secret (or the variable secret.env names) must be at least 16 characters, was 14")
                .message().doesNotContain("hunter2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain-but-long-enough-secret-0123456789", "whsec_not base64!", "whsec_c2hvcnQ="})
    void theStandardSchemeNeedsAWhsecSecretOf24To64BytesAndNeverPrintsIt(String secret) {
        Map<String, String> m = minimal("railway");
        m.put(P + "railway.secret", secret);
        assertThatThrownBy(() -> read(m))
                .hasMessageContaining(P + "railway.secret (or the variable secret.env names) must ")
                .hasMessageContaining("for " + P + "railway.signature.scheme=standard-webhooks (allowed schemes: "
                        + "standard-webhooks, firebreak-v1)")
                .message().doesNotContain(secret.substring(6));
    }

    @Test
    void anUnknownSchemeIsNamedWithTheAllowedValues() {
        Map<String, String> m = minimal("railway");
        m.put(P + "railway.signature.scheme", "hmac");
        assertThatThrownBy(() -> read(m)).hasMessageContaining(P + "railway.signature.scheme must be one of "
                + "standard-webhooks, firebreak-v1, was 'hmac'");
    }

    @Test
    void urlMustBeHttpOrHttpsWithoutUserInfo() {
        Map<String, String> ftp = minimal("railway");
        ftp.put(P + "railway.url", "ftp://hooks.example.com/x");
        Map<String, String> creds = minimal("railway");
        creds.put(P + "railway.url", "https://admin:pw@hooks.example.com/x");
        Map<String, String> missing = minimal("railway");
        missing.remove(P + "railway.url");

        assertThatThrownBy(() -> read(ftp)).hasMessageContaining(P + "railway.url must be an absolute http:// or https:// URL");
        assertThatThrownBy(() -> read(creds)).hasMessageContaining(P + "railway.url must not contain user info");
        assertThatThrownBy(() -> read(missing)).hasMessageContaining(P + "railway.url is required: https://..., or http://... to a loopback host");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://hooks.example.com/x", "http://10.0.0.7:8080/x", "http://128.0.0.1/x",
            "http://127.0.0.1.nip.io/x", "http://localhost.example.com/x", "http://[::2]/x", "http://[fe80::1]/x",
            "http://0.0.0.0/x", "HTTP://hooks.example.com/x"})
    void plainHttpIsRefusedOutsideLoopback(String url) {
        Map<String, String> m = minimal("railway");
        m.put(P + "railway.url", url);
        assertThatThrownBy(() -> read(m))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(P + "railway.url must use https:// unless the host is loopback")
                .hasMessageContaining("allowed: https://<host>/..., or http:// only to 127.0.0.0/8, [::1] or localhost");
        // the record itself refuses it too, not only the key reader
        assertThatThrownBy(() -> new WebhookTargetConfig("railway", URI.create(url), SECRET, WebhookScheme.STANDARD_WEBHOOKS,
                Duration.ofSeconds(1), 1,
                Duration.ofMillis(10), java.util.Set.of()))
                .hasMessageContaining("railway.url must use https://");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:8080/x", "http://127.1.2.3/x", "http://localhost:9/x", "http://LOCALHOST/x",
            "http://[::1]:8080/x", "http://[0:0:0:0:0:0:0:1]/x", "https://hooks.example.com/x", "https://10.0.0.7/x"})
    void httpsAnywhereAndHttpOnLoopbackAreAccepted(String url) {
        Map<String, String> m = minimal("railway");
        m.put(P + "railway.url", url);
        assertThat(read(m).get(0).url()).isEqualTo(URI.create(url));
    }

    @Test
    void numbersOutsideTheirRangesAreAllNamed() {
        Map<String, String> m = minimal("railway");
        m.put(P + "railway.timeout.ms", "0");
        m.put(P + "railway.max.attempts", "21");
        m.put(P + "railway.backoff.ms", "10001");
        assertThatThrownBy(() -> read(m))
                .hasMessageContaining(P + "railway.timeout.ms must be 1..60000 (milliseconds), was 0")
                .hasMessageContaining(P + "railway.max.attempts must be 1..20, was 21")
                .hasMessageContaining(P + "railway.backoff.ms must be 1..10000 (milliseconds), was 10001");

        Map<String, String> text = minimal("railway");
        text.put(P + "railway.timeout.ms", "2s");
        assertThatThrownBy(() -> read(text)).hasMessageContaining(P + "railway.timeout.ms must be a whole number, was '2s'");
    }

    @Test
    void unknownKeysAndBadIssuersFailWithTheAllowedValues() {
        Map<String, String> m = minimal("railway");
        m.put(P + "railway.timeout", "100");
        m.putAll(minimal("rail way"));
        m.put(P + "railway.protected.tokens", "tok_ci,,tok_x");
        assertThatThrownBy(() -> read(m))
                .hasMessageContaining("unknown key " + P + "railway.timeout; allowed: " + P
                        + "<issuer>.{url,secret,secret.env,timeout.ms,max.attempts,backoff.ms,protected.tokens,signature.scheme}")
                .hasMessageContaining("issuer 'rail way' in " + P + "rail way.* is invalid; allowed: [A-Za-z0-9._-]+")
                .hasMessageContaining(P + "railway.protected.tokens contains an empty token id");
    }

    @Test
    void toStringMasksTheSecret() {
        WebhookTargetConfig c = read(minimal("railway")).get(0);
        assertThat(c.toString()).contains("secret=****", "https://hooks.example.com/firebreak/revoke").doesNotContain(SECRET);
    }

    @Test
    void displayUrlDropsTheQuery() {
        Map<String, String> m = minimal("railway");
        m.put(P + "railway.url", "https://hooks.example.com:8443/revoke?key=abc");
        WebhookTargetConfig c = read(m).get(0);
        assertThat(c.displayUrl()).isEqualTo("https://hooks.example.com:8443/revoke");
        assertThat(c.toString()).doesNotContain("key=abc");
    }
}
