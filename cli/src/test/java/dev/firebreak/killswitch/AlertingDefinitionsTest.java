package dev.firebreak.killswitch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.config.Settings;
import dev.firebreak.config.SettingsDefinition;
import dev.firebreak.export.ocsf.OcsfExportConfig;
import dev.firebreak.killswitch.caep.SecurityEventConfig;
import dev.firebreak.killswitch.kafka.KafkaAclRevokerConfig;
import dev.firebreak.oncall.OnCallConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kill switch's, on-call's and export's settings definitions (here, where all three modules are on the class path): found on the class path, covering every key the configs
 * read (a map with every defined key parses and passes {@link Settings#check}), refusing misspellings.
 */
class AlertingDefinitionsTest {
    private static final List<SettingsDefinition> DEFINITIONS = List.of(new KillSwitchConfig.Definition(),
            new KafkaAclRevokerConfig.Definition(), new SecurityEventConfig.Definition(), new OnCallConfig.Definition(),
            new OcsfExportConfig.Definition());

    private static Map<String, String> killSwitchMinimal() {
        Map<String, String> m = new HashMap<>();
        m.put(KillSwitchConfig.CLUSTER, "main");
        m.put(KillSwitchConfig.PG_URL, "jdbc:postgresql://db:5432/app");
        m.put(KillSwitchConfig.PG_USER, "firebreak");
        m.put(KillSwitchConfig.PG_PASSWORD, "pw");
        m.put(KillSwitchConfig.BOOTSTRAP_SERVERS, "kafka:9092");
        m.put(KillSwitchConfig.SCHEMA_REGISTRY_URL, "http://registry:8080");
        return m;
    }

    /** {@code base} plus every key of {@code definition} not in it, at its default (keys ending in {@code skip} left out). */
    private static Map<String, String> withEveryKey(Map<String, String> base, ConfigDef definition, String skip) {
        Map<String, String> m = new HashMap<>(base);
        definition.configKeys().forEach((name, key) -> {
            if (!m.containsKey(name) && !name.endsWith(skip) && key.defaultValue != null) {
                m.put(name, ConfigDef.convertToString(key.defaultValue, key.type));
            }
        });
        return m;
    }

    @Test
    void everyDefinitionIsOnTheClassPath() {
        List<String> found = Settings.definitions().stream().map(d -> d.getClass().getName()).toList();
        assertThat(found).containsAll(DEFINITIONS.stream().map(d -> d.getClass().getName()).toList());
        assertThat(DEFINITIONS).extracting(SettingsDefinition::stage)
                .containsExactly("killswitch", "killswitch", "killswitch", "oncall", "export");
    }

    @Test
    void theKillSwitchReadsEveryDefinedKeyAndNothingElse() {
        Map<String, String> m = withEveryKey(killSwitchMinimal(), KillSwitchConfig.CONFIG, envSuffix());
        m.put(KillSwitchConfig.COMMAND_VERIFICATION_SECRET, "definitions-test-command-secret-0123456789");
        m.put(KillSwitchConfig.RESULT_SIGNING_SECRET, "definitions-test-result-secret-0123456789");
        m.put(KillSwitchConfig.OPERATOR_SECRET, "operators-secret-for-manual-revokes-0123");
        assertThat(m.keySet()).containsAll(KillSwitchConfig.CONFIG.names().stream()
                .filter(k -> !k.endsWith(envSuffix())).toList());
        KillSwitchConfig c = KillSwitchConfig.fromMap(m);
        assertThat(c.requireOperatorKey()).isNotNull();
        assertThat(c.parallelism()).isEqualTo(KillSwitchConfig.DEFAULT_PARALLELISM);
        assertThatCode(() -> Settings.check(m, DEFINITIONS)).doesNotThrowAnyException();
        // the .env spellings of the secrets are read too (an unset variable is named)
        Map<String, String> env = killSwitchMinimal();
        env.put(KillSwitchConfig.OPERATOR_SECRET + envSuffix(), "FIREBREAK_TEST_SURELY_UNSET_VARIABLE");
        assertThatCode(() -> Settings.check(env, DEFINITIONS)).doesNotThrowAnyException();
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(env)).hasMessageContaining("FIREBREAK_TEST_SURELY_UNSET_VARIABLE");
    }

    private static String envSuffix() {
        return dev.firebreak.schema.signing.SigningKey.ENV_SUFFIX;
    }

    @Test
    void theOtherPartsReadEveryDefinedKey(@TempDir Path dir) throws Exception {
        Map<String, String> kafka = withEveryKey(Map.of(KafkaAclRevokerConfig.CLUSTER, "main",
                KafkaAclRevokerConfig.BOOTSTRAP_SERVERS, "kafka:9092", KafkaAclRevokerConfig.SELF_PRINCIPAL, "User:fb"),
                KafkaAclRevokerConfig.CONFIG, "-");
        assertThat(KafkaAclRevokerConfig.allFromMap(kafka)).singleElement()
                .satisfies(c -> assertThat(c.selfPrincipal()).isEqualTo("User:fb"));

        Map<String, String> onCall = withEveryKey(Map.of(OnCallConfig.ALERTMANAGER_URLS, "http://am:9093",
                OnCallConfig.ENVIRONMENT, "prod", OnCallConfig.BOOTSTRAP_SERVERS, "kafka:9092",
                OnCallConfig.SCHEMA_REGISTRY_URL, "mem://defs"), OnCallConfig.CONFIG, "-");
        assertThat(OnCallConfig.fromMap(onCall)).isPresent();

        Map<String, String> export = withEveryKey(Map.of(OcsfExportConfig.ENABLED, "true",
                OcsfExportConfig.BOOTSTRAP_SERVERS, "kafka:9092", OcsfExportConfig.SCHEMA_REGISTRY_URL, "mem://defs"),
                OcsfExportConfig.CONFIG, "-");
        assertThat(OcsfExportConfig.fromMap(export)).isPresent();

        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        Path pem = Files.writeString(dir.resolve("caep.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(ec.generateKeyPair().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        Map<String, String> caep = withEveryKey(Map.of(SecurityEventConfig.ISSUER, "https://fb.example.com/",
                SecurityEventConfig.KEY_FILE, pem.toString(), SecurityEventConfig.KEY_ID, "k1",
                SecurityEventConfig.RECEIVER + "siem.url", "https://siem.example.com/events"), SecurityEventConfig.CONFIG, "-");
        assertThat(SecurityEventConfig.fromMap(caep, k -> null)).isPresent();

        Map<String, String> all = new HashMap<>(kafka);
        all.putAll(onCall);
        all.putAll(export);
        all.putAll(caep);
        assertThatCode(() -> Settings.check(all, DEFINITIONS)).doesNotThrowAnyException();
    }

    @Test
    void namedBlocksAndPassThroughsAreOpenPrefixes() {
        Map<String, String> m = new HashMap<>();
        m.put("firebreak.killswitch.pg.cluster.eu.url", "jdbc:postgresql://db-eu/app");
        m.put("firebreak.killswitch.kafka.cluster.eu.bootstrap.servers", "k:9092");
        m.put("firebreak.killswitch.kafka.admin.sasl.mechanism", "PLAIN");
        m.put("firebreak.killswitch.webhook.railway.url", "https://hooks.example.com/");
        m.put("firebreak.killswitch.caep.receiver.siem.url", "https://siem.example.com/");
        m.put("firebreak.killswitch.client.security.protocol", "SASL_SSL");
        m.put("firebreak.killswitch.consumer.fetch.min.bytes", "1");
        m.put("firebreak.killswitch.producer.linger.ms", "5");
        m.put("kafka.consumer.session.timeout.ms", "6000");
        m.put("firebreak.oncall.client.security.protocol", "SASL_SSL");
        m.put("firebreak.oncall.consumer.fetch.min.bytes", "1");
        m.put("firebreak.export.client.security.protocol", "SASL_SSL");
        assertThatCode(() -> Settings.check(m, DEFINITIONS)).doesNotThrowAnyException();
    }

    @Test
    void aMisspelledKeyIsRefusedWithTheNearestKnownOne() {
        Map<String, String> typos = Map.of(
                "firebreak.killswitch.pg.protected.role", KillSwitchConfig.PROTECTED_ROLES,
                "firebreak.killswitch.kafka.protected.principal", KafkaAclRevokerConfig.PROTECTED_PRINCIPALS,
                "firebreak.killswitch.caep.isuer", SecurityEventConfig.ISSUER,
                "firebreak.oncall.alertmanager.url", OnCallConfig.ALERTMANAGER_URLS,
                "firebreak.export.ocsf.enable", OcsfExportConfig.ENABLED);
        typos.forEach((typo, meant) -> assertThatThrownBy(() -> Settings.check(Map.of(typo, "x"), DEFINITIONS))
                .as(typo).isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown setting " + typo)
                .hasMessageContaining("did you mean " + meant + "?"));
    }

    @Test
    void theDefinitionsRangesSayWhatTheRecordsSay() {
        Map<String, String> m = killSwitchMinimal();
        m.put(KillSwitchConfig.CONFIRM_TIMEOUT_MS, "0");
        String record = "firebreak.killswitch.pg.confirm.timeout.ms must be 1..60000 (milliseconds), was 0";
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(m)).hasMessageContaining(record);
        assertThatThrownBy(() -> Settings.parse(KillSwitchConfig.CONFIG, m)).isInstanceOf(ConfigException.class)
                .hasMessage(record);
    }

    @Test
    void theOldConsumerAndProducerPrefixesStillWorkTheNewOnesWinNothingConflicts() {
        Map<String, String> m = killSwitchMinimal();
        m.put("kafka.consumer.isolation.level", "read_committed");
        m.put("kafka.producer.compression.type", "lz4");
        m.put("firebreak.killswitch.consumer.fetch.min.bytes", "10");
        m.put(KillSwitchConfig.CLIENT_PREFIX + "fetch.min.bytes", "1");
        KillSwitchConfig c = KillSwitchConfig.fromMap(m);
        assertThat(c.consumerOverrides()).containsEntry("isolation.level", "read_committed")
                .as("the consumer's own key wins over the stage's client key").containsEntry("fetch.min.bytes", "10");
        assertThat(c.producerOverrides()).containsEntry("compression.type", "lz4");

        m.put("kafka.consumer.fetch.min.bytes", "20");
        assertThatThrownBy(() -> KillSwitchConfig.fromMap(m))
                .hasMessageContaining("kafka.consumer.fetch.min.bytes is a deprecated spelling of"
                        + " firebreak.killswitch.consumer.fetch.min.bytes");

        Map<String, String> onCall = new HashMap<>(Map.of(OnCallConfig.ALERTMANAGER_URLS, "http://am:9093",
                OnCallConfig.ENVIRONMENT, "prod", OnCallConfig.BOOTSTRAP_SERVERS, "kafka:9092",
                OnCallConfig.SCHEMA_REGISTRY_URL, "mem://defs", "kafka.consumer.isolation.level", "read_committed",
                "firebreak.oncall.consumer.fetch.max.wait.ms", "100"));
        assertThat(OnCallConfig.fromMap(onCall).orElseThrow().consumerOverrides())
                .containsEntry("isolation.level", "read_committed").containsEntry("fetch.max.wait.ms", "100");
        onCall.put("firebreak.oncall.consumer.group.id", "mine");
        assertThatThrownBy(() -> OnCallConfig.fromMap(onCall))
                .hasMessageContaining("firebreak.oncall.consumer.group.id or kafka.consumer.group.id cannot be overridden");
    }

    @Test
    void secretsMayComeFromTheEnvironment() {
        Map<String, String> m = killSwitchMinimal();
        m.put(KillSwitchConfig.PG_PASSWORD, "${env:PATH}");
        m.put(KillSwitchConfig.PG_CLUSTERS, "eu");
        m.put(KillSwitchConfig.PG_CLUSTER_PREFIX + "eu.url", "jdbc:postgresql://db-eu/app");
        m.put(KillSwitchConfig.PG_CLUSTER_PREFIX + "eu.user", "fb");
        m.put(KillSwitchConfig.PG_CLUSTER_PREFIX + "eu.password", "${env:PATH}");
        KillSwitchConfig c = KillSwitchConfig.fromMap(m);
        assertThat(c.password()).isEqualTo(System.getenv("PATH"));
        assertThat(c.pgClusters().get(1).password()).isEqualTo(System.getenv("PATH"));
        assertThat(c.toString()).doesNotContain(System.getenv("PATH"));
    }
}
