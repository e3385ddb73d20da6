package dev.firebreak.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.config.Settings;
import dev.firebreak.config.SettingsDefinition;
import dev.firebreak.ingest.agent.AgentActionConfig;
import dev.firebreak.ingest.guard.GuardConfig;
import dev.firebreak.ingest.pglog.ServerLogConfig;
import dev.firebreak.ingest.preflight.PreflightConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ingest's definitions against what its config records read. */
class IngestSettingsTest {
    private static List<SettingsDefinition> ingest() {
        return Settings.definitions().stream().filter(d -> d.stage().equals("ingest")).toList();
    }

    @Test
    void everyConfigOfIngestIsRegistered() {
        assertThat(ingest()).extracting(d -> d.definition()).contains(IngestConfig.CONFIG, AgentActionConfig.CONFIG,
                GuardConfig.CONFIG, ServerLogConfig.CONFIG, PreflightConfig.CONFIG);
    }

    @Test
    void aMapWithEveryDefinedKeyParsesAndPassesTheCheck(@TempDir Path dir) throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "file-token-0123456789:deploy-*\n");
        Map<String, String> samples = Map.of(
                IngestConfig.PREFIX + "pg.password", "pw",
                IngestConfig.PREFIX + "slot", "slot_1",
                IngestConfig.CLASSIFIER_RULES_PATH, dir.toString(),
                AgentActionConfig.PREFIX + "http.tokens", "inline-token-0123456789:*",
                AgentActionConfig.PREFIX + "http.tokens.file", tokens.toString(),
                ServerLogConfig.PREFIX + "enabled", "true",
                ServerLogConfig.PREFIX + "data.directory", dir.toString(),
                ServerLogConfig.PREFIX + "position.file", dir.resolve("pos").toString(),
                PreflightConfig.PREFIX + "rules.path", dir.toString());
        Map<String, String> all = everyKey(ingest(), samples);

        assertThatCode(() -> Settings.check(all, ingest())).doesNotThrowAnyException();
        IngestConfig capture = IngestConfig.fromMap(all);
        assertThat(capture.slotName()).isEqualTo("slot_1");
        assertThat(capture.pgPassword()).isEqualTo("pw");
        assertThat(AgentActionConfig.fromMap(all).httpGrants()).hasSize(2);
        assertThat(GuardConfig.fromMap(all)).isEqualTo(GuardConfig.defaults());
        assertThat(ServerLogConfig.fromMap(all).positionFile()).isEqualTo(dir.resolve("pos"));
        assertThat(PreflightConfig.fromMap(all).rulesPath()).isEqualTo(dir);
    }

    @Test
    void aMisspelledKeyIsRefusedWithTheNearestKnownKey() {
        assertThatThrownBy(() -> Settings.check(Map.of("firebreak.ingest.pg.pasword", "x"), ingest()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown setting firebreak.ingest.pg.pasword")
                .hasMessageContaining("did you mean firebreak.ingest.pg.password?");
        assertThatThrownBy(() -> Settings.check(Map.of("firebreak.ingest.agent.http.token", "x"), ingest()))
                .hasMessageContaining("did you mean firebreak.ingest.agent.http.tokens?");
    }

    @Test
    void theOldKafkaSpellingsStillWorkAndDisagreeingWithTheNewOnesFails() {
        Map<String, String> old = Map.of("firebreak.ingest.kafka.bootstrap.servers", "old:9092",
                "firebreak.ingest.kafka.producer.compression.type", "lz4");
        assertThatCode(() -> Settings.check(old, ingest())).doesNotThrowAnyException();
        IngestConfig c = IngestConfig.fromMap(old);
        assertThat(c.bootstrapServers()).isEqualTo("old:9092");
        assertThat(c.producer()).containsEntry("compression.type", "lz4");

        Map<String, String> both = new HashMap<>(old);
        both.put(IngestConfig.BOOTSTRAP_SERVERS, "old:9092");
        assertThat(IngestConfig.fromMap(both).bootstrapServers()).isEqualTo("old:9092");
        both.put(IngestConfig.BOOTSTRAP_SERVERS, "new:9092");
        assertThatThrownBy(() -> IngestConfig.fromMap(both)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("firebreak.ingest.kafka.bootstrap.servers is a deprecated spelling of "
                        + IngestConfig.BOOTSTRAP_SERVERS);
        assertThat(IngestConfig.fromMap(Map.of(IngestConfig.BOOTSTRAP_SERVERS, "new:9092")).bootstrapServers())
                .isEqualTo("new:9092");
    }

    @Test
    void aSecretComesFromTheEnvironment() {
        Map<String, String> resolved = Settings.resolve(Map.of(IngestConfig.PREFIX + "pg.password", "${env:PATH}"));
        assertThat(IngestConfig.fromMap(resolved).pgPassword()).isEqualTo(System.getenv("PATH"));
    }

    /** Every key of {@code definitions}: its default, or the sample where it has none. */
    static Map<String, String> everyKey(List<SettingsDefinition> definitions, Map<String, String> samples) {
        Map<String, String> all = new HashMap<>();
        for (SettingsDefinition d : definitions) {
            d.definition().configKeys().values().forEach(key -> {
                String sample = samples.get(key.name);
                if (sample != null) {
                    all.put(key.name, sample);
                } else {
                    assertThat(key.defaultValue).as("a sample for " + key.name).isNotNull();
                    all.put(key.name, ConfigDef.convertToString(key.defaultValue, key.type));
                }
            });
        }
        return all;
    }
}
