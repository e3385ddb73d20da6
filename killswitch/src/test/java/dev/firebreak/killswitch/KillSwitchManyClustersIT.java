package dev.firebreak.killswitch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.killswitch.postgres.KillSwitchRoleInstaller;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One kill switch, two PostgreSQL clusters (two embedded servers, {@code main} the default cluster and
 * {@code eu} a named one) and one Kafka cluster whose commands topic has three partitions. Roles are
 * revoked on the cluster their target names, a role of the same name on the other cluster is left alone,
 * a target on a cluster nobody configured is FAILED, a principal whose target is slow holds only its own
 * later commands, and every finished command is committed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KillSwitchManyClustersIT {
    static final String REGISTRY = "mem://killswitch-many-clusters-it";
    static final String GROUP = "many-clusters-it";
    static final long DEADLINE_MS = 3_000;

    static EmbeddedKafka kafka;
    static EmbeddedPostgres17 main;
    static EmbeddedPostgres17 eu;
    static KillSwitchService service;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(1);
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(Topics.KILLSWITCH_COMMANDS, 3, kafka.replicationFactor())))
                    .all().get(30, TimeUnit.SECONDS);
        }
        kafka.createTopics(List.of(Topics.KILLSWITCH_RESULTS, Topics.ALERTS), Map.of());
        main = EmbeddedPostgres17.start(Map.of());
        eu = EmbeddedPostgres17.start(Map.of());
        prepare(main, "app_main", "app_main2", "shared_rw");
        prepare(eu, "app_eu", "app_eu2", "app_eu3", "shared_rw");
        // Created after the installer ran: the kill switch lacks ADMIN OPTION on it and retries until the deadline.
        superuser(main, "CREATE ROLE slow_rw LOGIN PASSWORD 'pw'");

        Map<String, String> settings = new HashMap<>();
        settings.put(KillSwitchConfig.CLUSTER, "main");
        settings.put(KillSwitchConfig.PG_URL, main.jdbcUrl());
        settings.put(KillSwitchConfig.PG_USER, "firebreak_ks");
        settings.put(KillSwitchConfig.PG_PASSWORD, "ks-secret");
        settings.put(KillSwitchConfig.PG_CLUSTERS, "eu");
        settings.put(KillSwitchConfig.PG_CLUSTER_PREFIX + "eu.url", eu.jdbcUrl());
        settings.put(KillSwitchConfig.PG_CLUSTER_PREFIX + "eu.user", "firebreak_ks");
        settings.put(KillSwitchConfig.PG_CLUSTER_PREFIX + "eu.password", "ks-secret-eu");
        settings.put(KillSwitchConfig.PARALLELISM, "4");
        settings.put(KillSwitchConfig.COMMAND_DEADLINE_MS, String.valueOf(DEADLINE_MS));
        settings.put(KillSwitchConfig.RETRY_BACKOFF_MS, "20");
        settings.put(KillSwitchConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        settings.put(KillSwitchConfig.SCHEMA_REGISTRY_URL, REGISTRY);
        settings.put(KillSwitchConfig.GROUP_ID, GROUP);
        settings.putAll(TestSigning.settings());
        service = KillSwitchService.start(KillSwitchConfig.fromMap(settings), new SimpleMeterRegistry());
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {service, eu, main, kafka}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort: the next closes must still run
            }
        }
    }

    @Test
    @Order(1)
    void eachRoleIsRevokedOnTheClusterItsTargetNames() throws Exception {
        Connection mainSession = main.connect("app_main", "pw");
        Connection euSession = eu.connect("app_eu", "pw");

        produce(command("c-main", "agent:m", List.of("pg:main/app_main")));
        produce(command("c-eu", "agent:e", List.of("pg:eu/app_eu", "pg:eu/shared_rw")));
        produce(command("c-asia", "agent:a", List.of("pg:asia/app")));
        Map<String, RevocationResult> results = byTarget(await(Set.of("c-main", "c-eu", "c-asia"), 4));

        assertThat(results.get("pg:main/app_main").getOutcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(results.get("pg:eu/app_eu").getOutcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(results.get("pg:eu/shared_rw").getOutcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThatThrownBy(() -> main.connect("app_main", "pw")).hasMessageContaining("not permitted to log in");
        assertThatThrownBy(() -> eu.connect("app_eu", "pw")).hasMessageContaining("not permitted to log in");
        assertThatThrownBy(() -> mainSession.createStatement().execute("SELECT 1")).isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> euSession.createStatement().execute("SELECT 1")).isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> eu.connect("shared_rw", "pw")).hasMessageContaining("not permitted to log in");
        try (Connection other = main.connect("shared_rw", "pw")) {
            assertThat(other.isValid(1)).as("the role of the same name on main is not the target").isTrue();
        }
        RevocationResult asia = results.get("pg:asia/app");
        assertThat(asia.getOutcome()).isEqualTo(RevocationOutcome.FAILED);
        assertThat(asia.getDetail()).contains("no revoker for pg:asia/app", "pg:main/*", "pg:eu/*");
    }

    @Test
    @Order(2)
    void aSlowTargetHoldsOnlyItsOwnPrincipalsLaterCommands() throws Exception {
        // agent:slow's first command waits for a grant that never comes (retried until its deadline); its
        // second must wait for it, while two other principals, one on the same cluster, go on at once.
        produce(command("slow-1", "agent:slow", List.of("pg:main/slow_rw")));
        produce(command("slow-2", "agent:slow", List.of("pg:eu/app_eu2")));
        produce(command("fast-main", "agent:fast-main", List.of("pg:main/app_main2")));
        produce(command("fast-eu", "agent:fast-eu", List.of("pg:eu/app_eu3")));
        Map<String, RevocationResult> results = await(Set.of("slow-1", "slow-2", "fast-main", "fast-eu"), 4).stream()
                .collect(Collectors.toMap(RevocationResult::getCommandId, Function.identity()));

        RevocationResult slow1 = results.get("slow-1");
        RevocationResult slow2 = results.get("slow-2");
        RevocationResult fastMain = results.get("fast-main");
        RevocationResult fastEu = results.get("fast-eu");
        System.out.printf(Locale.ROOT, "many-clusters: slow-1 %s after %.1f ms; slow-2 started %.1f ms after slow-1 ended;"
                        + " fast-main revoked in %.1f ms, fast-eu in %.1f ms, both ending %.1f / %.1f ms before slow-1%n",
                slow1.getOutcome(), ms(slow1.getCompletedTimeUs() - slow1.getStartedTimeUs()),
                ms(slow2.getStartedTimeUs() - slow1.getCompletedTimeUs()),
                ms(fastMain.getCompletedTimeUs() - fastMain.getStartedTimeUs()),
                ms(fastEu.getCompletedTimeUs() - fastEu.getStartedTimeUs()),
                ms(slow1.getCompletedTimeUs() - fastMain.getCompletedTimeUs()),
                ms(slow1.getCompletedTimeUs() - fastEu.getCompletedTimeUs()));

        assertThat(slow1.getOutcome()).isEqualTo(RevocationOutcome.FAILED);
        assertThat(slow1.getDetail()).contains("ADMIN OPTION on role slow_rw");
        assertThat(fastMain.getOutcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(fastEu.getOutcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(fastMain.getCompletedTimeUs()).as("same cluster, other principal: not held").isLessThan(slow1.getCompletedTimeUs());
        assertThat(fastEu.getCompletedTimeUs()).as("other cluster, other principal: not held").isLessThan(slow1.getCompletedTimeUs());
        assertThat(slow2.getOutcome()).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(slow2.getStartedTimeUs()).as("one principal's commands stay in order")
                .isGreaterThanOrEqualTo(slow1.getCompletedTimeUs());
        assertThatThrownBy(() -> eu.connect("app_eu2", "pw")).hasMessageContaining("not permitted to log in");
        assertThatThrownBy(() -> main.connect("app_main2", "pw")).hasMessageContaining("not permitted to log in");
    }

    @Test
    @Order(3)
    void everyFinishedCommandIsCommittedOnEveryPartition() throws Exception {
        try (Admin admin = kafka.admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < 3; p++) {
                latest.put(new TopicPartition(Topics.KILLSWITCH_COMMANDS, p), OffsetSpec.latest());
            }
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
            assertThat(ends.values().stream().filter(e -> e > 0).count()).as("commands spread over partitions").isGreaterThan(1);
            Map<TopicPartition, Long> expected = new HashMap<>(ends);
            expected.values().removeIf(end -> end == 0);
            // Commits follow acknowledgements on the loop's next round: wait briefly for the last one.
            Map<TopicPartition, Long> committed = committed(admin);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!committed.equals(expected) && System.nanoTime() < until) {
                Thread.sleep(100);
                committed = committed(admin);
            }
            assertThat(committed).as("committed offsets of " + GROUP).isEqualTo(expected);
        }
    }

    // --- helpers --------------------------------------------------------------------------------

    static Map<TopicPartition, Long> committed(Admin admin) throws Exception {
        Map<TopicPartition, Long> out = new HashMap<>();
        admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
                .forEach((tp, at) -> out.put(tp, at.offset()));
        return out;
    }

    static void prepare(EmbeddedPostgres17 pg, String... roles) throws SQLException {
        for (String role : roles) {
            superuser(pg, "CREATE ROLE " + role + " LOGIN PASSWORD 'pw'");
        }
        try (Connection admin = pg.superuserConnection()) {
            KillSwitchRoleInstaller.install(admin, "firebreak_ks", pg == main ? "ks-secret" : "ks-secret-eu",
                    List.of(roles), List.of());
        }
    }

    static void superuser(EmbeddedPostgres17 pg, String sql) throws SQLException {
        try (Connection c = pg.superuserConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    static RevokeCommand command(String id, String principal, List<String> targets) {
        long now = Micros.now();
        return TestSigning.signed(RevokeCommand.newBuilder().setCommandId(id).setRuleId("pg-drop-table-burst")
                .setPrincipal(principal).setTargets(targets).setWindowStartUs(now - 1_000_000).setWindowEndUs(now)
                .setTriggerEventId("ev-" + id).setTriggerEventTimeUs(now - 1_000).setIssuedTimeUs(now).build());
    }

    static void produce(RevokeCommand command) throws Exception {
        TopicRecords.produce(kafka.bootstrapServers(), REGISTRY, command);
    }

    static List<RevocationResult> await(Set<String> commandIds, int count) {
        return TopicRecords.await(kafka.bootstrapServers(), REGISTRY, Topics.KILLSWITCH_RESULTS, RevocationResult.class,
                r -> commandIds.contains(r.getCommandId()), count, Duration.ofSeconds(60));
    }

    static Map<String, RevocationResult> byTarget(List<RevocationResult> results) {
        return results.stream().collect(Collectors.toMap(RevocationResult::getTarget, Function.identity()));
    }

    static double ms(long micros) {
        return micros / 1000.0;
    }
}
