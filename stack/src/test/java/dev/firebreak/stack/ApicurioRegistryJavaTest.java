package dev.firebreak.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which java the registry child runs on: Apicurio 3 needs Java 21+, Firebreak stays on 17. */
class ApicurioRegistryJavaTest {
    @TempDir
    Path jvms;

    @Test
    void takesTheNewestJdkOfAtLeast21WhenThisJvmIsOlder() throws IOException {
        jdk("java-17-openjdk", "17.0.15");
        Path java21 = jdk("temurin-21-jdk", "21.0.5");
        Path java25 = jdk("temurin-25-jdk", "25.0.3");
        Files.createDirectories(jvms.resolve("no-release/bin"));

        assertThat(ApicurioRegistry.locateJava(null, jvms.resolve("java-17-openjdk"), 17, jvms)).isEqualTo(java25);
        Files.delete(java25);
        assertThat(ApicurioRegistry.locateJava("", jvms.resolve("java-17-openjdk"), 17, jvms)).isEqualTo(java21);
    }

    @Test
    void thisJvmWhenItIsNewEnoughAndTheVariableFirst() throws IOException {
        Path own = jvms.resolve("own");
        assertThat(ApicurioRegistry.locateJava(null, own, 21, jvms)).isEqualTo(own.resolve("bin/java"));
        Path chosen = jdk("chosen", "22");
        assertThat(ApicurioRegistry.locateJava(chosen.toString(), own, 25, jvms)).isEqualTo(chosen);
    }

    @Test
    void failsNamingTheVariableWhenThereIsNoJava21() throws IOException {
        jdk("java-17-openjdk", "17.0.15");
        assertThatThrownBy(() -> ApicurioRegistry.locateJava(null, jvms.resolve("java-17-openjdk"), 17, jvms))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(ApicurioRegistry.JAVA_ENV).hasMessageContaining("Java 21");
        assertThatThrownBy(() -> ApicurioRegistry.locateJava("/nonexistent/java", jvms, 25, jvms))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(ApicurioRegistry.JAVA_ENV + "=/nonexistent/java");
    }

    @Test
    void readsTheFeatureVersionFromTheReleaseFile() throws IOException {
        jdk("a", "25.0.3");
        jdk("b", "1.8.0_402");
        assertThat(ApicurioRegistry.releaseFeature(jvms.resolve("a"))).isEqualTo(25);
        assertThat(ApicurioRegistry.releaseFeature(jvms.resolve("b"))).isEqualTo(1);
        assertThat(ApicurioRegistry.releaseFeature(jvms.resolve("none"))).isZero();
    }

    private Path jdk(String name, String version) throws IOException {
        Path home = Files.createDirectories(jvms.resolve(name).resolve("bin")).getParent();
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + version + "\"\n");
        Path java = Files.writeString(home.resolve("bin/java"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return java;
    }
}
