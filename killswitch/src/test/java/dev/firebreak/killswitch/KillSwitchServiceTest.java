package dev.firebreak.killswitch;

import dev.firebreak.schema.Micros;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Severity;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.schema.signing.RecordSignatures;
import dev.firebreak.schema.signing.RecordSignatures.Verification;
import dev.firebreak.schema.signing.SigningKey;
import dev.firebreak.stack.EmbeddedKafka;
import dev.firebreak.stack.EmbeddedPostgres17;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The service end to end: commands in over Kafka, PostgreSQL locked, results and alerts out. */
class KillSwitchServiceTest {
    static final String REGISTRY = "mem://killswitch-service-test";
    static final String GROUP = "killswitch-test";

    static EmbeddedPostgres17 pg;
    static EmbeddedKafka kafka;
    static SimpleMeterRegistry meters = new SimpleMeterRegistry();
    static KillSwitchService service;

    @BeforeAll
    static void start() throws SQLException {
        pg = EmbeddedPostgres17.start(Map.of());
        superuser("CREATE ROLE firebreak_ks LOGIN CREATEROLE PASSWORD 'ks-secret'",
                "GRANT pg_signal_backend TO firebreak_ks",
                "GRANT CREATE ON DATABASE postgres TO firebreak_ks");
        for (String role : List.of("agent_x", "ops_admin", "agent_y", "agent_f")) {
            superuser("CREATE ROLE " + role + " LOGIN PASSWORD 'pw'",
                    "GRANT " + role + " TO firebreak_ks WITH ADMIN TRUE, INHERIT FALSE, SET FALSE");
        }
        kafka = EmbeddedKafka.start(1);
        kafka.createTopics(List.of(Topics.KILLSWITCH_COMMANDS, Topics.KILLSWITCH_RESULTS, Topics.ALERTS), Map.of());
        Map<String, String> settings = new java.util.HashMap<>(TestSigning.settings());
        settings.putAll(Map.of(
                "firebreak.killswitch.pg.cluster", "test",
                "firebreak.killswitch.pg.url", pg.jdbcUrl(),
                "firebreak.killswitch.pg.user", "firebreak_ks",
                "firebreak.killswitch.pg.password", "ks-secret",
                "firebreak.killswitch.pg.protected.roles", "ops_admin",
                "firebreak.killswitch.group.id", GROUP,
                "firebreak.killswitch.bootstrap.servers", kafka.bootstrapServers(),
                "firebreak.killswitch.schema.registry.url", REGISTRY));
        service = KillSwitchService.start(KillSwitchConfig.fromMap(settings), meters);
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
            assertThat(service.isRunning()).isFalse();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void revokesPublishesResultsAlertsOnProtectedTargetsAndCommitsAfterwards() throws Exception {
        double revokedBefore = meters.counter(KillSwitch.REVOCATIONS, "kind", "postgres", "action", "revoke", "outcome", "REVOKED").count();
        try (Connection agent = pg.connect("agent_x", "pw")) {
            int pid = pid(agent);
            RevokeCommand command = command("cmd-x", "pg:test/agent_x", List.of("pg:test/agent_x", "pg:test/ops_admin"), pid);
            produce(command);

            List<RevocationResult> results = await(Topics.KILLSWITCH_RESULTS, RevocationResult.class,
                    r -> r.getCommandId().equals("cmd-x"), 2);
            assertThat(results).extracting(RevocationResult::getTarget, RevocationResult::getOutcome).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("pg:test/agent_x", RevocationOutcome.REVOKED),
                    org.assertj.core.groups.Tuple.tuple("pg:test/ops_admin", RevocationOutcome.REFUSED_PROTECTED));
            RevocationResult revoked = results.get(0);
            assertThat(revoked.getTerminatedPids()).containsExactly(pid);
            assertThat(revoked.getRuleId()).isEqualTo("mass-drop");
            assertThat(revoked.getCompletedTimeUs()).isGreaterThanOrEqualTo(revoked.getStartedTimeUs());
            assertThat(canLogin("agent_x")).isFalse();
            assertThat(canLogin("ops_admin")).isTrue();

            List<Alert> alerts = await(Topics.ALERTS, Alert.class, a -> a.getAlertId().contains("cmd-x"), 1);
            assertThat(alerts).singleElement().satisfies(a -> {
                assertThat(a.getKind()).isEqualTo(AlertKind.REVOCATION_REFUSED);
                assertThat(a.getSeverity()).isEqualTo(Severity.CRITICAL);
                assertThat(a.getPrincipal()).isEqualTo("pg:test/agent_x");
                assertThat(a.getSummary()).contains("pg:test/ops_admin").contains("protected list");
            });

            // The offset is committed once the outcome is acknowledged, so a restart does not replay it.
            long offset = offsetOf(command);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> committedCommands() > offset);
            assertThat(meters.counter(KillSwitch.REVOCATIONS, "kind", "postgres", "action", "revoke", "outcome", "REVOKED").count()).isEqualTo(revokedBefore + 1);
            assertThat(meters.get(KillSwitchService.UP).gauge().value()).isEqualTo(1);
        }

