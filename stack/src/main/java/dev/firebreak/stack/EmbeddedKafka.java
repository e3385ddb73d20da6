package dev.firebreak.stack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/** A real KRaft Kafka cluster inside this JVM (Kafka's own test kit), on loopback, free ports. */
public final class EmbeddedKafka implements KafkaService {
    /** The super user of a {@link #startSecured secured} cluster. */
    public static final String ADMIN = SUPER_USER;
    /** Password of {@link #ADMIN}; a throwaway cluster on loopback. */
    public static final String ADMIN_PASSWORD = "admin-secret";
    private static final String PLAIN_LOGIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";
    private static final String SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule";
    /** The SASL mechanism of clients on a {@link #startScram SCRAM} cluster. */
    public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";
    private final KafkaClusterTestKit cluster;
    private final int brokers;
    private final Path baseDirectory;
    /** SASL user name to password; empty for an open (PLAINTEXT, no authorizer) cluster. */
    private final Map<String, String> users;
    /** The SASL mechanism clients use: PLAIN or {@link #SCRAM_MECHANISM}; null when open. */
    private final String mechanism;
    private final String loginModule;

    private EmbeddedKafka(KafkaClusterTestKit cluster, int brokers, Path baseDirectory, Map<String, String> users,
                          String mechanism) {
        this.cluster = cluster;
        this.brokers = brokers;
        this.baseDirectory = baseDirectory;
        this.users = users;
        this.mechanism = mechanism;
        this.loginModule = SCRAM_MECHANISM.equals(mechanism) ? SCRAM_LOGIN_MODULE : PLAIN_LOGIN_MODULE;
    }

    /** Formats and starts a cluster of 1 combined broker/controller node, or of 3 brokers and 1 controller. */
    public static EmbeddedKafka start(int brokers) {
        if (brokers != 1 && brokers != 3) {
            throw new IllegalArgumentException("brokers must be 1 or 3, was " + brokers);
        }
        return start(brokers, Map.of(), Map.of(), null);
    }

