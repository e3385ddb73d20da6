package dev.firebreak.stack;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the stack provider: system property {@value #PROPERTY} or environment variable {@value #ENV}
 * ({@code embedded}, the default, or {@code testcontainers}). A requested provider that is missing from
 * the classpath or cannot run here (no Docker) falls back to {@code embedded} with a warning, so the same
 * test suite runs on containers where Docker exists and in this JVM everywhere else.
 */
public final class StackProviders {
    public static final String PROPERTY = "firebreak.stack";
    public static final String ENV = "FIREBREAK_STACK";
    public static final String EMBEDDED = "embedded";
    private static final Logger log = LoggerFactory.getLogger(StackProviders.class);

    private StackProviders() {
    }

    /** The provider asked for by the system property or environment, see the class comment. */
    public static StackProvider select() {
        String requested = System.getProperty(PROPERTY, System.getenv().getOrDefault(ENV, EMBEDDED));
        return select(requested, ServiceLoader.load(StackProvider.class).stream().map(ServiceLoader.Provider::get).toList());
    }

    /**
     * @param requested the name asked for
     * @param found     providers on the classpath besides the embedded one
     * @throws IllegalArgumentException for a name no provider has, naming the allowed ones
     */
    static StackProvider select(String requested, List<StackProvider> found) {
        String name = requested == null || requested.isBlank() ? EMBEDDED : requested.strip();
        if (name.equals(EMBEDDED)) {
            return embedded();
        }
        Optional<StackProvider> provider = found.stream().filter(p -> p.name().equals(name)).findFirst();
        if (provider.isEmpty()) {
            if (!name.equals("testcontainers")) {
                throw new IllegalArgumentException(PROPERTY + " must be embedded or testcontainers, was '" + name + "'");
            }
            log.warn("stack provider {} is not on the classpath (build with -Ptestcontainers); using the embedded stack", name);
            return embedded();
        }
        Optional<String> reason = provider.get().unavailableReason();
        if (reason.isPresent()) {
            log.warn("stack provider {} cannot run here ({}); using the embedded stack", name, reason.get());
            return embedded();
        }
        return provider.get();
    }

    /** Kafka and PostgreSQL in this JVM, Apicurio as a child process. */
    public static StackProvider embedded() {
        return new StackProvider() {
            @Override
            public String name() {
                return EMBEDDED;
            }

            @Override
            public Optional<String> unavailableReason() {
                return Optional.empty();
            }

            @Override
            public KafkaService startKafka(int brokers) {
                return EmbeddedKafka.start(brokers);
            }

            @Override
            public Optional<KafkaService> startScramKafka(int brokers, String adminPassword, Map<String, String> users) {
                return Optional.of(EmbeddedKafka.startScram(brokers, adminPassword, users));
            }

            @Override
            public PostgresService startPostgres() {
                return EmbeddedPostgres17.start(Map.of());
            }

            @Override
            public RegistryService startRegistry(Duration timeout) {
                return ApicurioRegistry.start(timeout);
            }
        };
    }
}
