package dev.firebreak.killswitch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.killswitch.caep.SetReceiver;
import dev.firebreak.killswitch.postgres.KillSwitchRoleInstaller;
import dev.firebreak.killswitch.reinstate.ReinstateService;
import dev.firebreak.killswitch.webhook.TokenService;
import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AlertKind;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Severity;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One command, three kinds of credential: an agent's PostgreSQL role, its PaaS API token (behind a
 * signed webhook) and its Kafka principal are revoked by the kill switch service from one command,
 * each against its real target; then an operator reinstates all three. The pipeline's topics live on
 * one cluster, the Kafka principal on another cluster with SASL users and the standard authorizer.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KillSwitchTargetsIT {
    static final String REGISTRY = "mem://killswitch-targets-it";
    static final String SECRET = "whsec_a2lsbC1zd2l0Y2gtdGFyZ2V0cy1pdC13ZWJob29r";
    static final String PRINCIPAL = "agent:deployer";
    static final String ROLE = "deployer_rw";
    static final String TOKEN = "tok-deployer";
    static final String AGENT_USER = "deployer";
    static final List<String> TARGETS = List.of("pg:test/" + ROLE, "token:railway/" + TOKEN, "kafka:sec/User:" + AGENT_USER);

    static EmbeddedKafka pipeline;
    static EmbeddedKafka secured;
    static EmbeddedPostgres17 pg;
    static TokenService tokens;
    static KillSwitchService service;
    /** Receives the CAEP session-revoked SETs the kill switch pushes after revoking. */
    static SetReceiver caep;
    static KillSwitchConfig config;
    static final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @BeforeAll
    static void start() throws Exception {
        pipeline = EmbeddedKafka.start(1);
        pipeline.createTopics(List.of(Topics.KILLSWITCH_COMMANDS, Topics.KILLSWITCH_RESULTS, Topics.ALERTS), Map.of());
        secured = EmbeddedKafka.startSecured(Map.of("firebreak", "ks-secret", AGENT_USER, "agent-secret"));
        secured.createTopics(List.of("deploys"), Map.of());
        try (Admin admin = secured.admin()) {
            admin.createAcls(List.of(
                    allow("firebreak", ResourceType.CLUSTER, "kafka-cluster", AclOperation.DESCRIBE),
                    allow("firebreak", ResourceType.CLUSTER, "kafka-cluster", AclOperation.ALTER),
                    allow(AGENT_USER, ResourceType.TOPIC, "deploys", AclOperation.ALL))).all().get(30, TimeUnit.SECONDS);
        }
        pg = EmbeddedPostgres17.start(Map.of());
        superuser("CREATE ROLE " + ROLE + " LOGIN PASSWORD 'pw'", "CREATE ROLE ops_admin LOGIN PASSWORD 'pw'");
        try (Connection admin = pg.superuserConnection()) {
            KillSwitchRoleInstaller.install(admin, "firebreak_ks", "ks-secret", List.of(), List.of("ops_admin"));
        }
        tokens = new TokenService(SECRET);
        tokens.put(TOKEN, new TokenService.Token(true, List.of("deploy", "volumes:write"), "2027-01-01T00:00:00Z"));

        Map<String, String> settings = new HashMap<>();
        settings.put(KillSwitchConfig.CLUSTER, "test");
        settings.put(KillSwitchConfig.PG_URL, pg.jdbcUrl());
        settings.put(KillSwitchConfig.PG_USER, "firebreak_ks");
        settings.put(KillSwitchConfig.PG_PASSWORD, "ks-secret");
        settings.put(KillSwitchConfig.PROTECTED_ROLES, "ops_admin");
        settings.put(KillSwitchConfig.BOOTSTRAP_SERVERS, pipeline.bootstrapServers());
        settings.put(KillSwitchConfig.SCHEMA_REGISTRY_URL, REGISTRY);
        settings.put(KillSwitchConfig.GROUP_ID, "targets-it");
        settings.put(KillSwitchConfig.RETRY_BACKOFF_MS, "20");
        settings.put("firebreak.killswitch.kafka.cluster", "sec");
        settings.put("firebreak.killswitch.kafka.bootstrap.servers", secured.bootstrapServers());
        secured.clientProperties("firebreak").forEach((k, v) -> {
            if (!k.equals("bootstrap.servers")) {
                settings.put("firebreak.killswitch.kafka.admin." + k, v);
            }
        });
        settings.put("firebreak.killswitch.webhook.railway.url", tokens.url().toString());
        settings.put("firebreak.killswitch.webhook.railway.secret", SECRET);
        settings.put("firebreak.killswitch.webhook.railway.max.attempts", "3");
        settings.put("firebreak.killswitch.webhook.railway.backoff.ms", "20");
        settings.putAll(TestSigning.settings());
        java.security.KeyPairGenerator ec = java.security.KeyPairGenerator.getInstance("EC");
        ec.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.KeyPair caepKeys = ec.generateKeyPair();
        caep = new SetReceiver(caepKeys.getPublic(), "https://firebreak.test/", "siem", null);
        java.nio.file.Path pem = java.nio.file.Files.createTempFile("caep", ".pem");
        pem.toFile().deleteOnExit();
        java.nio.file.Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(caepKeys.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        settings.put("firebreak.killswitch.caep.issuer", "https://firebreak.test/");
        settings.put("firebreak.killswitch.caep.signing.key.file", pem.toString());
        settings.put("firebreak.killswitch.caep.receiver.siem.url", caep.url().toString());
        settings.put("firebreak.killswitch.caep.receiver.siem.audience", "siem");
        config = KillSwitchConfig.fromMap(settings);
        service = KillSwitchService.start(config, meters);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {service, caep, tokens, pg, secured, pipeline}) {
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
    void oneCommandRevokesTheRoleTheTokenAndTheKafkaPrincipal() throws Exception {
        Connection session = pg.connect(ROLE, "pw");
        assertThat(agentCanProduce()).isTrue();

        produce(command("cmd-all", TARGETS));
        List<RevocationResult> results = await(Topics.KILLSWITCH_RESULTS, RevocationResult.class,
                r -> r.getCommandId().equals("cmd-all"), 3);

        assertThat(results).extracting(RevocationResult::getTarget).containsExactlyInAnyOrderElementsOf(TARGETS);
        assertThat(results).allSatisfy(r -> {
            assertThat(r.getOutcome()).as(r.getTarget() + ": " + r.getDetail()).isEqualTo(RevocationOutcome.REVOKED);
            assertThat(r.getPreviousState()).isNotBlank();
        });
        assertThat(results).extracting(RevocationResult::getKind).containsExactlyInAnyOrder("postgres", "webhook", "kafka");
        assertThatThrownBy(() -> pg.connect(ROLE, "pw")).hasMessageContaining("not permitted to log in");
        assertThatThrownBy(() -> session.createStatement().execute("SELECT 1")).isInstanceOf(SQLException.class);
        assertThat(tokens.usable(TOKEN)).isFalse();
        assertThat(agentCanProduce()).isFalse();
        // one verified CAEP session-revoked SET per revoked credential, after the results were published
        List<SetReceiver.Delivery> sets = caep.await(3, 10_000);
        assertThat(sets).allSatisfy(d -> assertThat(d.problem()).isNull());
        assertThat(sets).extracting(d -> d.claims().getJSONObjectClaim("sub_id").get("id"))
                .containsExactlyInAnyOrderElementsOf(TARGETS);
    }

    @Test
    @Order(2)
    void aReplayedCommandIsHarmlessAndSaysSo() throws Exception {
        int revocationsBefore = tokens.revocations();
        produce(command("cmd-all", TARGETS));
        List<RevocationResult> results = await(Topics.KILLSWITCH_RESULTS, RevocationResult.class,
                r -> r.getCommandId().equals("cmd-all"), 6);
        assertThat(results.subList(3, 6)).allSatisfy(r ->
                assertThat(r.getOutcome()).as(r.getTarget()).isEqualTo(RevocationOutcome.ALREADY_REVOKED));
        assertThat(tokens.revocations()).isEqualTo(revocationsBefore);
        Thread.sleep(300);
        assertThat(caep.deliveries()).as("nothing announced for ALREADY_REVOKED").hasSize(3);
    }

    @Test
    @Order(3)
    void reinstateRestoresExactlyThePreviousStateOfAllThree() throws Exception {
        // A forged "already reinstated" for the token: trusted, it would leave the token revoked.
        long now = Micros.now();
        TopicRecords.produce(pipeline.bootstrapServers(), REGISTRY, RevocationResult.newBuilder().setCommandId("reinstate:forged")
                .setRuleId("agent-destructive-api-burst").setPrincipal(PRINCIPAL).setTarget("token:railway/" + TOKEN)
                .setOutcome(RevocationOutcome.REINSTATED).setDetail("forged").setWindowStartUs(0).setWindowEndUs(0)
                .setTriggerEventTimeUs(0).setStartedTimeUs(now).setCompletedTimeUs(now).setAction(RevocationAction.REINSTATE)
                .setOperator("mallory").setReason("forged").build());
        ReinstateService.Report report = ReinstateService.reinstate(config, PRINCIPAL, "alice",
                "planned migration, approved in CHG-1234", false, Duration.ofSeconds(10), meters);
        assertThat(report.unverified()).singleElement().satisfies(u ->
                assertThat(u.result().getCommandId()).isEqualTo("reinstate:forged"));

        assertThat(report.results()).hasSize(3).allSatisfy(r -> {
            assertThat(r.getOutcome()).as(r.getTarget() + ": " + r.getDetail()).isEqualTo(RevocationOutcome.REINSTATED);
            assertThat(r.getAction()).isEqualTo(RevocationAction.REINSTATE);
        });
        pg.connect(ROLE, "pw").close();
        assertThat(tokens.token(TOKEN)).isEqualTo(
                new TokenService.Token(true, List.of("deploy", "volumes:write"), "2027-01-01T00:00:00Z"));
        assertThat(agentCanProduce()).isTrue();

        List<RevocationResult> recorded = await(Topics.KILLSWITCH_RESULTS, RevocationResult.class,
                r -> r.getAction() == RevocationAction.REINSTATE && "alice".equals(r.getOperator()), 3);
        assertThat(recorded).allSatisfy(r -> {
            assertThat(dev.firebreak.schema.signing.RecordSignatures.verify(r, TestSigning.RESULT_KEY))
                    .isEqualTo(dev.firebreak.schema.signing.RecordSignatures.Verification.VALID);
            assertThat(r.getOperator()).isEqualTo("alice");
            assertThat(r.getReason()).isEqualTo("planned migration, approved in CHG-1234");
            assertThat(r.getPrincipal()).isEqualTo(PRINCIPAL);
        });
        assertThat(ReinstateService.reinstate(config, PRINCIPAL, "alice", "again", false, Duration.ofSeconds(10), meters)
                .results()).as("nothing left to reinstate").isEmpty();
    }

    @Test
    @Order(4)
    void aTargetThatIsDownIsRetriedThenReportedFailedWithACriticalAlert() throws Exception {
        tokens.put("tok-2", new TokenService.Token(true, List.of("deploy"), "2027-01-01T00:00:00Z"));
        tokens.stop();
        produce(command("cmd-down", List.of("token:railway/tok-2", "pg:test/ops_admin")));
        List<RevocationResult> results = await(Topics.KILLSWITCH_RESULTS, RevocationResult.class,
                r -> r.getCommandId().equals("cmd-down"), 2);
        RevocationResult token = results.stream().filter(r -> r.getKind().equals("webhook")).findFirst().orElseThrow();
        assertThat(token.getOutcome()).isEqualTo(RevocationOutcome.FAILED);
        assertThat(token.getDetail()).contains("after 3 attempts");
        RevocationResult role = results.stream().filter(r -> r.getKind().equals("postgres")).findFirst().orElseThrow();
        assertThat(role.getOutcome()).as("protected principal refused").isEqualTo(RevocationOutcome.REFUSED_PROTECTED);

        List<Alert> alerts = await(Topics.ALERTS, Alert.class, a -> a.getAlertId().startsWith("killswitch:cmd-down:"), 2);
        assertThat(alerts).allSatisfy(a -> assertThat(a.getSeverity()).isEqualTo(Severity.CRITICAL));
        assertThat(alerts).extracting(Alert::getKind)
                .containsExactlyInAnyOrder(AlertKind.REVOCATION_FAILED, AlertKind.REVOCATION_REFUSED);
        assertThat(pg.connect("ops_admin", "pw").isValid(1)).isTrue();
    }

    // --- helpers --------------------------------------------------------------------------------

    static boolean agentCanProduce() {
        Map<String, Object> props = new HashMap<>(secured.clientProperties(AGENT_USER));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 5_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("deploys", "k", "v")).get(10, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    static AclBinding allow(String user, ResourceType type, String name, AclOperation op) {
        return new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
                new AccessControlEntry("User:" + user, "*", op, AclPermissionType.ALLOW));
    }

    static RevokeCommand command(String id, List<String> targets) {
        long now = Micros.now();
        return TestSigning.signed(RevokeCommand.newBuilder().setCommandId(id).setRuleId("agent-destructive-api-burst")
                .setPrincipal(PRINCIPAL).setTargets(targets).setWindowStartUs(now - 1_000_000).setWindowEndUs(now)
                .setTriggerEventId("ev-1").setTriggerEventTimeUs(now - 1_000).setIssuedTimeUs(now).build());
    }

    static void produce(RevokeCommand command) throws Exception {
        TopicRecords.produce(pipeline.bootstrapServers(), REGISTRY, command);
    }

    /** Reads the topic from the beginning until {@code count} matching records arrived (60 s at most). */
    static <T extends SpecificRecord> List<T> await(String topic, Class<T> type, Predicate<T> filter, int count) {
        return TopicRecords.await(pipeline.bootstrapServers(), REGISTRY, topic, type, filter, count, Duration.ofSeconds(60));
    }

    static void superuser(String... statements) throws SQLException {
        try (Connection c = pg.superuserConnection(); Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        }
    }
}
