package dev.firebreak.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

class DeprecatedKeysTest {
    private static final Map<String, String> ALIASES = Map.of("firebreak.ingest.kafka.bootstrap.servers",
            "firebreak.ingest.bootstrap.servers", "kafka.", "firebreak.detection.streams.");

    @Test
    void oldKeysAndPrefixesAreRenamed() {
        Map<String, String> out = DeprecatedKeys.canonical(Map.of("firebreak.ingest.kafka.bootstrap.servers", "k:9092",
                "kafka.num.stream.threads", "2", "other", "x"), ALIASES);
        assertThat(out).containsOnly(Map.entry("firebreak.ingest.bootstrap.servers", "k:9092"),
                Map.entry("firebreak.detection.streams.num.stream.threads", "2"), Map.entry("other", "x"));
    }

    @Test
    void bothSpellingsWithTheSameValueAreFineWithDifferentValuesFail() {
        assertThat(DeprecatedKeys.canonical(Map.of("kafka.poll.ms", "5", "firebreak.detection.streams.poll.ms", "5"), ALIASES))
                .containsOnly(Map.entry("firebreak.detection.streams.poll.ms", "5"));
        assertThatThrownBy(() -> DeprecatedKeys.canonical(Map.of("kafka.poll.ms", "5",
                "firebreak.detection.streams.poll.ms", "7"), ALIASES))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kafka.poll.ms is a deprecated spelling of firebreak.detection.streams.poll.ms");
    }

    @Test
    void checkAcceptsDeclaredAliases() {
        SettingsDefinition def = new DeclaredSettings("ingest", "Capture", new ConfigDef()
                .define("firebreak.ingest.bootstrap.servers", ConfigDef.Type.STRING, "x", ConfigDef.Importance.HIGH, "d"),
                Map.of(), Map.of("firebreak.ingest.kafka.bootstrap.servers", "firebreak.ingest.bootstrap.servers",
                "firebreak.ingest.kafka.producer.", "firebreak.ingest.producer.")) { };
        assertThatCode(() -> Settings.check(Map.of("firebreak.ingest.kafka.bootstrap.servers", "k",
                "firebreak.ingest.kafka.producer.acks", "all"), List.of(def))).doesNotThrowAnyException();
        assertThatThrownBy(() -> Settings.check(Map.of("firebreak.ingest.kafka.bootstrap.server", "k"), List.of(def)))
                .hasMessageContaining("unknown setting firebreak.ingest.kafka.bootstrap.server");
    }
}
