package dev.firebreak.killswitch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.stage.Health;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KillSwitchStageTest {

    private static Map<String, String> settings() {
        Map<String, String> m = new HashMap<>();
        m.put("firebreak.killswitch.pg.cluster", "main");
        m.put("firebreak.killswitch.pg.url", "jdbc:postgresql://db-main:5432/app");
        m.put("firebreak.killswitch.pg.user", "firebreak");
        m.put("firebreak.killswitch.pg.password", "main-pw");
        m.put("firebreak.killswitch.bootstrap.servers", "kafka:9092");
        m.put("firebreak.killswitch.schema.registry.url", "http://registry:8080");
        return m;
    }

    @Test
    void isBuiltFromSettingsWithoutConnectingAndSaysWhereItRevokes() {
        KillSwitchStage stage = KillSwitchStage.create(settings(), new SimpleMeterRegistry());
        assertThat(stage.name()).isEqualTo("killswitch");
        assertThat(stage.health()).isEqualTo(Health.starting("not started"));
        assertThat(stage.describe()).containsExactly(
                "kill switch consuming commands, holding a connection to jdbc:postgresql://db-main:5432/app");
    }

    @Test
    void closesBeforeStartAndTwiceAndThenRefusesToStart() {
        KillSwitchStage stage = KillSwitchStage.create(settings(), new SimpleMeterRegistry());
        stage.close();
        stage.close();
        assertThatThrownBy(() -> stage.start(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aBadSettingFailsWhenBuilt() {
        Map<String, String> bad = settings();
        bad.put("firebreak.killswitch.pg.url", "postgres://db");
        assertThatThrownBy(() -> KillSwitchStage.create(bad, new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jdbc:postgresql://");
    }
}