    /**
     * Formats and starts a cluster of 1 or 3 nodes on which clients authenticate with SASL/SCRAM-SHA-512
     * and the broker enforces ACLs ({@code StandardAuthorizer}, {@code allow.everyone.if.no.acl.found=false},
     * super user {@link #ADMIN}). Every user, {@code admin} included, is written into the cluster's
     * bootstrap metadata at format time, as {@code kafka-storage format --add-scram} does, so the
     * cluster never runs a moment without them. The brokers replicate over SCRAM as {@code admin}; only
     * the controller listener, which clients are never given, uses PLAIN (KRaft controllers cannot
     * authenticate with SCRAM, whose credentials live in the metadata they serve).
     *
     * @param adminPassword password of {@link #ADMIN}
     * @param users         further users ([A-Za-z0-9._-]+) to their passwords (no quote or backslash)
     */
    public static EmbeddedKafka startScram(int brokers, String adminPassword, Map<String, String> users) {
        if (brokers != 1 && brokers != 3) {
            throw new IllegalArgumentException("brokers must be 1 or 3, was " + brokers);
        }
        Map<String, String> all = checkedUsers(users, adminPassword);
        String adminLogin = " required username=\"" + ADMIN + "\" password=\"" + adminPassword + "\"";
        Map<String, Object> security = new LinkedHashMap<>();
        security.put("listener.security.protocol.map", "EXTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
        security.put("sasl.enabled.mechanisms", SCRAM_MECHANISM);
        security.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
        security.put("sasl.mechanism.inter.broker.protocol", SCRAM_MECHANISM);
        security.put("sasl.mechanism.controller.protocol", "PLAIN");
        security.put("listener.name.external.scram-sha-512.sasl.jaas.config", SCRAM_LOGIN_MODULE + adminLogin + ";");
        security.put("listener.name.controller.plain.sasl.jaas.config",
                PLAIN_LOGIN_MODULE + adminLogin + " user_" + ADMIN + "=\"" + adminPassword + "\";");
        security.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        security.put("allow.everyone.if.no.acl.found", "false");
        security.put("super.users", "User:" + ADMIN);
        return start(brokers, security, Map.copyOf(all), SCRAM_MECHANISM);
    }

    private static Map<String, String> checkedUsers(Map<String, String> users, String adminPassword) {
        Map<String, String> all = new TreeMap<>(users);
        if (all.containsKey(ADMIN)) {
            throw new IllegalArgumentException("user " + ADMIN + " is the built-in super user");
        }
        all.put(ADMIN, adminPassword);
        all.forEach((name, password) -> {
            if (!name.matches("[A-Za-z0-9._-]+") || password == null || password.isEmpty()
                    || password.contains("\"") || password.contains("\\")) {
                throw new IllegalArgumentException("user names are [A-Za-z0-9._-]+ and passwords are non-empty,"
                        + " without quote or backslash: " + name);
            }
        });
        return all;
    }

    /**
     * Formats and starts a 1-node cluster whose client listener demands SASL/PLAIN and whose broker
     * enforces ACLs with {@code StandardAuthorizer} ({@code allow.everyone.if.no.acl.found=false}), so
     * tests can act as distinct principals {@code User:<name>} and be denied by a real broker.
     *
     * <p>Super user {@code admin} (password {@link #ADMIN_PASSWORD}) exists besides {@code users}; the
     * broker itself talks to its controller as {@code admin}, over SASL too. The users live in the
     * listener-specific {@code sasl.jaas.config} of each listener rather than in the test kit's JAAS
     * file, which knows two fixed users only and is installed JVM-wide through a system property.
     *
     * @param users user name ([A-Za-z0-9._-]+) to password (no quote or backslash)
     */
    public static EmbeddedKafka startSecured(Map<String, String> users) {
        Map<String, String> all = checkedUsers(users, ADMIN_PASSWORD);
        String jaas = PLAIN_LOGIN_MODULE + " required username=\"" + ADMIN + "\" password=\"" + ADMIN_PASSWORD + "\""
                + all.entrySet().stream().map(e -> " user_" + e.getKey() + "=\"" + e.getValue() + "\"").collect(Collectors.joining())
                + ";";
        Map<String, Object> security = new LinkedHashMap<>();
        // The kit's nodes stay PLAINTEXT (so it installs no JVM-wide JAAS file); the protocol map
        // turns both of its listeners into SASL_PLAINTEXT.
        security.put("listener.security.protocol.map", "EXTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
        security.put("sasl.enabled.mechanisms", "PLAIN");
        security.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        security.put("sasl.mechanism.controller.protocol", "PLAIN");
        security.put("listener.name.external.plain.sasl.jaas.config", jaas);
        security.put("listener.name.controller.plain.sasl.jaas.config", jaas);
        security.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        security.put("allow.everyone.if.no.acl.found", "false");
        security.put("super.users", "User:" + ADMIN);
        return start(1, security, Map.copyOf(all), "PLAIN");
    }

    private static EmbeddedKafka start(int brokers, Map<String, Object> extraProps, Map<String, String> users,
                                       String mechanism) {
        short rf = (short) Math.min(3, brokers);
        try {
            // Our own directory: the kit's default one is deleted by a JVM shutdown hook while the
            // brokers may still be writing to it, which turns every Ctrl-C into a burst of errors.
            Path base = Files.createTempDirectory("firebreak-kafka");
            TestKitNodes.Builder nodes = new TestKitNodes.Builder()
                    .setBaseDirectory(base)
                    // One node is broker and controller. Three brokers get one controller of their own:
                    // with three combined nodes (Kafka 4.1's kit) the quorum leader answers the other
                    // voters' UpdateVoter requests with INVALID_REQUEST, a fatal fault that stops their
                    // raft threads, and the cluster loses its quorum within seconds. A separate controller
                    // also lets a test stop a broker without touching the metadata quorum.
                    .setCombined(brokers == 1)
                    .setNumBrokerNodes(brokers)
                    .setNumControllerNodes(1);
            if (SCRAM_MECHANISM.equals(mechanism)) {
                nodes.setBootstrapMetadata(ScramBootstrap.withUsers(nodes.build().bootstrapMetadata(), users));
            }
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes.build())
                    .setConfigProp("offsets.topic.replication.factor", rf)
                    // Detection runs exactly-once: its transactions need the transaction state log,
                    // replicated like the data (2 in sync of 3, so one broker may fail; 1 of 1 alone)
                    // and with few partitions, since the first transactional producer creates them all.
                    .setConfigProp("transaction.state.log.replication.factor", rf)
                    .setConfigProp("transaction.state.log.min.isr", Math.min(2, rf))
                    .setConfigProp("transaction.state.log.num.partitions", 5)
                    .setConfigProp("group.initial.rebalance.delay.ms", 0)
                    .setConfigProp("auto.create.topics.enable", false)
                    .setConfigProp("num.partitions", 1)
                    .setDeleteOnClose(false);
            extraProps.forEach(builder::setConfigProp);
            KafkaClusterTestKit cluster = builder.build();
            formatQuietly(cluster);
            cluster.startup();
            cluster.waitForReadyBrokers();
            return new EmbeddedKafka(cluster, brokers, base, users, mechanism);
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


    /** An admin client on this cluster (as the super user {@code admin} on a secured one); the caller closes it. */
    @Override
    public Admin admin() {
        Properties props = new Properties();
        if (users.isEmpty()) {
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        } else {
            props.putAll(clientProperties(ADMIN));
        }
        return Admin.create(props);
    }

    /**
     * Client settings to connect as {@code user} to a cluster from {@link #startSecured} or
     * {@link #startScram}: bootstrap servers, {@code security.protocol}, {@code sasl.mechanism} and
     * {@code sasl.jaas.config}.
     *
     * @throws IllegalArgumentException for an unknown user or a cluster that is not secured
     */
    @Override
    public Map<String, String> clientProperties(String user) {
        String password = users.get(user);
        if (password == null) {
            throw new IllegalArgumentException("no SASL user " + user + " on this cluster (users: " + users.keySet() + ")");
        }
        return Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                "security.protocol", "SASL_PLAINTEXT",
                "sasl.mechanism", mechanism,
                "sasl.jaas.config", loginModule + " required username=\"" + user + "\" password=\"" + password + "\";");
    }

    @Override
    public boolean authenticated() {
        return !users.isEmpty();
    }


    /**
     * Stops broker {@code nodeId} as losing that machine would stop it, for failure tests: its
     * partitions move to the other replicas. The controller is a node of its own on three brokers, so
     * the test exercises the loss of a broker, not of the metadata quorum.
     */
    public void stopBroker(int nodeId) {
        var broker = cluster.brokers().get(nodeId);
        if (broker == null) {
            throw new IllegalArgumentException("no broker " + nodeId + "; brokers: " + cluster.brokers().keySet());
        }
        broker.shutdown();
        broker.awaitShutdown();
    }

    @Override
    public void close() {
        try {
            cluster.close();
        } catch (Exception e) {
            throw new IllegalStateException("Kafka cluster did not stop cleanly", e);
        } finally {
            ChildProcesses.deleteTree(baseDirectory);
        }
    }
}
