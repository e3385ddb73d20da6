package dev.firebreak.launcher.stack;

import dev.firebreak.detect.DetectionConfig;
import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.schema.TopicPlan;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.stack.KafkaService;
import dev.firebreak.stack.PostgresService;
import dev.firebreak.stack.RegistryService;
import dev.firebreak.stack.StackProvider;
import dev.firebreak.stack.StackProviders;
import dev.firebreak.killswitch.postgres.KillSwitchRoleInstaller;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The infrastructure of {@code demo}, {@code local} and the end-to-end tests, all on loopback: by
 * default a KRaft Kafka cluster and PostgreSQL 17 in this JVM, Apicurio Registry as a child process;
 * with {@code -Dfirebreak.stack=testcontainers} (and Docker present) the same three in containers
 * ({@link StackProviders}).
 *
 * <p>Kafka authenticates every client (SASL/SCRAM-SHA-512) and authorises it by ACLs by default: each
 * stage has its own user with least privilege ({@link PipelineKafkaAcls}), passwords are fresh per
 * stack and never logged.
 */
public final class LocalStack implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalStack.class);

    /** How clients authenticate to the stack's Kafka. */
    public enum KafkaAuth {
        /** SASL/SCRAM-SHA-512 per stage, ACLs enforced (the default). */
        SCRAM,
        /** PLAINTEXT, no authorizer: anyone on loopback may read and write anything. */
        NONE
    }

    /** The kill switch's own least-privilege role in the local stack (see {@link KillSwitchRoleInstaller}). */
    public static final String KILL_SWITCH_ROLE = "firebreak_killswitch";
    private static final String UNLOCKABLE = """
            SELECT r.rolname FROM pg_roles r
            WHERE r.rolcanlogin AND NOT r.rolsuper AND r.rolname <> ?
              AND NOT pg_has_role(?, r.oid, 'MEMBER WITH ADMIN OPTION') ORDER BY 1""";

    private final String killSwitchPassword = java.util.UUID.randomUUID().toString().replace("-", "");
    private final KafkaService kafka;
    private final PostgresService postgres;
    private final RegistryService registry;
    /** Kafka user to password, fresh per stack; empty when Kafka runs without authentication. */
    private final Map<String, String> kafkaPasswords;

    private LocalStack(KafkaService kafka, PostgresService postgres, RegistryService registry,
                       Map<String, String> kafkaPasswords) {
        this.kafka = kafka;
        this.postgres = postgres;
        this.registry = registry;
        this.kafkaPasswords = kafka.authenticated() ? Map.copyOf(kafkaPasswords) : Map.of();
    }

    /** Starts all three (the registry in parallel, it is the slowest) and creates the pipeline's topics. */
    public static LocalStack start(int brokers, Consumer<String> progress) {
        return start(StackProviders.select(), brokers, KafkaAuth.SCRAM, progress);
    }

    /** Starts the stack with the given Kafka authentication. */
    public static LocalStack start(int brokers, KafkaAuth auth, Consumer<String> progress) {
        return start(StackProviders.select(), brokers, auth, progress);
    }

    /** Starts the stack from the given provider, Kafka with SCRAM and ACLs. */
    public static LocalStack start(StackProvider provider, int brokers, Consumer<String> progress) {
        return start(provider, brokers, KafkaAuth.SCRAM, progress);
    }

    /** Starts the stack from the given provider with the given Kafka authentication. */
    public static LocalStack start(StackProvider provider, int brokers, KafkaAuth auth, Consumer<String> progress) {
        CompletableFuture<RegistryService> registry =
                CompletableFuture.supplyAsync(() -> provider.startRegistry(Duration.ofSeconds(120)));
        KafkaService kafka = null;
        PostgresService postgres = null;
        Map<String, String> passwords = new java.util.LinkedHashMap<>();
        PipelineKafkaAcls.USERS.forEach(u -> passwords.put(u, randomPassword()));
        try {
            kafka = startKafka(provider, brokers, auth, passwords);
            progress.accept("Kafka (KRaft, " + brokers + " broker" + (brokers > 1 ? "s" : "") + ") at " + kafka.bootstrapServers()
                    + (kafka.authenticated() ? ", SASL/SCRAM-SHA-512 and ACLs, one user per stage" : ", no authentication"));
            // On three brokers an acknowledged event survives losing one of them: every write is on at
            // least two replicas (acks=all with min.insync.replicas=2 of RF 3).
            String minInsync = kafka.replicationFactor() >= 3 ? "2" : "1";
            // Detection's input and its repartition topic as planned (TopicPlan), so the local stack runs
            // the partitioned topology production runs; created first, the calls below skip them.
            kafka.createTopics(TopicPlan.CO_PARTITIONED, TopicPlan.DETECTION_PARTITIONS, Map.of("min.insync.replicas", minInsync));
            kafka.createTopics(Topics.PIPELINE_TOPICS.stream().filter(t -> !Topics.REQUIRED_CONFIGS.containsKey(t)).toList(),
                    Map.of("min.insync.replicas", minInsync));
            for (var topic : Topics.REQUIRED_CONFIGS.entrySet()) {
                kafka.createTopics(List.of(topic.getKey()), withEntry(topic.getValue(), "min.insync.replicas", minInsync));
            }
            kafka.createTopics(Topics.COMPACTED_TOPICS, Map.of("min.insync.replicas", minInsync, "cleanup.policy", "compact"));
            grantPipeline(kafka);
            postgres = provider.startPostgres();
            progress.accept("PostgreSQL 17 at " + postgres.host() + ":" + postgres.port()
                    + " (wal_level=logical, fsync=on, synchronous_commit=on)");
            RegistryService schemaRegistry = registry.join();
            progress.accept(schemaRegistry.describe());
            LocalStack stack = new LocalStack(kafka, postgres, schemaRegistry, passwords);
            stack.installKillSwitchRole();
            progress.accept("kill switch role " + KILL_SWITCH_ROLE + ": CREATEROLE, pg_signal_backend, not superuser");
            return stack;
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

    private static Map<String, String> withEntry(Map<String, String> configs, String key, String value) {
        Map<String, String> all = new java.util.HashMap<>(configs);
        all.put(key, value);
        return all;
    }

    private static KafkaService startKafka(StackProvider provider, int brokers, KafkaAuth auth, Map<String, String> users) {
        if (auth == KafkaAuth.NONE) {
            return provider.startKafka(brokers);
        }
        return provider.startScramKafka(brokers, randomPassword(), users).orElseGet(() -> {
            log.warn("stack provider {} cannot run Kafka with SASL; its Kafka runs WITHOUT authentication or ACLs",
                    provider.name());
            return provider.startKafka(brokers);
        });
    }

    /** Creates the pipeline users' ACLs (for the default application id and group) on a secured cluster. */
    private static void grantPipeline(KafkaService kafka) {
        if (!kafka.authenticated()) {
            return;
        }
        try (Admin admin = kafka.admin()) {
            PipelineKafkaAcls.grant(admin, DetectionConfig.DEFAULT_APPLICATION_ID, KillSwitchConfig.DEFAULT_GROUP_ID,
                    Duration.ofSeconds(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the pipeline's ACLs", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot create the pipeline's Kafka ACLs: " + e.getMessage(), e);
        }
    }

    private static String randomPassword() {
        byte[] bytes = new byte[24];
        new java.security.SecureRandom().nextBytes(bytes);
        return java.util.HexFormat.of().formatHex(bytes);
    }

    public KafkaService kafka() {
        return kafka;
    }

    /** Whether the stack's Kafka authenticates clients and enforces ACLs. */
    public boolean kafkaAuthenticated() {
        return kafka.authenticated();
    }

    /**
     * Client settings (bootstrap servers and, when authenticated, SASL) to connect as one of
     * {@link PipelineKafkaAcls#USERS}; on an open cluster, the bootstrap servers alone.
     */
    public Map<String, String> kafkaClientProperties(String user) {
        return kafka.clientProperties(user);
    }

    /** Client settings of the super user {@code admin}: for tests that forge, inspect or set up anything. */
    public Map<String, String> adminClientProperties() {
        return kafka.clientProperties(KafkaService.SUPER_USER);
    }

    /**
     * Client settings of the read-only observer (the demo's watcher, benches, tests' readers): it reads
     * every {@code firebreak.} topic in groups named {@link PipelineKafkaAcls#OBSERVER_GROUP_PREFIX}*.
     */
    public Map<String, String> observerClientProperties() {
        return kafka.clientProperties(PipelineKafkaAcls.OBSERVER);
    }

    /** The observer's password, for {@code local}'s READY line (stdout, never a log); empty when Kafka is open. */
    public java.util.Optional<String> observerPassword() {
        return java.util.Optional.ofNullable(kafkaPasswords.get(PipelineKafkaAcls.OBSERVER));
    }

    /** The password of one of {@link PipelineKafkaAcls#USERS} (stdout of {@code local} only, never a log); empty when Kafka is open. */
    public java.util.Optional<String> kafkaPassword(String user) {
        return java.util.Optional.ofNullable(kafkaPasswords.get(user));
    }

    public PostgresService postgres() {
        return postgres;
    }

    /** Password of {@link #KILL_SWITCH_ROLE}, fresh per stack. */
    public String killSwitchPassword() {
        return killSwitchPassword;
    }

    private void installKillSwitchRole() {
        try (Connection admin = postgres.superuserConnection()) {
            KillSwitchRoleInstaller.install(admin, KILL_SWITCH_ROLE, killSwitchPassword, List.of(), List.of());
        } catch (SQLException e) {
            throw new IllegalStateException("cannot install the kill switch role: " + e.getMessage(), e);
        }
    }

    /**
     * Lets the kill switch lock {@code role}: what an operator does with {@code install-killswitch-role}
     * after creating login roles. Callers creating roles in the local stack call it right after.
     */
    public static void makeLockable(Connection admin, String role) throws SQLException {
        KillSwitchRoleInstaller.install(admin, KILL_SWITCH_ROLE, "", List.of(role), List.of());
    }

    /** Makes every login role the kill switch cannot lock yet lockable; returns them (for {@code local}). */
    public List<String> makeNewRolesLockable() throws SQLException {
        try (Connection admin = postgres.superuserConnection(); PreparedStatement ps = admin.prepareStatement(UNLOCKABLE)) {
            ps.setString(1, KILL_SWITCH_ROLE);
            ps.setString(2, KILL_SWITCH_ROLE);
            List<String> roles = new java.util.ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    roles.add(rs.getString(1));
                }
            }
            if (!roles.isEmpty()) {
                KillSwitchRoleInstaller.install(admin, KILL_SWITCH_ROLE, "", roles, List.of());
            }
            return roles;
        }
    }

    public String registryUrl() {
        return registry.confluentUrl();
    }

    @Override
    public void close() {
        String registryUrl = registryUrl();
        registry.close();
        // the next stack's registry may get this address and number its schemas differently
        SchemaRegistries.forget(registryUrl);
        postgres.close();
        kafka.close();
    }
}
