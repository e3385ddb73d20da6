package dev.firebreak.stack.containers;

import dev.firebreak.stack.KafkaService;
import dev.firebreak.stack.PostgresService;
import dev.firebreak.stack.RegistryService;
import dev.firebreak.stack.StackProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The local stack in Docker containers: {@code apache/kafka} (KRaft, one node), {@code postgres:17}
 * configured for logical decoding exactly like the embedded one, and Apicurio Registry's image with
 * its default (in-memory) storage. Same versions as the embedded stack, so a test passes or fails for
 * the same reasons.
 */
public final class ContainersStackProvider implements StackProvider {
    public static final String NAME = "testcontainers";
    static final DockerImageName KAFKA = DockerImageName.parse("apache/kafka:4.3.2");
    static final DockerImageName POSTGRES = DockerImageName.parse("postgres:17");
    static final DockerImageName APICURIO = DockerImageName.parse("quay.io/apicurio/apicurio-registry:3.3.3");
    private static final Logger log = LoggerFactory.getLogger(ContainersStackProvider.class);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<String> unavailableReason() {
        try {
            return DockerClientFactory.instance().isDockerAvailable()
                    ? Optional.empty() : Optional.of("no Docker environment found");
        } catch (RuntimeException e) {
            return Optional.of("Docker check failed: " + e.getMessage());
        }
    }

    @Override
    public KafkaService startKafka(int brokers) {
        if (brokers != 1) {
            log.warn("the container stack runs one Kafka node; {} brokers were asked for", brokers);
        }
        KafkaContainer kafka = new KafkaContainer(KAFKA)
                .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
        kafka.start();
        return new KafkaService() {
            @Override
            public String bootstrapServers() {
                return kafka.getBootstrapServers();
            }

            @Override
            public short replicationFactor() {
                return 1;
            }

            @Override
            public void close() {
                kafka.stop();
            }
        };
    }

    @Override
    public PostgresService startPostgres() {
        PostgreSQLContainer<?> pg = new PostgreSQLContainer<>(POSTGRES)
                .withDatabaseName(PostgresService.DATABASE)
                .withUsername(PostgresService.SUPERUSER)
                .withPassword(PostgresService.SUPERUSER_PASSWORD)
                // The settings EmbeddedPostgres17 uses: logical decoding, DDL in the log, durable commits.
                .withCommand("postgres", "-c", "wal_level=logical", "-c", "max_wal_senders=10",
                        "-c", "max_replication_slots=10", "-c", "max_slot_wal_keep_size=1GB", "-c", "log_statement=ddl", "-c", "fsync=on",
                        "-c", "synchronous_commit=on");
        pg.start();
        return new PostgresService() {
            @Override
            public String host() {
                return pg.getHost();
            }

            @Override
            public int port() {
                return pg.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT);
            }

            @Override
            public Optional<Path> localDataDirectory() {
                return Optional.empty(); // the server log stays in the container
            }

            @Override
            public void close() {
                pg.stop();
            }
        };
    }

    @Override
    public RegistryService startRegistry(Duration timeout) {
        GenericContainer<?> apicurio = new GenericContainer<>(APICURIO)
                .withExposedPorts(8080)
                .waitingFor(Wait.forHttp("/apis/ccompat/v7/subjects").forStatusCode(200).withStartupTimeout(timeout));
        apicurio.start();
        String url = "http://" + apicurio.getHost() + ":" + apicurio.getMappedPort(8080) + "/apis/ccompat/v7";
        return new RegistryService() {
            @Override
            public String confluentUrl() {
                return url;
            }

            @Override
            public String describe() {
                return "Apicurio Registry (container " + apicurio.getContainerId().substring(0, 12) + ") at " + url;
            }

            @Override
            public void close() {
                apicurio.stop();
            }
        };
    }
}
