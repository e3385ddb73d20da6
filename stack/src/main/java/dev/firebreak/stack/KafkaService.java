package dev.firebreak.stack;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** A running Kafka cluster for the local stack and the integration tests: in this JVM, or a container. */
public interface KafkaService extends AutoCloseable {
    /** The super user of an {@link #authenticated} cluster: creates topics and ACLs. */
    String SUPER_USER = "admin";

    /** host:port[,host:port] reachable from this JVM. */
    String bootstrapServers();

    /** Replication factor suitable for topics on this cluster. */
    short replicationFactor();

    /** An admin client on this cluster; the caller closes it. */
    default Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return Admin.create(props);
    }

    /** Whether clients must authenticate (SASL) and are authorised by ACLs on this cluster. */
    default boolean authenticated() {
        return false;
    }

    /**
     * Client settings to connect as {@code user}: {@code bootstrap.servers}, and on an
     * {@link #authenticated} cluster {@code security.protocol}, {@code sasl.mechanism} and
     * {@code sasl.jaas.config}. On an open cluster every user gets the bootstrap servers alone.
     */
    default Map<String, String> clientProperties(String user) {
        return Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    }

    /** Creates the topics that do not exist yet, with one partition each. */
    default void createTopics(Collection<String> names, Map<String, String> configs) {
        createTopics(names, 1, configs);
    }

    /** Creates the topics that do not exist yet, with {@code partitions} each; existing ones are left alone. */
    default void createTopics(Collection<String> names, int partitions, Map<String, String> configs) {
        try (Admin admin = admin()) {
            List<NewTopic> topics = names.stream().map(n -> new NewTopic(n, partitions, replicationFactor()).configs(configs)).toList();
            for (var entry : admin.createTopics(topics).values().entrySet()) {
                try {
                    entry.getValue().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + entry.getKey(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    void close();
}
