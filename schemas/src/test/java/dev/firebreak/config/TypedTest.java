package dev.firebreak.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

class TypedTest {
    private static final ConfigDef DEF = new ConfigDef()
            .define("a.port", ConfigDef.Type.INT, 1, Allowed.range(1, 10), ConfigDef.Importance.HIGH, "port")
            .define("a.flag", ConfigDef.Type.BOOLEAN, true, ConfigDef.Importance.LOW, "flag")
            .define("a.mode", ConfigDef.Type.STRING, "x", Allowed.oneOf(java.util.List.of("x", "y"))
                    .worded(Allowed.Wording.INVALID_AFTER), ConfigDef.Importance.LOW, "mode")
            .define("a.secret", ConfigDef.Type.PASSWORD, null, ConfigDef.Importance.HIGH, "secret");

    @Test
    void valuesAreTypedAndDefaulted() {
        var c = Typed.parse(DEF, Map.of("a.port", " 7 ", "a.secret", "${env:PATH}"));
        assertThat(c.getInt("a.port")).isEqualTo(7);
        assertThat(c.getBoolean("a.flag")).isTrue();
        assertThat(c.getPassword("a.secret").value()).as("a secret from the environment").isEqualTo(System.getenv("PATH"));
    }

    @Test
    void aValueNamingASecretIsCheckedAsTheValueItNames(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("s.properties"), "port=8\nbad=80\n");
        assertThat(Typed.parse(DEF, Map.of("a.port", "${file:" + file + ":port}")).getInt("a.port")).isEqualTo(8);
        assertThatThrownBy(() -> Typed.parse(DEF, Map.of("a.port", "${file:" + file + ":bad}")))
                .hasMessage("invalid a.port=80; allowed: 1..10");
        assertThatThrownBy(() -> Typed.parse(DEF, Map.of("a.port", "${env:FIREBREAK_NO_SUCH_VARIABLE_42}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a.port refers to a secret");
    }

    @Test
    void refusalsNameTheKeyTheValueAndWhatIsAllowed() {
        assertThatThrownBy(() -> Typed.parse(DEF, Map.of("a.port", "11"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid a.port=11; allowed: 1..10");
        assertThatThrownBy(() -> Typed.parse(DEF, Map.of("a.port", "many"))).hasMessage("invalid a.port=many; allowed: 1..10");
        assertThatThrownBy(() -> Typed.parse(DEF, Map.of("a.flag", "yes"))).hasMessage("invalid a.flag=yes; allowed: true, false");
        assertThatThrownBy(() -> Typed.parse(DEF, Map.of("a.mode", "z"))).hasMessage("a.mode=z is invalid; allowed: x, y");
    }

    @Test
    void theValidValuesColumnIsTheValidatorsText() {
        assertThat(DEF.configKeys().get("a.port").validator).hasToString("1..10");
        assertThat(DEF.configKeys().get("a.mode").validator).hasToString("x, y");
    }
}
