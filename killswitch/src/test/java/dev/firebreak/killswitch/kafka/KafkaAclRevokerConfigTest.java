package dev.firebreak.killswitch.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaAclRevokerConfigTest {
    private static final String JAAS =
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"firebreak\" password=\"pw-123\";";

    private static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("firebreak.killswitch.kafka.cluster", "main");
        m.put("firebreak.killswitch.kafka.bootstrap.servers", "kafka:9092");
        return m;
    }

    @Test
    void defaultsApplyToOptionalKeys() {
        KafkaAclRevokerConfig c = KafkaAclRevokerConfig.fromMap(minimal());
        assertThat(c.cluster()).isEqualTo("main");
        assertThat(c.bootstrapServers()).isEqualTo("kafka:9092");
        assertThat(c.protectedPrincipals()).isEmpty();
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.adminOverrides()).isEmpty();
        assertThat(c.selfPrincipal()).as("PLAINTEXT connections are User:ANONYMOUS").isEqualTo("User:ANONYMOUS");
    }

    @Test
    void everyKeyIsReadAndPrincipalsNormalised() {
        Map<String, String> m = minimal();
        m.put("firebreak.killswitch.kafka.protected.principals", " ops , User:replicator,Group:admins");
        m.put("firebreak.killswitch.kafka.request.timeout.ms", "750");
        m.put("firebreak.killswitch.kafka.admin.security.protocol", "SASL_PLAINTEXT");
        m.put("firebreak.killswitch.kafka.admin.sasl.mechanism", "PLAIN");
        m.put("firebreak.killswitch.kafka.admin.sasl.jaas.config", JAAS);
        m.put("firebreak.killswitch.pg.cluster", "ignored: another block");
        KafkaAclRevokerConfig c = KafkaAclRevokerConfig.fromMap(m);
        assertThat(c.protectedPrincipals()).containsExactly("User:ops", "User:replicator", "Group:admins");
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofMillis(750));
        assertThat(c.adminOverrides()).containsOnlyKeys("security.protocol", "sasl.mechanism", "sasl.jaas.config");
        assertThat(c.selfPrincipal()).as("derived from the JAAS username").isEqualTo("User:firebreak");
    }

    @Test
    void explicitSelfPrincipalWins() {
        Map<String, String> m = minimal();
        m.put("firebreak.killswitch.kafka.admin.sasl.jaas.config", JAAS);
        m.put("firebreak.killswitch.kafka.self.principal", "User:CN=killswitch,O=firebreak");
        assertThat(KafkaAclRevokerConfig.fromMap(m).selfPrincipal()).isEqualTo("User:CN=killswitch,O=firebreak");
    }

    @Test
    void selfPrincipalIsRequiredWhenItCannotBeDerived() {
        Map<String, String> m = minimal();
        m.put("firebreak.killswitch.kafka.admin.security.protocol", "SSL");
        assertThatThrownBy(() -> KafkaAclRevokerConfig.fromMap(m))
                .hasMessageContaining("firebreak.killswitch.kafka.self.principal is required");
    }

    @Test
    void missingRequiredKeysAreAllNamed() {
        assertThatThrownBy(() -> KafkaAclRevokerConfig.fromMap(Map.of("firebreak.killswitch.kafka.request.timeout.ms", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("firebreak.killswitch.kafka.cluster is required")
                .hasMessageContaining("firebreak.killswitch.kafka.bootstrap.servers is required")
                .hasMessageContaining("firebreak.killswitch.kafka.request.timeout.ms must be 1..60000");
    }

    @Test
    void badValuesNameKeyAndAllowedValues() {
        Map<String, String> m = minimal();
        m.put("firebreak.killswitch.kafka.cluster", "a/b");
        m.put("firebreak.killswitch.kafka.protected.principals", "ops,,User:");
        assertThatThrownBy(() -> KafkaAclRevokerConfig.fromMap(m))
                .hasMessageContaining("firebreak.killswitch.kafka.cluster is required: a cluster name without '/'")
                .hasMessageContaining("firebreak.killswitch.kafka.protected.principals: Kafka principal is empty")
                .hasMessageContaining("firebreak.killswitch.kafka.protected.principals: Kafka principal must look like <type>:<name>");
        Map<String, String> t = minimal();
        t.put("firebreak.killswitch.kafka.request.timeout.ms", "soon");
        assertThatThrownBy(() -> KafkaAclRevokerConfig.fromMap(t))
                .hasMessageContaining("firebreak.killswitch.kafka.request.timeout.ms must be a whole number 1..60000");
        t.put("firebreak.killswitch.kafka.request.timeout.ms", "60001");
        assertThatThrownBy(() -> KafkaAclRevokerConfig.fromMap(t)).hasMessageContaining("must be 1..60000 (milliseconds), was 60001");
    }

    @Test
    void unknownKeysFail() {
        Map<String, String> m = minimal();
        m.put("firebreak.killswitch.kafka.protected.principal", "typo");
        assertThatThrownBy(() -> KafkaAclRevokerConfig.fromMap(m))
                .hasMessageContaining("unknown key(s) [firebreak.killswitch.kafka.protected.principal]")
                .hasMessageContaining("firebreak.killswitch.kafka.protected.principals");
    }

    @Test
    void adminPassThroughAcceptsOnlyAdminClientSettingsNotOwnedByTheBlock() {
        Map<String, String> m = minimal();
        m.put("firebreak.killswitch.kafka.admin.sasl.mechanizm", "PLAIN");
        m.put("firebreak.killswitch.kafka.admin.bootstrap.servers", "other:9092");
        assertThatThrownBy(() -> KafkaAclRevokerConfig.fromMap(m))
                .hasMessageContaining("firebreak.killswitch.kafka.admin.sasl.mechanizm is not an AdminClient setting")
                .hasMessageContaining("firebreak.killswitch.kafka.admin.bootstrap.servers cannot be set; use firebreak.killswitch.kafka.bootstrap.servers");
    }

    @Test
    void toStringMasksSecrets() {
        Map<String, String> m = minimal();
        m.put("firebreak.killswitch.kafka.admin.sasl.jaas.config", JAAS);
        m.put("firebreak.killswitch.kafka.admin.ssl.truststore.password", "trust-pw");
        String text = KafkaAclRevokerConfig.fromMap(m).toString();
        assertThat(text).doesNotContain("pw-123").doesNotContain("trust-pw").contains("sasl.jaas.config=****");
    }

    @Test
    void blockIsAbsentWithoutItsPrefix() {
        assertThat(KafkaAclRevokerConfig.present(Map.of("firebreak.killswitch.webhook.x.url", "http://h"))).isFalse();
        assertThat(KafkaAclRevoker.fromConfig(Map.of("firebreak.killswitch.webhook.x.url", "http://h"))).isEmpty();
        assertThat(KafkaAclRevokerConfig.present(minimal())).isTrue();
    }
}
