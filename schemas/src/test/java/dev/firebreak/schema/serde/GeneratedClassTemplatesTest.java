package dev.firebreak.schema.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.firebreak.schema.RevocationResult;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.apache.avro.util.ClassSecurityValidator;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The generated classes trust themselves: {@code src/main/avro-templates} is Avro's own template plus
 * one static block, so no path into a generated record (builder defaults, deep copies, readers)
 * depends on a serde having run first.
 */
class GeneratedClassTemplatesTest {
    private static final String AVRO_TEMPLATES = "/org/apache/avro/compiler/specific/templates/java/classic/";
    private static final Pattern HOOK = Pattern.compile("## FIREBREAK BEGIN.*?## FIREBREAK END\n", Pattern.DOTALL);

    @Test
    void touchingAGeneratedRecordMakesAvroTrustOurTypesInAFreshClassLoader() throws Exception {
        try (URLClassLoader fresh = new URLClassLoader(new URL[] {
                location(RevocationResult.class), location(ClassSecurityValidator.class), location(JsonFactory.class),
                location(ObjectMapper.class), location(JsonProperty.class), location(LoggerFactory.class)},
                ClassLoader.getPlatformClassLoader())) {
            Class<?> validator = fresh.loadClass(ClassSecurityValidator.class.getName());
            Method validate = validator.getMethod("validate", Class.class);
            Class<?> outcome = Class.forName("dev.firebreak.schema.RevocationOutcome", false, fresh);
            assertThat(thrownBy(validate, outcome)).isInstanceOf(SecurityException.class);

            Class.forName(RevocationResult.class.getName(), true, fresh);

            assertThat(thrownBy(validate, outcome)).isNull();
            assertThat(thrownBy(validate, Class.forName("dev.firebreak.schema.AffectedObject", false, fresh))).isNull();
        }
    }

    @Test
    void theTemplatesAreAvrosOwnForThisAvroVersionExceptTheHook() throws IOException {
        String record = Files.readString(Path.of("src/main/avro-templates/record.vm"));
        assertThat(HOOK.matcher(record).results().count()).isEqualTo(1);
        assertThat(HOOK.matcher(record).replaceAll(""))
                .as("Avro changed record.vm: copy the new one and put the FIREBREAK block back").isEqualTo(avros("record.vm"));
        assertThat(Files.readString(Path.of("src/main/avro-templates/enum.vm"))).isEqualTo(avros("enum.vm"));
    }

    private static Throwable thrownBy(Method validate, Class<?> type) throws IllegalAccessException {
        try {
            validate.invoke(null, type);
            return null;
        } catch (InvocationTargetException e) {
            return e.getCause();
        }
    }

    private static URL location(Class<?> type) {
        return type.getProtectionDomain().getCodeSource().getLocation();
    }

    private static String avros(String name) throws IOException {
        try (InputStream in = org.apache.avro.compiler.specific.SpecificCompiler.class.getResourceAsStream(AVRO_TEMPLATES + name)) {
            assertThat(in).as(name + " in avro-compiler").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
