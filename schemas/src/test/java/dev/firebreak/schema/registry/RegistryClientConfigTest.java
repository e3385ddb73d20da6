package dev.firebreak.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.schema.registry.RegistryClientConfig.Compatibility;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryClientConfigTest {
    static final String SECRET = "s3cr3t-registry-password";

    @Test
    void withoutKeysNoAuthDefaultTrustAndBackwardTransitive() {
        RegistryClientConfig config = RegistryClientConfig.fromMap(Map.of("firebreak.other", "x"), name -> null);
        assertThat(config.user()).isEmpty();
        assertThat(config.sslContext()).isEmpty();
        assertThat(config.compatibility()).isEqualTo(Compatibility.BACKWARD_TRANSITIVE);
    }

    @Test
    void passwordFromAFileOrAnEnvironmentVariableNeverPrinted(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("pw"), SECRET + "\n");
        RegistryClientConfig fromFile = RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.USER, "firebreak",
                RegistryClientConfig.PASSWORD_FILE, file.toString()), name -> null);
        RegistryClientConfig fromEnv = RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.USER, "firebreak",
                RegistryClientConfig.PASSWORD_ENV, "REG_PW"), name -> name.equals("REG_PW") ? SECRET : null);

        assertThat(fromFile.password()).isEqualTo(SECRET);
        assertThat(fromEnv.password()).isEqualTo(SECRET);
        assertThat(fromFile.toString()).contains("user=firebreak", "****").doesNotContain(SECRET);
    }

    @Test
    void badSettingsFailNamingTheKeyAndNeverTheSecret(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("pw"), SECRET);
        assertThatThrownBy(() -> RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.USER, "u"), n -> null))
                .hasMessageContaining(RegistryClientConfig.USER + " is set but neither " + RegistryClientConfig.PASSWORD_FILE);
        assertThatThrownBy(() -> RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.USER, "u",
                RegistryClientConfig.PASSWORD_FILE, file.toString(), RegistryClientConfig.PASSWORD_ENV, "X"), n -> SECRET))
                .hasMessageContaining("set only one of " + RegistryClientConfig.PASSWORD_FILE)
                .hasMessageNotContaining(SECRET);
        assertThatThrownBy(() -> RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.USER, "u",
                RegistryClientConfig.PASSWORD_ENV, "UNSET"), n -> null))
                .hasMessageContaining("environment variable 'UNSET', which is not set or empty");
        assertThatThrownBy(() -> RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.USER, "u",
                RegistryClientConfig.PASSWORD_FILE, dir.resolve("absent").toString()), n -> null))
                .hasMessageContaining(RegistryClientConfig.PASSWORD_FILE + " names").hasMessageContaining("cannot be read");
        assertThatThrownBy(() -> RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.COMPATIBILITY, "SOMETIMES"), n -> null))
                .hasMessageContaining(RegistryClientConfig.COMPATIBILITY + " must be one of [BACKWARD_TRANSITIVE,");
        assertThatThrownBy(() -> RegistryClientConfig.fromMap(Map.of("firebreak.schema.registry.basic.auth.pasword", "x"), n -> null))
                .hasMessageContaining("unknown key firebreak.schema.registry.basic.auth.pasword");
        assertThatThrownBy(() -> RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.TRUSTSTORE_LOCATION,
                dir.resolve("none.p12").toString()), n -> null))
                .hasMessageContaining(RegistryClientConfig.TRUSTSTORE_LOCATION).hasMessageContaining("cannot be loaded as PKCS12");
        assertThatThrownBy(() -> RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.TRUSTSTORE_LOCATION, "x",
                RegistryClientConfig.TRUSTSTORE_TYPE, "PEM"), n -> null))
                .hasMessageContaining(RegistryClientConfig.TRUSTSTORE_TYPE + " must be one of [JKS, PKCS12]");
    }

    @Test
    void compatibilityIsCaseInsensitive() {
        assertThat(RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.COMPATIBILITY, "full_transitive"), n -> null)
                .compatibility()).isEqualTo(Compatibility.FULL_TRANSITIVE);
    }
}
