package dev.firebreak.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
    private static final SettingsDefinition INGEST = new SettingsDefinition() {
        @Override
        public String stage() {
            return "ingest";
        }

        @Override
        public String title() {
            return "Capture";
        }

        @Override
        public ConfigDef definition() {
            return new ConfigDef()
                    .define("firebreak.ingest.slot.name", ConfigDef.Type.STRING, "firebreak", ConfigDef.Importance.HIGH, "slot")
                    .define("firebreak.ingest.poll.interval.ms", ConfigDef.Type.LONG, 10L, ConfigDef.Range.between(1, 60_000),
                            ConfigDef.Importance.LOW, "poll");
        }

        @Override
        public Map<String, String> openPrefixes() {
            return Map.of("firebreak.ingest.debezium.", "Debezium properties");
        }
    };

    @Test
    void aMisspelledKeyIsRefusedWithTheNearestKnownKey() {
        assertThatThrownBy(() -> Settings.check(Map.of("firebreak.ingest.slot.nmae", "x"), List.of(INGEST)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown setting firebreak.ingest.slot.nmae")
                .hasMessageContaining("did you mean firebreak.ingest.slot.name?")
                .hasMessageContaining(Settings.REFERENCE);
    }

    @Test
    void aKeyOutsideEveryNamespaceIsRefused() {
        assertThatThrownBy(() -> Settings.check(Map.of("firebreak.ingset.slot.name", "x"), List.of(INGEST)))
                .hasMessageContaining("unknown setting firebreak.ingset.slot.name");
        assertThatThrownBy(() -> Settings.check(Map.of("bootstrap.servers", "x"), List.of(INGEST)))
                .hasMessageContaining("unknown setting bootstrap.servers");
    }

    @Test
    void definedKeysOpenPrefixesAndAbsentStagesPass() {
        assertThatCode(() -> Settings.check(Map.of(
                "firebreak.ingest.slot.name", "s",
                "firebreak.ingest.debezium.snapshot.mode", "never",
                // detection's module is not among the definitions: detection judges its own keys
                "firebreak.detection.whatever", "x"), List.of(INGEST))).doesNotThrowAnyException();
    }

    @Test
    void parseAppliesDefaultsAndValidators() {
        AbstractConfig parsed = Settings.parse(INGEST.definition(), Map.of("firebreak.ingest.slot.name", "s2", "other", "x"));
        assertThat(parsed.getString("firebreak.ingest.slot.name")).isEqualTo("s2");
        assertThat(parsed.getLong("firebreak.ingest.poll.interval.ms")).isEqualTo(10L);
        assertThatThrownBy(() -> Settings.parse(INGEST.definition(), Map.of("firebreak.ingest.poll.interval.ms", "0")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("firebreak.ingest.poll.interval.ms");
    }

    @Test
    void secretsComeFromTheEnvironmentAndFromMountedFiles(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("db_password"), "s3cret\n");
        Path file = dir.resolve("firebreak.properties");
        Files.writeString(file, "a=${dir:" + dir + ":db_password}\nb=${env:PATH}\nc=plain\n");
        Map<String, String> settings = Settings.load(file);
        assertThat(settings).containsEntry("a", "s3cret").containsEntry("b", System.getenv("PATH")).containsEntry("c", "plain");
    }

    @Test
    void anUnreadableSecretFailsNamingTheKeyNotTheValue(@TempDir Path dir) {
        assertThatThrownBy(() -> Settings.resolve(Map.of("firebreak.ingest.pg.password", "${env:FIREBREAK_NO_SUCH_VARIABLE_42}")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("firebreak.ingest.pg.password");
    }
}
