package dev.firebreak.detect;

import static dev.firebreak.detect.DetectionConfig.BOOTSTRAP_SERVERS;
import static dev.firebreak.detect.DetectionConfig.SCHEMA_REGISTRY_URL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.rules.DetectionRule;
import dev.firebreak.rules.RuleMatch;
import dev.firebreak.rules.RulesFileException;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DetectionConfigTest {
    private static final Map<String, String> MINIMAL = Map.of(
            BOOTSTRAP_SERVERS, "localhost:9092", SCHEMA_REGISTRY_URL, "http://localhost:8081");

    @Test
    void theCommandSigningSecretIsRequiredToRunAndNeverPrinted() {
        assertThatThrownBy(() -> DetectionConfig.fromMap(MINIMAL).requireCommandSigningKey())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("firebreak.detection.command.signing.secret (or firebreak.detection.command.signing.secret.env) is required");
        assertThatThrownBy(() -> DetectionConfig.fromMap(with(DetectionConfig.COMMAND_SIGNING_SECRET, "too-short")))
                .hasMessageContaining("at least 32 characters").hasMessageNotContaining("too-short");
        DetectionConfig config = DetectionConfig.fromMap(with(DetectionConfig.COMMAND_SIGNING_SECRET, TestSigning.SECRET));
        assertThat(config.requireCommandSigningKey()).isNotNull();
        assertThat(config.toString()).doesNotContain(TestSigning.SECRET);
    }

    @Test
    void defaultsNeedOnlyKafkaAndTheRegistry() {
        DetectionConfig config = DetectionConfig.fromMap(MINIMAL);
        assertThat(config.applicationId()).isEqualTo("firebreak-detection");
        assertThat(config.stateDir()).isEqualTo(DetectionConfig.DEFAULT_STATE_DIR);
        assertThat(config.rules()).extracting(DetectionRule::id).containsExactly("pg-drop-table-burst",
                "pg-drop-table-slow-burn", "pg-drop-database", "pg-mass-row-change", "pg-whole-table-delete",
                "pg-truncate-burst", "pg-column-drop-burst", "pg-grant-to-public", "pg-superuser-granted", "agent-destructive-action", "agent-destructive-burst",
                "agent-preflight-denied", "agent-preflight-ask", "pg-guard-refused", "pg-guard-refusal-burst", "pg-capture-tampering", "pg-routine-row-deletion",
                "pg-routine-destruction");
        assertThat(config.kafka()).isEmpty();
    }

    /** The bundled drop-table rule is exactly the rule that ran before rules were data. */
    @Test
    void bundledDropTableRuleIsTheDefaultRule() {
        DetectionRule bundled = DetectionConfig.fromMap(MINIMAL).rules().get(0);
        DetectionRule d = DetectionRule.defaults();
        assertThat(bundled.id()).isEqualTo(d.id());
        assertThat(bundled.match()).isEqualTo(d.match());
        assertThat(bundled.measure()).isEqualTo(d.measure());
        assertThat(bundled.threshold()).isEqualTo(d.threshold());
        assertThat(bundled.window()).isEqualTo(d.window());
        assertThat(bundled.episodeQuiet()).isEqualTo(d.episodeQuiet());
        assertThat(bundled.grace()).isEqualTo(d.grace());
        assertThat(bundled.severity()).isEqualTo(d.severity());
        assertThat(bundled.response()).isEqualTo(d.response());
        assertThat(bundled.shadow()).isFalse();
        assertThat(bundled.maxTrackedEvents()).isEqualTo(d.maxTrackedEvents());
        assertThat(bundled.exceptions()).isEmpty();
    }

    @Test
    void streamsPropertiesAreTunedForLatency() {
        Properties props = DetectionConfig.fromMap(MINIMAL).toStreamsProperties();
        assertThat(props).containsEntry("application.id", "firebreak-detection")
                .containsEntry("bootstrap.servers", "localhost:9092")
                .containsEntry("statestore.cache.max.bytes", Long.toString(10L * 1024 * 1024))
                .containsEntry("producer.linger.ms", "0")
                .doesNotContainKey("consumer.fetch.max.wait.ms")
                .containsEntry("commit.interval.ms", "100")
                .containsEntry("poll.ms", "100")
                .containsEntry("num.standby.replicas", "1")
                .containsEntry("processing.guarantee", "exactly_once_v2")
                .containsEntry("topology.optimization", "all")
                .containsEntry("ensure.explicit.internal.resource.naming", "true")
                .containsEntry("deserialization.exception.handler",
                        RegistryOutageHandler.class.getName());
    }

    @Test
    void standbyReplicasPassThrough() {
        Map<String, String> none = new java.util.HashMap<>(MINIMAL);
        none.put("firebreak.detection.streams.num.standby.replicas", "0");
        assertThat(DetectionConfig.fromMap(none).toStreamsProperties()).containsEntry("num.standby.replicas", "0");
    }

    @Test
    void theProcessingGuaranteeIsAValidatedKey() {
        Map<String, String> alos = new java.util.HashMap<>(MINIMAL);
        alos.put(DetectionConfig.PROCESSING_GUARANTEE, "at_least_once");
        assertThat(DetectionConfig.fromMap(alos).toStreamsProperties()).containsEntry("processing.guarantee", "at_least_once");

        Map<String, String> bad = new java.util.HashMap<>(MINIMAL);
        bad.put(DetectionConfig.PROCESSING_GUARANTEE, "exactly_once");
        assertThatThrownBy(() -> DetectionConfig.fromMap(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("firebreak.detection.processing.guarantee=exactly_once is invalid; allowed: exactly_once_v2, at_least_once");
        Map<String, String> passThrough = new java.util.HashMap<>(MINIMAL);
        passThrough.put("kafka.processing.guarantee", "at_least_once");
        assertThatThrownBy(() -> DetectionConfig.fromMap(passThrough)).hasMessageContaining(DetectionConfig.PROCESSING_GUARANTEE);
    }

    @Test
    void reissueNeedsTheResultVerificationSecretAndIsCapped() {
        assertThat(DetectionConfig.fromMap(MINIMAL).reissue().enabled()).as("no key: no result is trusted").isFalse();
        Map<String, String> on = new java.util.HashMap<>(MINIMAL);
        on.put(DetectionConfig.RESULT_VERIFICATION_SECRET, "result-secret-for-this-test-0123456789");
        ReissuePolicy policy = DetectionConfig.fromMap(on).reissue();
        assertThat(policy.enabled()).isTrue();
        assertThat(policy.max()).isEqualTo(ReissuePolicy.DEFAULT_MAX);
        assertThat(policy.toString()).doesNotContain("result-secret");
        on.put(DetectionConfig.REISSUE_MAX, "0");
        assertThat(DetectionConfig.fromMap(on).reissue().enabled()).isFalse();
        on.put(DetectionConfig.REISSUE_MAX, "101");
        assertThatThrownBy(() -> DetectionConfig.fromMap(on))
                .hasMessage("firebreak.detection.reissue.max=101 is invalid; allowed: an integer 0..100 (0: never re-issue)");
        on.put(DetectionConfig.REISSUE_MAX, "three");
        assertThatThrownBy(() -> DetectionConfig.fromMap(on)).hasMessageContaining(DetectionConfig.REISSUE_MAX);
    }

    @Test
    void readsTheRulesPathAndPassesKafkaKeysThrough(@TempDir Path dir) throws IOException {
        Path rules = Files.writeString(dir.resolve("only.yaml"), """
                rules:
                  - id: pg-drop-burst
                    description: tables or views dropped
                    match: {action_regex: "DROP .*", object_type: [table, view]}
                    measure: objects
                    threshold: 5
                    window: 500ms
                    episode_quiet: PT1M
                    grace: 0s
                    severity: high
                    response: alert
                    max_tracked_events: 500
                """);
        Map<String, String> map = new HashMap<>(MINIMAL);
        map.put("firebreak.detection.application.id", "detect-eu");
        map.put("firebreak.detection.state.dir", "/var/lib/firebreak");
        map.put("firebreak.detection.rules.path", rules.toString());
        map.put("firebreak.detection.streams.num.stream.threads", "2");
        map.put("firebreak.detection.streams.commit.interval.ms", "50");
        map.put("unrelated.key", "ignored");

        DetectionConfig config = DetectionConfig.fromMap(map);
        assertThat(config.applicationId()).isEqualTo("detect-eu");
        assertThat(config.stateDir()).isEqualTo(Path.of("/var/lib/firebreak"));
        assertThat(config.rules()).containsExactly(new DetectionRule("pg-drop-burst", "tables or views dropped", null,
                RuleMatch.builder().actionRegex("DROP .*").objectTypes(Set.of("table", "view")).build(),
                DetectionRule.Measure.OBJECTS, 5, Duration.ofMillis(500), Duration.ofMinutes(1), Duration.ZERO,
                Severity.HIGH, Response.ALERT_ONLY, false, List.of(), DetectionRule.Maturity.STABLE, 500, List.of()));
        assertThat(config.toStreamsProperties()).containsEntry("num.stream.threads", "2")
                .containsEntry("commit.interval.ms", "50");

        map.put("firebreak.detection.rules.path", dir.toString());
        assertThat(DetectionConfig.fromMap(map).rules()).extracting(DetectionRule::id).containsExactly("pg-drop-burst");
    }

    @Test
    void badRulesFailWithFileLineAndReason(@TempDir Path dir) throws IOException {
        Path rules = Files.writeString(dir.resolve("bad.yaml"), """
                rules:
                  - id: r
                    description: d
                    match: {action: [TRUNCATE]}
                    threshold: 0
                    window: 1s
                    severity: high
                    response: alert
                """);
        assertThatThrownBy(() -> DetectionConfig.fromMap(with("firebreak.detection.rules.path", rules.toString())))
                .isInstanceOf(RulesFileException.class)
                .hasMessageContaining(rules + ":5: rule 'r': threshold=0 is invalid; allowed: an integer >= 1");
        assertThatThrownBy(() -> DetectionConfig.fromMap(with("firebreak.detection.rules.path", dir + "/missing")))
                .isInstanceOf(RulesFileException.class)
                .hasMessageContaining(dir + "/missing: no such rule file or directory");
    }

    @Test
    void badValuesNameTheKeyAndWhatIsAllowed() {
        assertFails(Map.of(BOOTSTRAP_SERVERS, "localhost:9092"),
                "firebreak.detection.schema.registry.url is required; allowed: http://..., https://..., mem://<scope>");
        assertFails(with(SCHEMA_REGISTRY_URL, "ftp://registry"),
                "firebreak.detection.schema.registry.url=ftp://registry is invalid; allowed: http://..., https://..., mem://<scope>");
        assertFails(with("firebreak.detection.application.id", "my app"),
                "firebreak.detection.application.id=my app is invalid; allowed: 1 to 200 of A-Z a-z 0-9 . _ -");
    }

    @Test
    void unknownDetectionKeysAndReservedKafkaKeysFail() {
        assertThatThrownBy(() -> DetectionConfig.fromMap(with("firebreak.detection.rules.pth", "/etc/rules")))
                .hasMessageStartingWith("unknown key firebreak.detection.rules.pth; allowed: ")
                .hasMessageContaining("firebreak.detection.rules.path");
        // The single-rule keys are gone: rules are YAML now. A leftover key fails instead of being ignored.
        assertThatThrownBy(() -> DetectionConfig.fromMap(with("firebreak.detection.rule.threshold", "3")))
                .hasMessageStartingWith("unknown key firebreak.detection.rule.threshold; allowed: ");
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

    @Test
    void principalLabelLimitIsReadFromTheSharedMetricsKey() {
        assertThat(DetectionConfig.fromMap(MINIMAL).principalLabelLimit()).isEqualTo(200);
        Map<String, String> flat = new HashMap<>(MINIMAL);
        flat.put("firebreak.metrics.principal.label.limit", "50");
        assertThat(DetectionConfig.fromMap(flat).principalLabelLimit()).isEqualTo(50);
        flat.put("firebreak.metrics.principal.label.limit", "lots");
        assertThatThrownBy(() -> DetectionConfig.fromMap(flat))
                .hasMessageContaining("firebreak.metrics.principal.label.limit").hasMessageContaining("0..10000");
    }

    @Test
    void detectionsOwnClientSettingsReachStreamsAndTheSharedPassThroughWins() {
        Map<String, String> m = new HashMap<>(MINIMAL);
        m.put(DetectionConfig.CLIENT_PREFIX + "sasl.mechanism", "SCRAM-SHA-512");
        m.put(DetectionConfig.CLIENT_PREFIX + "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"kafka-pw\";");
        m.put(DetectionConfig.CLIENT_PREFIX + "client.id", "from-client");
        m.put("kafka.client.id", "from-kafka");
        Properties props = DetectionConfig.fromMap(m).toStreamsProperties();
        assertThat(props).containsEntry("sasl.mechanism", "SCRAM-SHA-512").containsEntry("client.id", "from-kafka");
        assertThatThrownBy(() -> DetectionConfig.fromMap(with(DetectionConfig.CLIENT_PREFIX + "bootstrap.servers", "x:1")))
                .hasMessageContaining("firebreak.detection.client.bootstrap.servers");
    }
}
