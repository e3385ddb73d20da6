package dev.firebreak.launcher.stack;

import dev.firebreak.schema.Topics;
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

/**
 * The infrastructure of {@code demo}, {@code local} and the end-to-end tests, all on loopback: by
 * default a KRaft Kafka cluster and PostgreSQL 17 in this JVM, Apicurio Registry as a child process;
 * with {@code -Dfirebreak.stack=testcontainers} (and Docker present) the same three in containers
 * ({@link StackProviders}).
 */
public final class LocalStack implements AutoCloseable {
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
            // On three brokers an acknowledged event survives losing one of them: every write is on at
            // least two replicas (acks=all with min.insync.replicas=2 of RF 3).
            String minInsync = kafka.replicationFactor() >= 3 ? "2" : "1";
            kafka.createTopics(Topics.PIPELINE_TOPICS.stream().filter(t -> !Topics.REQUIRED_CONFIGS.containsKey(t)).toList(),
                    Map.of("min.insync.replicas", minInsync));
            for (var topic : Topics.REQUIRED_CONFIGS.entrySet()) {
                kafka.createTopics(List.of(topic.getKey()), withEntry(topic.getValue(), "min.insync.replicas", minInsync));
            }
            kafka.createTopics(Topics.COMPACTED_TOPICS, Map.of("min.insync.replicas", minInsync, "cleanup.policy", "compact"));
            postgres = provider.startPostgres();
            progress.accept("PostgreSQL 17 at " + postgres.host() + ":" + postgres.port()
                    + " (wal_level=logical, fsync=on, synchronous_commit=on)");
            RegistryService schemaRegistry = registry.join();
            progress.accept(schemaRegistry.describe());
            LocalStack stack = new LocalStack(kafka, postgres, schemaRegistry);
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

    public KafkaService kafka() {
        return kafka;
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
        registry.close();
        postgres.close();
        kafka.close();
    }
}
