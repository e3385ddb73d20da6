package dev.firebreak.launcher.stack;

import dev.firebreak.schema.Topics;
import dev.firebreak.stack.ApicurioRegistry;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The infrastructure of {@code demo}, {@code local} and the end-to-end tests, all on loopback:
 * a KRaft Kafka cluster and PostgreSQL 17 in this JVM, Apicurio Registry as a child process.
 */
public final class LocalStack implements AutoCloseable {
    private final EmbeddedKafka kafka;
    private final EmbeddedPostgres17 postgres;
    private final ApicurioRegistry registry;

    private LocalStack(EmbeddedKafka kafka, EmbeddedPostgres17 postgres, ApicurioRegistry registry) {
        this.kafka = kafka;
        this.postgres = postgres;
        this.registry = registry;
    }

    /** Starts all three (the registry in parallel, it is the slowest) and creates the pipeline's topics. */
    public static LocalStack start(int brokers, Consumer<String> progress) {
        CompletableFuture<ApicurioRegistry> registry =
                CompletableFuture.supplyAsync(() -> ApicurioRegistry.start(Duration.ofSeconds(120)));
        EmbeddedKafka kafka = null;
        EmbeddedPostgres17 postgres = null;
        try {
            kafka = EmbeddedKafka.start(brokers);
            progress.accept("Kafka (KRaft, " + brokers + " broker" + (brokers > 1 ? "s" : "") + ") at " + kafka.bootstrapServers());
            kafka.createTopics(Topics.PIPELINE_TOPICS, Map.of("min.insync.replicas", "1"));
            kafka.createTopics(Topics.COMPACTED_TOPICS, Map.of("min.insync.replicas", "1", "cleanup.policy", "compact"));
            postgres = EmbeddedPostgres17.start(Map.of());
            progress.accept("PostgreSQL 17 at " + postgres.host() + ":" + postgres.port()
                    + " (wal_level=logical, fsync=on, synchronous_commit=on)");
            ApicurioRegistry apicurio = registry.join();
            progress.accept("Apicurio Registry (pid " + apicurio.pid() + ") at " + apicurio.confluentUrl());
            return new LocalStack(kafka, postgres, apicurio);
        } catch (RuntimeException e) {
            registry.thenAccept(ApicurioRegistry::close);
            if (postgres != null) {
                postgres.close();
            }
            if (kafka != null) {
                kafka.close();
            }
            throw e;
        }
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public EmbeddedPostgres17 postgres() {
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
