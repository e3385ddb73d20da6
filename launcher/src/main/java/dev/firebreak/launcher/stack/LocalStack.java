package dev.firebreak.launcher.stack;

import dev.firebreak.schema.Topics;
import dev.firebreak.stack.KafkaService;
import dev.firebreak.stack.PostgresService;
import dev.firebreak.stack.RegistryService;
import dev.firebreak.stack.StackProvider;
import dev.firebreak.stack.StackProviders;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The infrastructure of {@code demo}, {@code local} and the end-to-end tests, all on loopback: by
 * default a KRaft Kafka cluster and PostgreSQL 17 in this JVM, Apicurio Registry as a child process;
 * with {@code -Dfirebreak.stack=testcontainers} (and Docker present) the same three in containers
 * ({@link StackProviders}).
 */
public final class LocalStack implements AutoCloseable {
    private final KafkaService kafka;
    private final PostgresService postgres;
    private final RegistryService registry;

    private LocalStack(KafkaService kafka, PostgresService postgres, RegistryService registry) {
        this.kafka = kafka;
        this.postgres = postgres;
        this.registry = registry;
    }

    /** Starts all three (the registry in parallel, it is the slowest) and creates the pipeline's topics. */
    public static LocalStack start(int brokers, Consumer<String> progress) {
        return start(StackProviders.select(), brokers, progress);
    }

    /** Starts the stack from the given provider. */
    public static LocalStack start(StackProvider provider, int brokers, Consumer<String> progress) {
        CompletableFuture<RegistryService> registry =
                CompletableFuture.supplyAsync(() -> provider.startRegistry(Duration.ofSeconds(120)));
        KafkaService kafka = null;
        PostgresService postgres = null;
        try {
            kafka = provider.startKafka(brokers);
            progress.accept("Kafka (KRaft, " + brokers + " broker" + (brokers > 1 ? "s" : "") + ") at " + kafka.bootstrapServers());
            kafka.createTopics(Topics.PIPELINE_TOPICS, Map.of("min.insync.replicas", "1"));
            kafka.createTopics(Topics.COMPACTED_TOPICS, Map.of("min.insync.replicas", "1", "cleanup.policy", "compact"));
            postgres = provider.startPostgres();
            progress.accept("PostgreSQL 17 at " + postgres.host() + ":" + postgres.port()
                    + " (wal_level=logical, fsync=on, synchronous_commit=on)");
            RegistryService schemaRegistry = registry.join();
            progress.accept(schemaRegistry.describe());
            return new LocalStack(kafka, postgres, schemaRegistry);
        } catch (RuntimeException e) {
            registry.thenAccept(RegistryService::close);
            if (postgres != null) {
                postgres.close();
            }
            if (kafka != null) {
                kafka.close();
            }
            throw e;
        }
    }

    public KafkaService kafka() {
        return kafka;
    }

    public PostgresService postgres() {
        return postgres;
    }

    public String registryUrl() {
        return registry.confluentUrl();
    }

    @Override
    public void close() {
        registry.close();
        postgres.close();
        kafka.close();
    }
}
