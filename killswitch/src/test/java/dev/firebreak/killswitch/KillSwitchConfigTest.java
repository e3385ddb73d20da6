package dev.firebreak.killswitch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KillSwitchConfigTest {

    private static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("firebreak.killswitch.pg.cluster", "prod");
        m.put("firebreak.killswitch.pg.url", "jdbc:postgresql://db:5432/app");
        m.put("firebreak.killswitch.pg.user", "firebreak");
        m.put("firebreak.killswitch.pg.password", "s3cret-pw");
        m.put("firebreak.killswitch.bootstrap.servers", "kafka:9092");
        m.put("firebreak.killswitch.schema.registry.url", "http://registry:8080");
        return m;
    }

    @Test
    void defaultsApplyToOptionalKeys() {
        KillSwitchConfig c = KillSwitchConfig.fromMap(minimal());
        assertThat(c.cluster()).isEqualTo("prod");
        assertThat(c.protectedRoles()).isEmpty();
        assertThat(c.confirmTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.settle()).isEqualTo(Duration.ofMillis(25));
        assertThat(c.groupId()).isEqualTo("firebreak-killswitch");
        assertThat(c.dryRun()).isFalse();
        assertThat(c.consumerOverrides()).isEmpty();
    }

    @Test
    void everyKeyIsRead() {
        Map<String, String> m = minimal();
        m.put("firebreak.killswitch.pg.protected.roles", " ops_admin, replicator ,app owner");
        m.put("firebreak.killswitch.pg.confirm.timeout.ms", "750");
        m.put("firebreak.killswitch.pg.settle.ms", "0");
        m.put("firebreak.killswitch.group.id", "ks-eu");
        m.put("firebreak.killswitch.dry.run", "TRUE");
        m.put("firebreak.killswitch.consumer.isolation.level", "read_committed");
        m.put("firebreak.killswitch.producer.compression.type", "lz4");
        m.put("firebreak.ingest.something", "ignored: another service's key");
        KillSwitchConfig c = KillSwitchConfig.fromMap(m);
        assertThat(c.protectedRoles()).containsExactly("ops_admin", "replicator", "app owner");
        assertThat(c.confirmTimeout()).isEqualTo(Duration.ofMillis(750));
        assertThat(c.settle()).isZero();
        assertThat(c.groupId()).isEqualTo("ks-eu");
        assertThat(c.dryRun()).isTrue();
        assertThat(c.consumerOverrides()).containsExactly(Map.entry("isolation.level", "read_committed"));
        assertThat(c.producerOverrides()).containsExactly(Map.entry("compression.type", "lz4"));
    }

    @Test
    void missingRequiredKeysAreAllNamed() {
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("firebreak.killswitch.pg.cluster")
                .hasMessageContaining("firebreak.killswitch.pg.url")
                .hasMessageContaining("firebreak.killswitch.pg.user")
                .hasMessageContaining("firebreak.killswitch.bootstrap.servers")
                .hasMessageContaining("firebreak.killswitch.schema.registry.url");
    }

    @Test
    void badValuesNameTheKeyAndWhatIsAllowed() {
        assertRejected("firebreak.killswitch.pg.confirm.timeout.ms", "2s", "whole number");
        assertRejected("firebreak.killswitch.pg.confirm.timeout.ms", "0", "1..60000");
        assertRejected("firebreak.killswitch.pg.settle.ms", "5000", "0..1000");
        assertRejected("firebreak.killswitch.dry.run", "yes", "true or false");
        assertRejected("firebreak.killswitch.pg.url", "postgresql://db/app", "jdbc:postgresql://");
        assertRejected("firebreak.killswitch.schema.registry.url", "registry:8080", "mem://<scope>");
        assertRejected("firebreak.killswitch.pg.cluster", "eu/west", "without '/'");
        assertRejected("firebreak.killswitch.pg.protected.roles", "a,,b", "empty role name");
        assertRejected("firebreak.killswitch.pg.passwd", "typo", "unknown key");
        assertRejected("firebreak.killswitch.consumer.enable.auto.commit", "true", "cannot be overridden");
        assertRejected("firebreak.killswitch.producer.acks", "1", "cannot be overridden");
    }

    private static void assertRejected(String key, String value, String allowed) {
        Map<String, String> m = minimal();
        m.put(key, value);
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(m))
                .as("%s=%s", key, value)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(key)
                .hasMessageContaining(allowed);
    }

    @Test
    void passwordNeverAppearsInToString() {
        Map<String, String> m = minimal();
        m.put("firebreak.killswitch.pg.url", "jdbc:postgresql://db/app?user=x&password=url-secret&ssl=true");
        String text = KillSwitchConfig.fromMap(m).toString();
        assertThat(text).doesNotContain("s3cret-pw").doesNotContain("url-secret").contains("ssl=true").contains("prod");
    }

    @Test
    void programmaticConstructionIsValidatedToo() {
        assertThatThrownBy(() -> new KillSwitchConfig("prod", "jdbc:postgresql://db/app", "fb", null, List.of(),
                Duration.ofMinutes(5), Duration.ZERO, "g", "k:9092", "mem://x", false, false, Duration.ofSeconds(5),
                Duration.ofMinutes(10), 5, Duration.ofMillis(50), Map.of(), Map.of(), Map.of()))
                .hasMessageContaining("firebreak.killswitch.pg.confirm.timeout.ms");
    }

    @Test
    void signingSecretsAreReadButNeverPrinted() {
        Map<String, String> m = new java.util.HashMap<>(minimal());
        m.putAll(TestSigning.settings());
        KillSwitchConfig c = KillSwitchConfig.fromMap(m);
        assertThat(c.requireCommandVerificationKey()).isNotNull();
        assertThat(c.requireResultSigningKey()).isNotNull();
        assertThat(c.toString()).doesNotContain(TestSigning.COMMAND_SECRET).doesNotContain(TestSigning.RESULT_SECRET)
                .contains(KillSwitchConfig.COMMAND_VERIFICATION_SECRET);
        m.remove(KillSwitchConfig.RESULT_SIGNING_SECRET);
        m.put(KillSwitchConfig.RESULT_SIGNING_SECRET + ".env", "FIREBREAK_TEST_SURELY_UNSET_VARIABLE");
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(m)).hasMessageContaining("FIREBREAK_TEST_SURELY_UNSET_VARIABLE")
                .hasMessageContaining("not set");
        m.put(KillSwitchConfig.RESULT_SIGNING_SECRET + ".env", "");
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(m).requireResultSigningKey())
                .hasMessageContaining(KillSwitchConfig.RESULT_SIGNING_SECRET + " (or ");
    }

    @Test
    void clientSettingsReachConsumerAndProducerButAreNeverPrinted() {
        Map<String, String> m = minimal();
        m.put(KillSwitchConfig.CLIENT_PREFIX + "security.protocol", "SASL_PLAINTEXT");
        m.put(KillSwitchConfig.CLIENT_PREFIX + "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"kafka-pw\";");
        m.put(KillSwitchConfig.CONSUMER_PREFIX + "security.protocol", "SASL_SSL");
        KillSwitchConfig c = KillSwitchConfig.fromMap(m);
        assertThat(c.consumerOverrides()).containsEntry("security.protocol", "SASL_SSL").containsKey("sasl.jaas.config");
        assertThat(c.producerOverrides()).containsEntry("security.protocol", "SASL_PLAINTEXT").containsKey("sasl.jaas.config");
        assertThat(c.toString()).doesNotContain("kafka-pw");
        m.put(KillSwitchConfig.CLIENT_PREFIX + "group.id", "someone-elses");
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(m)).hasMessageContaining("kafka.consumer.group.id cannot be overridden");
    }
}
