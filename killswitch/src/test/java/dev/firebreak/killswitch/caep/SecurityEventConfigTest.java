package dev.firebreak.killswitch.caep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecurityEventConfigTest {
    private static final String P = SecurityEventConfig.PREFIX;

    @Test
    void noKeysMeansNoPushing() {
        assertThat(SecurityEventConfig.fromMap(Map.of("firebreak.killswitch.webhook.x.url", "https://h/"))).isEmpty();
    }

    @Test
    void everyProblemIsNamedWithTheAllowedValues() {
        Map<String, String> m = new HashMap<>();
        m.put(P + "receiver.siem.url", "http://siem.example.com/events");
        m.put(P + "receiver.siem.max.attempts", "0");
        m.put(P + "receiver.siem.timeout", "5");
        m.put(P + "signing.key.env", "NOT_SET");
        assertThatThrownBy(() -> SecurityEventConfig.fromMap(m, k -> null))
                .hasMessageContaining(P + "issuer is required")
                .hasMessageContaining(P + "signing.key.env names environment variable 'NOT_SET'")
                .hasMessageContaining(P + "receiver.siem.url must be https://<host>/..., or http:// only to 127.0.0.0/8")
                .hasMessageContaining(P + "receiver.siem.max.attempts must be 1..20, was 0")
                .hasMessageContaining("unknown key " + P + "receiver.siem.timeout; allowed:");
    }

    @Test
    void weakOrWrongKeysAreRefusedWithoutEchoingThem() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        String weak = pem(rsa.generateKeyPair().getPrivate().getEncoded());
        assertThatThrownBy(() -> SecurityEventConfig.parsePkcs8(weak)).hasMessageContaining("1024 bits; RS256 needs at least 2048");
        assertThatThrownBy(() -> SecurityEventConfig.parsePkcs8("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----"))
                .hasMessageContaining("not a PKCS#8 PEM private key");
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new java.security.spec.ECGenParameterSpec("secp384r1"));
        String p384 = pem(ec.generateKeyPair().getPrivate().getEncoded());
        assertThatThrownBy(() -> SecurityEventConfig.parsePkcs8(p384)).hasMessageContaining("not on P-256")
                .message().doesNotContain(p384.substring(40, 80));
    }

    @Test
    void aGoodBlockReadsWithDefaultsAndMasksTheToken() throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        Map<String, String> m = new HashMap<>();
        m.put(P + "issuer", "https://firebreak.example.com/");
        m.put(P + "signing.key.env", "CAEP_KEY");
        m.put(P + "receiver.siem.url", "https://siem.example.com/events");
        m.put(P + "receiver.siem.auth.token.env", "SIEM_TOKEN");
        String key = pem(ec.generateKeyPair().getPrivate().getEncoded());
        SecurityEventConfig c = SecurityEventConfig.fromMap(m, Map.of("CAEP_KEY", key, "SIEM_TOKEN", "s3cr3t-token")::get)
                .orElseThrow();
        assertThat(c.algorithm()).isEqualTo("ES256");
        assertThat(c.receivers()).singleElement().satisfies(r -> {
            assertThat(r.audience()).isEqualTo("https://siem.example.com/events");
            assertThat(r.maxAttempts()).isEqualTo(4);
        });
        assertThat(c.toString()).doesNotContain("s3cr3t-token").contains("auth=****", "ES256 ****");
    }

    private static String pem(byte[] der) {
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(der) + "\n-----END PRIVATE KEY-----\n";
    }
}
