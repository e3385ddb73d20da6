package dev.firebreak.killswitch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.metrics.RegistryOutageMeters;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import dev.firebreak.stack.FakeSchemaRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kill switch and an unreachable schema registry, on real Kafka and PostgreSQL: it starts while
 * the registry refuses connections, waits on the command it cannot decode yet (neither skipping it
 * nor alerting it as unreadable), and executes it once the registry is back on the same port.
 */
class KillSwitchRegistryOutageTest {
    static final String GROUP = "killswitch-registry-outage-test";

    static EmbeddedPostgres17 pg;
    static EmbeddedKafka kafka;
    static FakeSchemaRegistry registry;
    static KillSwitchService service;
    static SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @BeforeAll
    static void start() throws SQLException {
        pg = EmbeddedPostgres17.start(Map.of());
        superuser("CREATE ROLE firebreak_ks LOGIN CREATEROLE PASSWORD 'ks-secret'",
                "GRANT pg_signal_backend TO firebreak_ks",
                "GRANT CREATE ON DATABASE postgres TO firebreak_ks",
                "CREATE ROLE agent_z LOGIN PASSWORD 'pw'",
                "GRANT agent_z TO firebreak_ks WITH ADMIN TRUE, INHERIT FALSE, SET FALSE");
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(List.of(Topics.KILLSWITCH_COMMANDS, Topics.KILLSWITCH_RESULTS, Topics.ALERTS), Map.of());
        registry = FakeSchemaRegistry.start();
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void startsWithTheRegistryDownAndExecutesTheCommandOnceItIsBack() throws Exception {
        // Two base URLs on the same fake: the test's clients and the service's share no cache in this JVM.
        String testUrl = registry.confluentUrl() + "/test";
        String serviceUrl = registry.confluentUrl() + "/service";
        RevokeCommand command = KillSwitchServiceTest.command("cmd-outage", "pg:test/agent_z", List.of("pg:test/agent_z"), 0);
        TopicRecords.produce(kafka.bootstrapServers(), testUrl, TestSigning.signed(command));

        registry.stop(); // connection refused from here on
        Map<String, String> settings = new java.util.HashMap<>(Map.of(
                "firebreak.killswitch.pg.cluster", "test",
                "firebreak.killswitch.pg.url", pg.jdbcUrl(),
                "firebreak.killswitch.pg.user", "firebreak_ks",
                "firebreak.killswitch.pg.password", "ks-secret",
                "firebreak.killswitch.group.id", GROUP,
                "firebreak.killswitch.bootstrap.servers", kafka.bootstrapServers(),
                "firebreak.killswitch.schema.registry.url", serviceUrl));
        settings.putAll(TestSigning.settings());
        service = KillSwitchService.start(KillSwitchConfig.fromMap(settings), meters);

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> service.isRunning()
                && gauge(RegistryOutageMeters.UNAVAILABLE) == 1 && retries() >= 3);
        assertThat(canLogin("agent_z")).isTrue();
        assertThat(committed()).isZero(); // waiting on the command, not past it

        registry.restart();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !canLogin("agent_z"));
        assertThat(TopicRecords.await(kafka.bootstrapServers(), testUrl, Topics.KILLSWITCH_RESULTS, RevocationResult.class,
                r -> r.getCommandId().equals("cmd-outage"), 1, Duration.ofSeconds(30)))
                .singleElement().extracting(RevocationResult::getOutcome).isEqualTo(RevocationOutcome.REVOKED);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> committed() == 1);
        assertThat(gauge(RegistryOutageMeters.UNAVAILABLE)).isZero();
        assertThat(service.isRunning()).isTrue();

        // Warm caches: the same schema ids need no registry, so the next command runs through an outage.
        TopicRecords.produce(kafka.bootstrapServers(), testUrl,
                KillSwitchServiceTest.command("cmd-warm", "pg:test/agent_z", List.of("pg:test/agent_z"), 0));
        registry.stop();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> committed() == 2);
        assertThat(gauge(RegistryOutageMeters.UNAVAILABLE)).isZero();
        registry.restart();
        assertThat(TopicRecords.await(kafka.bootstrapServers(), testUrl, Topics.KILLSWITCH_RESULTS, RevocationResult.class,
                r -> r.getCommandId().equals("cmd-warm"), 1, Duration.ofSeconds(30)))
                .singleElement().extracting(RevocationResult::getOutcome).isEqualTo(RevocationOutcome.ALREADY_REVOKED);
    }

    static double gauge(String name) {
        return meters.get(name).tag("stage", "killswitch").gauge().value();
    }

    static double retries() {
        return meters.get(RegistryOutageMeters.RETRIES).tag("stage", "killswitch").functionCounter().count();
    }

    static long committed() throws Exception {
        try (var admin = kafka.admin()) {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get()
                    .get(new TopicPartition(Topics.KILLSWITCH_COMMANDS, 0));
            return offset == null ? 0 : offset.offset();
        }
    }

    static void superuser(String... statements) throws SQLException {
        try (Connection c = pg.superuserConnection(); Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        }
    }

    static boolean canLogin(String role) throws SQLException {
        try (Connection c = pg.superuserConnection();
             PreparedStatement ps = c.prepareStatement("SELECT rolcanlogin FROM pg_roles WHERE rolname = ?")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
