package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.firebreak.launcher.demo.BurstScenario;
import dev.firebreak.launcher.demo.DemoReport;
import dev.firebreak.launcher.demo.OutcomeWatcher;
import dev.firebreak.launcher.demo.RogueAgent;
import dev.firebreak.launcher.demo.Timeline;
import dev.firebreak.launcher.pipeline.Pipeline;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.launcher.stack.PipelineKafkaAcls;
import dev.firebreak.schema.RevocationAction;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.stack.StackProviders;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The pipeline's own channels on the real embedded stack, Kafka with SASL/SCRAM-SHA-512 and
 * {@code StandardAuthorizer}: each stage's credentials (as {@code PipelineSettings} hands them to it)
 * may write its own outputs and nothing else, a client without credentials or with a wrong password
 * gets nothing in, and the whole pipeline, every stage on its own user, still catches a burst.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaAuthIT {
    private static final String CLUSTER = "auth";
    private static final byte[] JUNK = {0, 0, 0, 0, 1};
    private static LocalStack stack;
    private static Pipeline pipeline;
    private static OutcomeWatcher watcher;
    private static BurstScenario scenario;

    @BeforeAll
    static void start() {
        stack = LocalStack.start(StackProviders.embedded(), 1, LocalStack.KafkaAuth.SCRAM, m -> { });
        pipeline = Pipeline.start(PipelineSettings.forStack(stack, CLUSTER, List.of()), new SimpleMeterRegistry(), m -> { });
        watcher = new OutcomeWatcher(stack.observerClientProperties(), stack.registryUrl(), a -> { }, r -> { });
        scenario = new BurstScenario(stack.postgres(), watcher, CLUSTER,
                new Timeline(new PrintStream(OutputStream.nullOutputStream()), true));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {watcher, pipeline, stack}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }

    @Test
    @Order(1)
    void everyStageOnItsOwnUserStillCatchesABurst() throws Exception {
        assertThat(stack.kafkaAuthenticated()).isTrue();
        RogueAgent rogue = scenario.prepare("rogue_sasl", "vault", 12, 20);
        DemoReport report = scenario.run(rogue, "rogue_sasl", "vault", RogueAgent.Mode.AUTOCOMMIT, 12, 6.0);

        assertThat(report.revoked()).isTrue();
        assertThat(report.tablesDropped()).isBetween(2, 3);
        assertThat(report.reconnect()).contains("not permitted to log in");
    }

    @Test
    @Order(2)
    void ingestCannotWriteCommandsNorResults() {
        assertDenied(PipelineKafkaAcls.INGEST, Topics.KILLSWITCH_COMMANDS);
        assertDenied(PipelineKafkaAcls.INGEST, Topics.KILLSWITCH_RESULTS);
    }

    @Test
    @Order(3)
    void onlyIngestWritesAuditEvents() {
        for (String user : List.of(PipelineKafkaAcls.DETECTION, PipelineKafkaAcls.KILL_SWITCH, PipelineKafkaAcls.ON_CALL,
                PipelineKafkaAcls.OBSERVER, PipelineKafkaAcls.OPERATOR)) {
            assertDenied(user, Topics.AUDIT_EVENTS);
        }
    }

    /** Pre-flight: only operators answer asks, only ingest records decisions. */
    @Test
    @Order(3)
    void onlyTheOperatorAnswersAsksAndOnlyIngestRecordsDecisions() {
        for (String user : List.of(PipelineKafkaAcls.INGEST, PipelineKafkaAcls.DETECTION, PipelineKafkaAcls.KILL_SWITCH,
                PipelineKafkaAcls.OBSERVER)) {
            assertDenied(user, Topics.PREFLIGHT_APPROVALS);
        }
        assertDenied(PipelineKafkaAcls.OPERATOR, Topics.PREFLIGHT_DECISIONS);
        assertDenied(PipelineKafkaAcls.OPERATOR, Topics.KILLSWITCH_COMMANDS);
    }

    @Test
    @Order(4)
    void detectionWritesCommandsAndNoOtherStageDoes() throws Exception {
        // Unsigned and dry-run: the kill switch refuses it, which is the point of signing; here only
        // the broker's decision to accept detection's write matters.
        RecordMetadata written = send(PipelineKafkaAcls.DETECTION, Topics.KILLSWITCH_COMMANDS, command());
        assertThat(written.offset()).isGreaterThanOrEqualTo(0);
        for (String user : List.of(PipelineKafkaAcls.KILL_SWITCH, PipelineKafkaAcls.ON_CALL, PipelineKafkaAcls.OBSERVER)) {
            assertDenied(user, Topics.KILLSWITCH_COMMANDS);
        }
    }

    @Test
    @Order(5)
    void killSwitchWritesResultsButNotCommands() throws Exception {
        RecordMetadata written = send(PipelineKafkaAcls.KILL_SWITCH, Topics.KILLSWITCH_RESULTS, result());
        assertThat(written.offset()).isGreaterThanOrEqualTo(0);
        assertDenied(PipelineKafkaAcls.KILL_SWITCH, Topics.KILLSWITCH_COMMANDS);
        for (String user : List.of(PipelineKafkaAcls.DETECTION, PipelineKafkaAcls.ON_CALL, PipelineKafkaAcls.OBSERVER)) {
            assertDenied(user, Topics.KILLSWITCH_RESULTS);
        }
    }

    @Test
    @Order(6)
    void aClientWithoutCredentialsGetsNothingIn() {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers());
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 3_000);
        assertThatThrownBy(() -> send(props, Topics.KILLSWITCH_COMMANDS, JUNK))
                .satisfies(e -> assertThat(rootCause(e)).isInstanceOf(org.apache.kafka.common.errors.TimeoutException.class));
    }

    @Test
    @Order(7)
    void aWrongPasswordIsRefused() {
        Map<String, Object> props = new HashMap<>(stack.kafkaClientProperties(PipelineKafkaAcls.DETECTION));
        props.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + PipelineKafkaAcls.DETECTION + "\" password=\"guessed\";");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        assertThatThrownBy(() -> send(props, Topics.KILLSWITCH_COMMANDS, JUNK))
                .satisfies(e -> assertThat(rootCause(e)).isInstanceOf(AuthenticationException.class));
    }

    @Test
    @Order(8)
    void theObserverCannotJoinTheKillSwitchGroupToStealCommands() {
        Map<String, Object> props = new HashMap<>(stack.observerClientProperties());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, dev.firebreak.killswitch.KillSwitchConfig.DEFAULT_GROUP_ID);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.KILLSWITCH_COMMANDS));
            assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(10))).isInstanceOf(GroupAuthorizationException.class);
        }
    }

    private static void assertDenied(String user, String topic) {
        Map<String, Object> props = new HashMap<>(stack.kafkaClientProperties(user));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        // Not idempotent: a read-only user is otherwise refused a producer id first
        // (ClusterAuthorizationException), and the topic's own ACL would go untested.
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        assertThatThrownBy(() -> send(props, topic, JUNK))
                .as("%s writing %s", user, topic)
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(TopicAuthorizationException.class);
    }

    private static RecordMetadata send(String user, String topic, byte[] value) throws Exception {
        Map<String, Object> props = new HashMap<>(stack.kafkaClientProperties(user));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        return send(props, topic, value);
    }

    private static RecordMetadata send(Map<String, Object> props, String topic, byte[] value) throws Exception {
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            return producer.send(new ProducerRecord<>(topic, "kafka-auth-it", value)).get(60, TimeUnit.SECONDS);
        }
    }

    private static byte[] command() {
        long now = System.currentTimeMillis() * 1000;
        String id = "kafka-auth-it-" + UUID.randomUUID();
        RevokeCommand command = RevokeCommand.newBuilder().setCommandId(id).setRuleId("kafka-auth-it")
                .setPrincipal("pg:" + CLUSTER + "/nobody").setTargets(List.of("pg:" + CLUSTER + "/nobody"))
                .setWindowStartUs(now).setWindowEndUs(now).setTriggerEventId(id).setTriggerEventTimeUs(now)
                .setIssuedTimeUs(now).setDryRun(true).build();
        return new RegistryAvroSerializer<>(RevokeCommand.class, SchemaRegistries.forUrl(stack.registryUrl()), false)
                .serialize(Topics.KILLSWITCH_COMMANDS, command);
    }

    private static byte[] result() {
        long now = System.currentTimeMillis() * 1000;
        RevocationResult result = RevocationResult.newBuilder().setCommandId("kafka-auth-it-" + UUID.randomUUID())
                .setRuleId("kafka-auth-it").setPrincipal("pg:" + CLUSTER + "/nobody").setTarget("pg:" + CLUSTER + "/nobody")
                .setOutcome(RevocationOutcome.FAILED).setDetail("written by KafkaAuthIT").setWindowStartUs(now)
                .setWindowEndUs(now).setTriggerEventTimeUs(now).setStartedTimeUs(now).setCompletedTimeUs(now)
                .setAction(RevocationAction.REVOKE).build();
        return new RegistryAvroSerializer<>(RevocationResult.class, SchemaRegistries.forUrl(stack.registryUrl()), false)
                .serialize(Topics.KILLSWITCH_RESULTS, result);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