        // A replayed command does no harm and says so.
        produce(command("cmd-x", "pg:test/agent_x", List.of("pg:test/agent_x"), 0));
        List<RevocationResult> replay = await(Topics.KILLSWITCH_RESULTS, RevocationResult.class,
                r -> r.getCommandId().equals("cmd-x"), 3);
        assertThat(replay.get(2).getOutcome()).isEqualTo(RevocationOutcome.ALREADY_REVOKED);
    }

    @Test
    void anUnreadableCommandIsSkippedWithAnAlertAndTheNextOneStillRuns() throws Exception {
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(Topics.KILLSWITCH_COMMANDS, "pg:test/agent_y", "not avro".getBytes())).get();
        }
        produce(command("cmd-y", "pg:test/agent_y", List.of("pg:test/agent_y"), 0));

        assertThat(await(Topics.ALERTS, Alert.class, a -> a.getAlertId().startsWith("killswitch:unreadable:"), 1))
                .singleElement().satisfies(a -> {
                    assertThat(a.getKind()).isEqualTo(AlertKind.REVOCATION_FAILED);
                    assertThat(a.getSeverity()).isEqualTo(Severity.CRITICAL);
                });
        assertThat(await(Topics.KILLSWITCH_RESULTS, RevocationResult.class, r -> r.getCommandId().equals("cmd-y"), 1))
                .singleElement().extracting(RevocationResult::getOutcome).isEqualTo(RevocationOutcome.REVOKED);
        assertThat(canLogin("agent_y")).isFalse();
    }

    @Test
    void forgedCommandsRevokeNothingAndRaiseCriticalAlerts() throws Exception {
        RevokeCommand unsigned = unsignedCommand("cmd-forged-unsigned", "pg:test/agent_f", List.of("pg:test/agent_f"), 0);
        RevokeCommand otherKey = RecordSignatures.sign(
                unsignedCommand("cmd-forged-key", "pg:test/agent_f", List.of("pg:test/agent_f"), 0),
                SigningKey.of("an-attackers-guess-at-the-secret-0123456789"));
        // Genuinely signed for a harmless dry run, then edited on its way: a real revocation now.
        RevokeCommand genuine = command("cmd-forged-edited", "pg:test/agent_f", List.of("pg:test/agent_f"), 0);
        RevokeCommand edited = RevokeCommand.newBuilder(genuine).setRuleId("edited").build();
        double before = meters.counter(KillSwitchService.UNVERIFIED_COMMANDS, "reason", "invalid").count();
        for (RevokeCommand forged : List.of(unsigned, otherKey, edited)) {
            produce(forged);
        }

        List<RevocationResult> results = await(Topics.KILLSWITCH_RESULTS, RevocationResult.class,
                r -> r.getCommandId().startsWith("cmd-forged-"), 3);
        assertThat(results).extracting(RevocationResult::getCommandId).containsExactly(
                "cmd-forged-unsigned", "cmd-forged-key", "cmd-forged-edited");
        assertThat(results).allSatisfy(r -> {
            assertThat(r.getOutcome()).isEqualTo(RevocationOutcome.FAILED);
            assertThat(r.getTarget()).isEqualTo("pg:test/agent_f");
            assertThat(r.getPreviousState()).isNull();
            assertThat(r.getDetail()).contains("not executed").contains("nothing was revoked");
            assertThat(RecordSignatures.verify(r, TestSigning.RESULT_KEY)).isEqualTo(Verification.VALID);
        });
        assertThat(results.get(0).getDetail()).contains("signature missing");
        assertThat(results.get(1).getDetail()).contains("signature invalid");
        assertThat(canLogin("agent_f")).as("nothing was revoked").isTrue();

        List<Alert> alerts = await(Topics.ALERTS, Alert.class, a -> a.getAlertId().startsWith("killswitch:unverified:cmd-forged-"), 3);
        assertThat(alerts).allSatisfy(a -> {
            assertThat(a.getKind()).isEqualTo(AlertKind.REVOCATION_FAILED);
            assertThat(a.getSeverity()).isEqualTo(Severity.CRITICAL);
            assertThat(a.getPrincipal()).isEqualTo("pg:test/agent_f");
            assertThat(a.getSummary()).contains("did NOT execute an unverified command").contains("signature");
            assertThat(a.getTriage()).contains("Nothing was revoked");
        });
        assertThat(meters.counter(KillSwitchService.UNVERIFIED_COMMANDS, "reason", "missing").count()).isGreaterThanOrEqualTo(1);
        assertThat(meters.counter(KillSwitchService.UNVERIFIED_COMMANDS, "reason", "invalid").count()).isEqualTo(before + 2);

        // The genuine command as signed still runs.
        produce(genuine);
        assertThat(await(Topics.KILLSWITCH_RESULTS, RevocationResult.class, r -> r.getCommandId().equals("cmd-forged-edited")
                && r.getOutcome() == RevocationOutcome.REVOKED, 1)).hasSize(1);
        assertThat(canLogin("agent_f")).isFalse();
    }

    @Test
    void withoutItsSecretsTheServiceDoesNotStart() {
        Map<String, String> settings = new java.util.HashMap<>(Map.of(
                "firebreak.killswitch.pg.cluster", "test", "firebreak.killswitch.pg.url", "jdbc:postgresql://localhost:1/x",
                "firebreak.killswitch.pg.user", "ks", "firebreak.killswitch.bootstrap.servers", "localhost:1",
                "firebreak.killswitch.schema.registry.url", REGISTRY));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> new KillSwitchService(KillSwitchConfig.fromMap(settings), List.of(), new SimpleMeterRegistry()))
                .hasMessageContaining(KillSwitchConfig.COMMAND_VERIFICATION_SECRET + " (or "
                        + KillSwitchConfig.COMMAND_VERIFICATION_SECRET + ".env) is required");
        settings.put(KillSwitchConfig.COMMAND_VERIFICATION_SECRET, TestSigning.COMMAND_SECRET);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> new KillSwitchService(KillSwitchConfig.fromMap(settings), List.of(), new SimpleMeterRegistry()))
                .hasMessageContaining(KillSwitchConfig.RESULT_SIGNING_SECRET + " (or ");
    }

    // --- helpers --------------------------------------------------------------------------------

    static RevokeCommand command(String id, String principal, List<String> targets, int pid) {
        return TestSigning.signed(unsignedCommand(id, principal, targets, pid));
    }

    static RevokeCommand unsignedCommand(String id, String principal, List<String> targets, int pid) {
        long now = Micros.now();
        return RevokeCommand.newBuilder()
                .setCommandId(id).setRuleId("mass-drop").setPrincipal(principal).setTargets(targets)
                .setBackendPids(pid == 0 ? List.of() : List.of(pid))
                .setWindowStartUs(now - 9_000_000).setWindowEndUs(now)
                .setTriggerEventId("ev-1").setTriggerEventTimeUs(now - 1_000).setIssuedTimeUs(now)
                .build();
    }

    static void produce(RevokeCommand command) throws Exception {
        TopicRecords.produce(kafka.bootstrapServers(), REGISTRY, command);
    }

    /** Reads the topic from the beginning until {@code count} matching records arrived (30 s at most). */
    static <T extends SpecificRecord> List<T> await(String topic, Class<T> type, Predicate<T> filter, int count) {
        return TopicRecords.await(kafka.bootstrapServers(), REGISTRY, topic, type, filter, count, Duration.ofSeconds(30));
    }

    /** Offset of the (last) command with this id on the commands topic. */
    static long offsetOf(RevokeCommand command) {
        long offset = -1;
        try (KafkaConsumer<String, RevokeCommand> consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(),
                new RegistryAvroDeserializer<>(RevokeCommand.class, SchemaRegistries.forUrl(REGISTRY)))) {
            TopicPartition partition = new TopicPartition(Topics.KILLSWITCH_COMMANDS, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                try {
                    for (ConsumerRecord<String, RevokeCommand> r : consumer.poll(Duration.ofMillis(100))) {
                        if (r.value().getCommandId().equals(command.getCommandId())) {
                            offset = r.offset();
                        }
                    }
                } catch (org.apache.kafka.common.errors.RecordDeserializationException e) {
                    consumer.seek(partition, e.offset() + 1); // the other test's garbage
                }
            }
        }
        assertThat(offset).isNotNegative();
        return offset;
    }

    static long committedCommands() throws Exception {
        try (var admin = kafka.admin()) {
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get()
                    .get(new TopicPartition(Topics.KILLSWITCH_COMMANDS, 0));
            return committed == null ? 0 : committed.offset();
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

    static int pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
