package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.firebreak.config.Settings;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.stack.StackProviders;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The settings map {@code demo} and {@code local} build (and the restart ITs write to each service's
 * file) passes {@link Settings#check}, with every stage's own Kafka credentials: once the stages refuse
 * unknown keys at start, the demo must not be refused.
 */
class PipelineSettingsCheckIT {

    @Test
    void theDemoPipelinesSettingsAreAllKnownKeys() {
        try (LocalStack stack = LocalStack.start(StackProviders.embedded(), 1, LocalStack.KafkaAuth.SCRAM, m -> { })) {
            Map<String, String> flat = PipelineSettings.stackMap(stack, "check", List.of("postgres"));
            assertThat(flat).containsKey("firebreak.detection.client.sasl.jaas.config");
            assertThatCode(() -> Settings.check(flat)).doesNotThrowAnyException();
            assertThatCode(() -> PipelineSettings.fromMap(flat)).doesNotThrowAnyException();
        }
    }
}
