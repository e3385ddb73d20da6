package dev.firebreak.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.stage.Health;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IngestStageTest {
    private static final Map<String, String> SETTINGS = Map.of("firebreak.ingest.cluster", "prod-eu");

    @Test
    void isBuiltFromSettingsWithoutConnecting() {
        IngestStage stage = IngestStage.create(SETTINGS, new SimpleMeterRegistry());
        assertThat(stage.name()).isEqualTo("ingest");
        assertThat(stage.health()).isEqualTo(Health.starting("not started"));
        assertThat(stage.agentBaseUrl()).as("no endpoint before start").isEmpty();
        assertThat(stage.describe()).first().isEqualTo("capture streaming from slot firebreak_prod_eu (Debezium pgoutput, poll.interval.ms=1)");
        assertThat(stage.describe()).last().asString().startsWith("guard: ").contains(" rules enforced inside PostgreSQL for ");
    }

    @Test
    void aBadSettingFailsWhenBuilt() {
        assertThatThrownBy(() -> IngestStage.create(Map.of("firebreak.ingest.cluster", "Prod EU"), new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theClassifierRulesComeFromTheirKeyAndAMissingFileFailsWhenBuilt() {
        assertThatThrownBy(() -> IngestStage.create(Map.of("firebreak.ingest.cluster", "prod-eu",
                "firebreak.ingest.classifier.rules.path", "/nonexistent/actions.yaml"), new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("firebreak.ingest.classifier.rules.path=/nonexistent/actions.yaml is invalid");
    }

    @Test
    void closesBeforeStartAndTwiceAndThenRefusesToStart() {
        IngestStage stage = IngestStage.create(SETTINGS, new SimpleMeterRegistry());
        stage.close();
        stage.close();
        assertThatThrownBy(() -> stage.start(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class);
    }
}
