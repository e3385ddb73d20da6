package dev.firebreak.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class BoundedLabelTest {

    @Test
    void firstValuesKeepTheirLabelAndLaterOnesShareOther() {
        BoundedLabel label = new BoundedLabel(2);
        assertThat(label.of("pg:prod/alice")).isEqualTo("pg:prod/alice");
        assertThat(label.of("pg:prod/bob")).isEqualTo("pg:prod/bob");
        assertThat(label.of("pg:prod/carol")).isEqualTo(BoundedLabel.OTHER);
        assertThat(label.of("pg:prod/alice")).as("admitted stays admitted").isEqualTo("pg:prod/alice");
        assertThat(label.of(null)).isEqualTo(BoundedLabel.OTHER);
    }

    @Test
    void limitComesFromTheSettingWithADefault() {
        assertThat(BoundedLabel.principals(Map.of()).limit()).isEqualTo(200);
        assertThat(BoundedLabel.principals(Map.of(BoundedLabel.PRINCIPAL_LIMIT_KEY, " 5 ")).limit()).isEqualTo(5);
        assertThat(new BoundedLabel(0).of("x")).isEqualTo(BoundedLabel.OTHER);
    }

    @Test
    void invalidLimitNamesTheKeyAndTheRange() {
        assertThatThrownBy(() -> BoundedLabel.principalLimit(Map.of(BoundedLabel.PRINCIPAL_LIMIT_KEY, "many")))
                .hasMessageContaining(BoundedLabel.PRINCIPAL_LIMIT_KEY).hasMessageContaining("0..10000");
        assertThatThrownBy(() -> BoundedLabel.principalLimit(Map.of(BoundedLabel.PRINCIPAL_LIMIT_KEY, "-1")))
                .hasMessageContaining("0..10000");
    }
}
