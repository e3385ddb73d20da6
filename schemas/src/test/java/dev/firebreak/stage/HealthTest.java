package dev.firebreak.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class HealthTest {

    @Test
    void aStageThatIsNotLiveCannotBeReady() {
        assertThatThrownBy(() -> new Health(false, true, "")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void factoriesSayLiveAndReady() {
        assertThat(Health.up()).isEqualTo(new Health(true, true, ""));
        assertThat(Health.starting("x")).isEqualTo(new Health(true, false, "x"));
        assertThat(Health.failed("y")).isEqualTo(new Health(false, false, "y"));
    }

    @Test
    void noStagesAreTriviallyUp() {
        assertThat(Health.of(List.of())).isEqualTo(Health.up());
    }
}
