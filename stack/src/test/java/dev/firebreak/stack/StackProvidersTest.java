package dev.firebreak.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StackProvidersTest {

    private static StackProvider fake(String name, Optional<String> unavailable) {
        return new StackProvider() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Optional<String> unavailableReason() {
                return unavailable;
            }

            @Override
            public KafkaService startKafka(int brokers) {
                throw new UnsupportedOperationException();
            }

            @Override
            public PostgresService startPostgres() {
                throw new UnsupportedOperationException();
            }

            @Override
            public RegistryService startRegistry(Duration timeout) {
                throw new UnsupportedOperationException();
            }
        };
    }

    @Test
    void embeddedIsTheDefault() {
        assertThat(StackProviders.select(null, List.of()).name()).isEqualTo("embedded");
        assertThat(StackProviders.select(" ", List.of()).name()).isEqualTo("embedded");
        assertThat(StackProviders.select("embedded", List.of(fake("testcontainers", Optional.empty()))).name()).isEqualTo("embedded");
    }

    @Test
    void testcontainersIsUsedWhereItCanRunAndFallsBackElsewhere() {
        StackProvider docker = fake("testcontainers", Optional.empty());
        assertThat(StackProviders.select("testcontainers", List.of(docker))).isSameAs(docker);
        assertThat(StackProviders.select("testcontainers", List.of(fake("testcontainers", Optional.of("no Docker")))).name())
                .isEqualTo("embedded");
        assertThat(StackProviders.select("testcontainers", List.of()).name()).as("module not on the classpath").isEqualTo("embedded");
    }

    @Test
    void anUnknownProviderNamesTheAllowedOnes() {
        assertThatThrownBy(() -> StackProviders.select("kubernetes", List.of()))
                .hasMessageContaining("firebreak.stack").hasMessageContaining("embedded or testcontainers");
    }
}
