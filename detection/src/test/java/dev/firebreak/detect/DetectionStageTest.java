package dev.firebreak.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.stage.Health;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DetectionStageTest {
    private static final Map<String, String> SETTINGS = Map.of(DetectionConfig.BOOTSTRAP_SERVERS, "kafka:9092",
            DetectionConfig.SCHEMA_REGISTRY_URL, "mem://detection-stage-test");

    @Test
    void isBuiltFromSettingsWithoutConnectingAndListsItsRules() {
        DetectionStage stage = DetectionStage.create(SETTINGS, new SimpleMeterRegistry());
        assertThat(stage.name()).isEqualTo("detection");
        assertThat(stage.health()).isEqualTo(Health.starting("not started"));
        int rules = DetectionConfig.fromMap(SETTINGS).rules().size();
        assertThat(stage.describe()).singleElement().asString()
                .startsWith("detection running " + rules + " rules: ")
                .contains("pg-drop-table-burst (revoke)");
    }

    @Test
    void closesBeforeStartAndTwiceAndThenRefusesToStart() {
        DetectionStage stage = DetectionStage.create(SETTINGS, new SimpleMeterRegistry());
        stage.close();
        stage.close();
        assertThatThrownBy(() -> stage.start(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class);
    }
}
