package dev.firebreak.stack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/** A real KRaft Kafka cluster inside this JVM (Kafka's own test kit), on loopback, free ports. */
public final class EmbeddedKafka implements KafkaService {
    private final KafkaClusterTestKit cluster;
    private final int brokers;
    private final Path baseDirectory;

    private EmbeddedKafka(KafkaClusterTestKit cluster, int brokers, Path baseDirectory) {
        this.cluster = cluster;
        this.brokers = brokers;
        this.baseDirectory = baseDirectory;
    }

    /** Formats and starts a cluster of 1 or 3 combined broker/controller nodes. */
    public static EmbeddedKafka start(int brokers) {
        if (brokers != 1 && brokers != 3) {
            throw new IllegalArgumentException("brokers must be 1 or 3, was " + brokers);
        }
        short rf = (short) Math.min(3, brokers);
        try {
            // Our own directory: the kit's default one is deleted by a JVM shutdown hook while the
            // brokers may still be writing to it, which turns every Ctrl-C into a burst of errors.
            Path base = Files.createTempDirectory("firebreak-kafka");
            KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                    .setBaseDirectory(base)
                    .setCombined(true)
                    .setNumBrokerNodes(brokers)
                    .setNumControllerNodes(brokers)
                    .build())
                    .setConfigProp("offsets.topic.replication.factor", rf)
                    .setConfigProp("transaction.state.log.replication.factor", rf)
                    .setConfigProp("transaction.state.log.min.isr", 1)
                    .setConfigProp("group.initial.rebalance.delay.ms", 0)
                    .setConfigProp("auto.create.topics.enable", false)
                    .setConfigProp("num.partitions", 1)
                    .setDeleteOnClose(false)
                    .build();
            formatQuietly(cluster);
            cluster.startup();
            cluster.waitForReadyBrokers();
            return new EmbeddedKafka(cluster, brokers, base);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting Kafka", e);
        } catch (Exception e) {
            throw new IllegalStateException("Kafka cluster did not start: " + e.getMessage(), e);
        }
    }

    // The storage formatter prints to stdout, which belongs to the commands (the demo's timeline,
    // the READY line of 'local'); send it to stderr with the logs.
    private static void formatQuietly(KafkaClusterTestKit cluster) throws Exception {
        java.io.PrintStream stdout = System.out;
        synchronized (System.class) {
            System.setOut(System.err);
            try {
                cluster.format();
            } finally {
                System.setOut(stdout);
            }
        }
    }

    @Override
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /** Replication factor suitable for topics on this cluster. */
    @Override
    public short replicationFactor() {
        return (short) Math.min(3, brokers);
    }

    /** Creates the topics that do not exist yet (single partition: ordering per principal is total). */
    @Override
    public void createTopics(Collection<String> names, Map<String, String> configs) {
        try (Admin admin = admin()) {
            List<NewTopic> topics = names.stream()
                    .map(n -> new NewTopic(n, 1, replicationFactor()).configs(configs))
                    .toList();
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

    /** An admin client on this cluster; the caller closes it. */
    @Override
    public Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return Admin.create(props);
    }

    private static void deleteRecursively(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            // a leftover temp directory is not worth failing a shutdown for
        }
    }

    @Override
    public void close() {
        try {
            cluster.close();
        } catch (Exception e) {
            throw new IllegalStateException("Kafka cluster did not stop cleanly", e);
        } finally {
            deleteRecursively(baseDirectory);
        }
    }
}
