package dev.firebreak.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class SettingsHelpersTest {
    private static final Allowed TIMEOUT = Allowed.millis(1, 60_000);
    private static final ConfigDef DEF = new ConfigDef()
            .define("x.timeout.ms", Type.LONG, 2_000L, TIMEOUT, Importance.LOW, "timeout")
            .define("x.enabled", Type.BOOLEAN, false, Importance.LOW, "switch")
            .define("x.names", Type.LIST, "", Importance.LOW, "names")
            .define("x.name", Type.STRING, null, Importance.LOW, "name")
            .define("x.secret", Type.PASSWORD, null, Importance.LOW, "secret");

    @Test
    void boundsSayTheSameInTheDefinitionAndInTheRecord() {
        List<String> errors = new ArrayList<>();
        TIMEOUT.check(errors, "x.timeout.ms", Duration.ZERO);
        TIMEOUT.check(errors, "x.timeout.ms", (Duration) null);
        TIMEOUT.check(errors, "x.timeout.ms", 60_000);
        assertThat(errors).containsExactly("x.timeout.ms must be 1..60000 (milliseconds), was 0",
                "x.timeout.ms must be 1..60000 (milliseconds), was null");
        assertThatThrownBy(() -> TIMEOUT.ensureValid("x.timeout.ms", 0L)).isInstanceOf(ConfigException.class)
                .hasMessage("x.timeout.ms must be 1..60000 (milliseconds), was 0");
        assertThatCode(() -> TIMEOUT.ensureValid("x.timeout.ms", 1L)).doesNotThrowAnyException();
        assertThat(TIMEOUT).hasToString("1..60000 (milliseconds)");
        assertThat(Allowed.between(1, 20).refusal("k", 21)).isEqualTo("k must be 1..20, was 21");
    }

    @Test
    void typesAndDefaultsComeFromTheDefinitionAndBlankNumbersAreUnset() {
        Typed.Values in = Typed.read(DEF, Map.of("x.timeout.ms", " ", "x.enabled", "TRUE", "x.names", " a, b ,",
                "other.key", "ignored"), "bad: ", "a whole number");
        assertThat(in.getLong("x.timeout.ms")).isEqualTo(2_000L);
        assertThat(in.getBoolean("x.enabled")).isTrue();
        assertThat(in.getList("x.names")).containsExactly("a", "b", "");
        assertThat(in.getString("x.name")).isNull();
        assertThat(in.getSecret("x.secret")).isNull();
    }

    @Test
    void aValueNotOfItsTypeNamesTheKeyAndTheType() {
        assertThatThrownBy(() -> Typed.read(DEF, Map.of("x.timeout.ms", "2s"), "bad: ", "a whole number of milliseconds"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bad: x.timeout.ms must be a whole number of milliseconds, was '2s'");
        assertThatThrownBy(() -> Typed.read(DEF, Map.of("x.enabled", "yes"), "bad: ", "n"))
                .hasMessage("bad: x.enabled must be true or false, was 'yes'");
    }

    @Test
    void secretsAreResolvedThroughTheEnvironmentProvider() {
        Typed.Values in = Typed.read(DEF, Map.of("x.secret", "${env:PATH}"), "bad: ", "n");
        assertThat(in.getSecret("x.secret")).isEqualTo(System.getenv("PATH"));
        assertThatThrownBy(() -> Typed.read(DEF, Map.of("x.secret", "${env:FIREBREAK_NO_SUCH_VARIABLE_42}"), "bad: ", "n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x.secret")
                .hasMessageNotContaining("FIREBREAK_NO_SUCH_VARIABLE_42}");
    }

    @Test
    void theOldPrefixStillWorksTheNewOneToSoBothAgreeingIsFineDifferingFails() {
        Map<String, String> aliases = Map.of("kafka.consumer.", "firebreak.x.consumer.");
        assertThat(consumer(Map.of("kafka.consumer.fetch.min.bytes", "1"), aliases))
                .containsExactly(Map.entry("fetch.min.bytes", "1"));
        assertThat(consumer(Map.of("firebreak.x.consumer.fetch.min.bytes", "2", "kafka.consumer.isolation.level",
                "read_committed"), aliases)).containsOnly(Map.entry("fetch.min.bytes", "2"),
                Map.entry("isolation.level", "read_committed"));
        assertThat(consumer(Map.of("firebreak.x.consumer.fetch.min.bytes", "2", "kafka.consumer.fetch.min.bytes",
                " 2"), aliases)).containsExactly(Map.entry("fetch.min.bytes", "2"));
        assertThatThrownBy(() -> consumer(Map.of("firebreak.x.consumer.fetch.min.bytes", "2",
                "kafka.consumer.fetch.min.bytes", "3"), aliases))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("kafka.consumer.fetch.min.bytes is a deprecated spelling of firebreak.x.consumer.fetch.min.bytes,"
                        + " and both are set, to different values; keep firebreak.x.consumer.fetch.min.bytes only");
    }

    /** What a stage hands its consumer: the keys under its new prefix, old spellings renamed first. */
    private static Map<String, String> consumer(Map<String, String> settings, Map<String, String> aliases) {
        return PassThrough.withPrefix(DeprecatedKeys.canonical(settings, aliases), "firebreak.x.consumer.");
    }

    @Test
    void theRecordChecksTheSameRangeTheDefinitionDeclaresWithTheOtherWordings() {
        List<String> errors = new ArrayList<>();
        Allowed.range(1, 10).check(errors, "a.port", 11);
        Allowed.range(1, 10).check(errors, "a.port", 10);
        Allowed.range(1, 10).worded(Allowed.Wording.INVALID_AFTER).check(errors, "a.port", 0);
        assertThat(errors).containsExactly("invalid a.port=11; allowed: 1..10", "a.port=0 is invalid; allowed: 1..10");
        assertThat(Allowed.between(1, 20)).hasToString("1..20");
    }

    @Test
    void typesAreCheckedButRangesAreLeftToTheRecord() {
        Typed.Values in = Typed.read(DEF, Map.of("x.timeout.ms", "0"), "bad: ", "a whole number");
        assertThat(in.getLong("x.timeout.ms")).as("not range-checked here").isZero();
        assertThatThrownBy(() -> Typed.read(DEF, Map.of("x.timeout.ms", "${env:FIREBREAK_NO_SUCH_VARIABLE_42}"), "bad: ", "n"))
                .hasMessageStartingWith("bad: x.timeout.ms refers to a secret");
    }
}
