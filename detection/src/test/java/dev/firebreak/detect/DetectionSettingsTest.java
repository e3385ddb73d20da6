package dev.firebreak.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.config.Settings;
import dev.firebreak.config.SettingsDefinition;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detection's definition against what {@link DetectionConfig#fromMap} reads. */
class DetectionSettingsTest {
    private static List<SettingsDefinition> detection() {
        return Settings.definitions().stream().filter(d -> d.stage().equals("detection")).toList();
    }

    @Test
    void aMapWithEveryDefinedKeyParsesAndPassesTheCheck(@TempDir Path dir) {
        String secret = TestSigning.SECRET;
        Map<String, String> all = new HashMap<>();
        detection().get(0).definition().configKeys().values().forEach(key -> {
            if (key.defaultValue != null) {
                all.put(key.name, ConfigDef.convertToString(key.defaultValue, key.type));
            }
        });
        all.put(DetectionConfig.BOOTSTRAP_SERVERS, "k:9092");
        all.put(DetectionConfig.SCHEMA_REGISTRY_URL, "mem://settings");
        all.put(DetectionConfig.STATE_DIR, dir.toString());
        all.put(DetectionConfig.COMMAND_SIGNING_SECRET, secret);
        all.put(DetectionConfig.RESULT_VERIFICATION_SECRET, secret);
        all.put(DetectionConfig.STREAMS_PREFIX + "num.stream.threads", "2");
        all.put(DetectionConfig.CLIENT_PREFIX + "security.protocol", "PLAINTEXT");
        // .env keys: the other spelling of the two secrets (exactly one of each pair may be set)
        assertThat(all.keySet()).containsAll(DetectionConfig.CONFIG.names().stream()
                .filter(k -> !k.endsWith(".env") && !k.equals(DetectionConfig.RULES_PATH)).toList());

        assertThatCode(() -> Settings.check(all, detection())).doesNotThrowAnyException();
        DetectionConfig c = DetectionConfig.fromMap(all);
        assertThat(c.toStreamsProperties()).containsEntry("num.stream.threads", "2").containsEntry("security.protocol", "PLAINTEXT");
        assertThat(c.reissue().enabled()).isTrue();
    }

    @Test
    void aMisspelledKeyIsRefusedByTheCheck() {
        assertThatThrownBy(() -> Settings.check(Map.of("firebreak.detection.state.dri", "/x"), detection()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("did you mean firebreak.detection.state.dir?");
    }

    @Test
    void topLevelKafkaKeysStillReachStreamsAndDisagreeingWithTheNewPrefixFails() {
        Map<String, String> m = new HashMap<>(Map.of(DetectionConfig.BOOTSTRAP_SERVERS, "k:9092",
                DetectionConfig.SCHEMA_REGISTRY_URL, "mem://x", "kafka.poll.ms", "7"));
        assertThat(DetectionConfig.fromMap(m).toStreamsProperties()).containsEntry("poll.ms", "7");
        m.put(DetectionConfig.STREAMS_PREFIX + "poll.ms", "7");
        assertThat(DetectionConfig.fromMap(m).toStreamsProperties()).containsEntry("poll.ms", "7");
        m.put(DetectionConfig.STREAMS_PREFIX + "poll.ms", "9");
        assertThatThrownBy(() -> DetectionConfig.fromMap(m)).hasMessageContaining("kafka.poll.ms is a deprecated spelling of");
        m.remove("kafka.poll.ms");
        assertThat(DetectionConfig.fromMap(m).toStreamsProperties()).containsEntry("poll.ms", "9");
        m.put(DetectionConfig.STREAMS_PREFIX + "application.id", "x");
        assertThatThrownBy(() -> DetectionConfig.fromMap(m))
                .hasMessage("firebreak.detection.streams.application.id is not allowed; set firebreak.detection.application.id instead");
    }

    @Test
    void theSigningSecretComesFromTheEnvironmentThroughAConfigProvider() {
        // PATH is long enough to be a key; what matters is that the provider's value is what is used.
        Map<String, String> m = Settings.resolve(Map.of(DetectionConfig.BOOTSTRAP_SERVERS, "k:9092",
                DetectionConfig.SCHEMA_REGISTRY_URL, "mem://x", DetectionConfig.COMMAND_SIGNING_SECRET, "${env:PATH}"));
        assertThat(m.get(DetectionConfig.COMMAND_SIGNING_SECRET)).isEqualTo(System.getenv("PATH"));
        assertThat(DetectionConfig.fromMap(m).requireCommandSigningKey()).isNotNull();
    }
}
