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

    /**
     * A cluster on which clients authenticate with SASL/SCRAM-SHA-512 and ACLs are enforced, with
     * super user {@code admin} and {@code users} (name to password) created before it serves anyone.
     * Empty when this provider cannot run one; the caller then decides (see {@code LocalStack}).
     */
    default Optional<KafkaService> startScramKafka(int brokers, String adminPassword, java.util.Map<String, String> users) {
        return Optional.empty();
    }

    PostgresService startPostgres();

    RegistryService startRegistry(Duration timeout);
}
