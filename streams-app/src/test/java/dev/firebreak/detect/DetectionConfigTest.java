package dev.firebreak.detect;

import static dev.firebreak.detect.DetectionConfig.BOOTSTRAP_SERVERS;
import static dev.firebreak.detect.DetectionConfig.SCHEMA_REGISTRY_URL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class DetectionConfigTest {
    private static final Map<String, String> MINIMAL = Map.of(
            BOOTSTRAP_SERVERS, "localhost:9092", SCHEMA_REGISTRY_URL, "http://localhost:8081");

    @Test
    void defaultsNeedOnlyKafkaAndTheRegistry() {
        DetectionConfig config = DetectionConfig.fromMap(MINIMAL);
        assertThat(config.applicationId()).isEqualTo("firebreak-detection");
        assertThat(config.stateDir()).isEqualTo(DetectionConfig.DEFAULT_STATE_DIR);
        assertThat(config.rules()).containsExactly(DropBurstRule.defaults());
        assertThat(config.kafka()).isEmpty();
    }

    @Test
    void streamsPropertiesAreTunedForLatency() {
        Properties props = DetectionConfig.fromMap(MINIMAL).toStreamsProperties();
        assertThat(props).containsEntry("application.id", "firebreak-detection")
                .containsEntry("bootstrap.servers", "localhost:9092")
                .containsEntry("statestore.cache.max.bytes", "0")
                .containsEntry("producer.linger.ms", "0")
                .containsEntry("consumer.fetch.max.wait.ms", "5")
                .containsEntry("commit.interval.ms", "100")
                .containsEntry("num.standby.replicas", "0")
                .containsEntry("processing.guarantee", "at_least_once")
                .containsEntry("topology.optimization", "all")
                .containsEntry("ensure.explicit.internal.resource.naming", "true")
                .containsEntry("deserialization.exception.handler",
                        "org.apache.kafka.streams.errors.LogAndContinueExceptionHandler");
    }

    @Test
    void readsEveryRuleKeyAndPassesKafkaKeysThrough() {
        Map<String, String> map = new HashMap<>(MINIMAL);
        map.put("firebreak.detection.application.id", "detect-eu");
        map.put("firebreak.detection.state.dir", "/var/lib/firebreak");
        map.put("firebreak.detection.rule.id", "pg-drop-burst");
        map.put("firebreak.detection.rule.object.types", "table, view");
        map.put("firebreak.detection.rule.threshold", "5");
        map.put("firebreak.detection.rule.window", "500ms");
        map.put("firebreak.detection.rule.episode.quiet", "PT1M");
        map.put("firebreak.detection.rule.grace", "0s");
        map.put("firebreak.detection.rule.severity", "high");
        map.put("firebreak.detection.rule.response", "alert_only");
        map.put("firebreak.detection.rule.max.tracked.events", "500");
        map.put("kafka.num.stream.threads", "2");
        map.put("kafka.commit.interval.ms", "50");
        map.put("unrelated.key", "ignored");

        DetectionConfig config = DetectionConfig.fromMap(map);
        assertThat(config.applicationId()).isEqualTo("detect-eu");
        assertThat(config.stateDir()).isEqualTo(Path.of("/var/lib/firebreak"));
        assertThat(config.rules()).containsExactly(new DropBurstRule("pg-drop-burst", java.util.Set.of("table", "view"),
                5, Duration.ofMillis(500), Duration.ofMinutes(1), Duration.ZERO, Severity.HIGH, Response.ALERT_ONLY, 500));
        assertThat(config.toStreamsProperties()).containsEntry("num.stream.threads", "2")
                .containsEntry("commit.interval.ms", "50");
    }

    @Test
    void badValuesNameTheKeyAndWhatIsAllowed() {
        assertFails(Map.of(BOOTSTRAP_SERVERS, "localhost:9092"),
                "firebreak.detection.schema.registry.url is required; allowed: http://..., https://..., mem://<scope>");
        assertFails(with(SCHEMA_REGISTRY_URL, "ftp://registry"),
                "firebreak.detection.schema.registry.url=ftp://registry is invalid; allowed: http://..., https://..., mem://<scope>");
        assertFails(with("firebreak.detection.rule.threshold", "three"),
                "firebreak.detection.rule.threshold=three is invalid; allowed: an integer");
        assertFails(with("firebreak.detection.rule.threshold", "0"),
                "firebreak.detection.rule.threshold=0 is invalid; allowed: an integer >= 1");
        assertFails(with("firebreak.detection.rule.severity", "loud"),
                "firebreak.detection.rule.severity=loud is invalid; allowed: INFO, WARNING, HIGH, CRITICAL");
        assertFails(with("firebreak.detection.rule.response", "kill"),
                "firebreak.detection.rule.response=kill is invalid; allowed: ALERT_ONLY, REVOKE");
        assertFails(with("firebreak.detection.rule.window", "1 fortnight"),
                "firebreak.detection.rule.window=1 fortnight is invalid; allowed: a duration such as 500ms, 1s, 2m, 1h or PT1S");
        assertFails(with("firebreak.detection.rule.episode.quiet", "100ms"),
                "firebreak.detection.rule.episode.quiet=PT0.1S is invalid; allowed: a duration from PT1S to PT24H");
        assertFails(with("firebreak.detection.application.id", "my app"),
                "firebreak.detection.application.id=my app is invalid; allowed: 1 to 200 of A-Z a-z 0-9 . _ -");
    }

    @Test
    void unknownDetectionKeysAndReservedKafkaKeysFail() {
        assertThatThrownBy(() -> DetectionConfig.fromMap(with("firebreak.detection.rule.treshold", "3")))
                .hasMessageStartingWith("unknown key firebreak.detection.rule.treshold; allowed: ")
                .hasMessageContaining("firebreak.detection.rule.threshold");
        assertFails(with("kafka.application.id", "other"),
                "kafka.application.id is not allowed; set firebreak.detection.application.id instead");
    }

    private static Map<String, String> with(String key, String value) {
        Map<String, String> map = new HashMap<>(MINIMAL);
        map.put(key, value);
        return map;
    }

    private static void assertFails(Map<String, String> map, String message) {
        assertThatThrownBy(() -> DetectionConfig.fromMap(map))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }
}
