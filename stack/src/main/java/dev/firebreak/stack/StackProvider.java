package dev.firebreak.stack;

import java.time.Duration;
import java.util.Optional;

/**
 * Where the local stack's servers come from. {@code embedded} (always present) runs them in this JVM
 * and as child processes; {@code testcontainers} (module firebreak-stack-containers, found through
 * {@link java.util.ServiceLoader}) runs them in Docker containers. Chosen with {@link StackProviders#select}.
 */
public interface StackProvider {

    /** The name a user selects it by. */
    String name();

    /** Why it cannot run on this machine (e.g. no Docker), or empty when it can. */
    Optional<String> unavailableReason();

    KafkaService startKafka(int brokers);

    PostgresService startPostgres();

    RegistryService startRegistry(Duration timeout);
}
