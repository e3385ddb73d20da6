package dev.firebreak.oncall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.stage.Health;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OnCallStageTest {
    private static final Map<String, String> PAGING = Map.of(OnCallConfig.ALERTMANAGER_URLS, "http://am-1:9093,http://am-2:9093",
            OnCallConfig.ENVIRONMENT, "prod", OnCallConfig.BOOTSTRAP_SERVERS, "kafka:9092",
            OnCallConfig.SCHEMA_REGISTRY_URL, "http://registry:8080");

    @Test
    void isOptionalBesideTheOtherStagesButRequiredAsAService() {
        assertThat(OnCallStage.optional(Map.of(), new SimpleMeterRegistry())).isEmpty();
        assertThatThrownBy(() -> OnCallStage.create(Map.of(), new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("firebreak.oncall.alertmanager.urls is required for the oncall service: http(s)://<alertmanager>[,...]");
    }

    @Test
    void isBuiltFromSettingsWithoutConnecting() {
        OnCallStage stage = OnCallStage.create(PAGING, new SimpleMeterRegistry());
        assertThat(stage.name()).isEqualTo("oncall");
        assertThat(stage.health()).isEqualTo(Health.starting("not started"));
        assertThat(stage.describe()).containsExactly("paging through Alertmanager at [http://am-1:9093, http://am-2:9093]");
        stage.close();
        stage.close();
    }
}
