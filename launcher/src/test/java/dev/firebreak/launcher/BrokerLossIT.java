package dev.firebreak.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.firebreak.launcher.demo.BurstScenario;
import dev.firebreak.launcher.demo.OutcomeWatcher;
import dev.firebreak.launcher.demo.RogueAgent;
import dev.firebreak.launcher.demo.Timeline;
import dev.firebreak.launcher.pipeline.Pipeline;
import dev.firebreak.launcher.pipeline.PipelineSettings;
import dev.firebreak.launcher.stack.LocalStack;
import dev.firebreak.killswitch.KillSwitchService;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.RevocationOutcome;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three brokers, RF 3, {@code min.insync.replicas=2}: the broker leading the events partition is
 * shut down in the middle of a rogue's burst. The burst is still caught (the role cannot log in),
 * every statement PostgreSQL executed or refused has its event in Kafka, and the command and its
 * result arrive. Also: a stage refuses to start once a topic it uses is weakened to min.insync 1.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrokerLossIT {
    private static final String CLUSTER = "brokerloss";
    private static final int TABLES = 24;
    private static LocalStack stack;
    private static Pipeline pipeline;
    private static OutcomeWatcher watcher;

    @BeforeAll
    static void start() {
        stack = LocalStack.start(3, m -> { });
        assumeTrue(stack.kafka() instanceof EmbeddedKafka, "needs the in-JVM cluster to stop one of its brokers");
        pipeline = Pipeline.start(PipelineSettings.forStack(stack, CLUSTER, List.of()), new SimpleMeterRegistry(), m -> { });
        watcher = new OutcomeWatcher(stack.observerClientProperties(), stack.registryUrl(), a -> { }, r -> { });
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {watcher, pipeline, stack}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the rest; a cluster that lost a broker may not stop cleanly
            }
        }
    }

    @Test
    @Order(2)
    void aBurstIsCaughtAndNothingIsLostWhenTheEventsLeaderDiesMidBurst() throws Exception {
        String role = "rogue_brokerloss";
        BurstScenario scenario = new BurstScenario(stack.postgres(), watcher, CLUSTER,
                new Timeline(new PrintStream(OutputStream.nullOutputStream()), true));
        RogueAgent rogue = scenario.prepare(role, "fleet", TABLES, 10);
        String principal = "pg:" + CLUSTER + "/" + role;
        int leader = leaderOf(Topics.AUDIT_EVENTS, principal);

        // The first drop is in; the leader goes down while the rogue keeps dropping.
        AtomicReference<CompletableFuture<Void>> stopping = new AtomicReference<>();
        RogueAgent.Run run = rogue.run(RogueAgent.Mode.AUTOCOMMIT, TABLES, 6.0, drop -> {
            if (drop.ok() && stopping.get() == null) {
                stopping.set(CompletableFuture.runAsync(() -> ((EmbeddedKafka) stack.kafka()).stopBroker(leader)));
            }
        });
        assertThat(stopping.get()).as("the first drop went through and the broker was stopped").isNotNull();
        RevocationResult result = watcher.awaitResult(principal, Duration.ofSeconds(60)).orElseThrow(
                () -> new AssertionError("no kill switch result for " + principal + " after losing broker " + leader));
        assertThat(result.getOutcome()).isIn(RevocationOutcome.REVOKED, RevocationOutcome.ALREADY_REVOKED);
        assertThat(rogue.tryReconnect()).contains("not permitted to log in");

        Set<String> gone = CapturedStatements.tablesGone(stack.postgres(), "fleet", TABLES);
        List<AuditEvent> events = CapturedStatements.events(stack.adminClientProperties(), stack.registryUrl(), principal,
                CapturedStatements.covers(run), Duration.ofSeconds(60));
        long duplicates = CapturedStatements.assertNothingLost(run, gone, events);
        assertThat(gone).as("the rogue got some drops in before the lock").isNotEmpty();
        System.out.printf("broker loss: leader %d stopped; %d statements, %d tables dropped, %d events, %d duplicates%n",
                leader, run.drops().size(), gone.size(), events.size(), duplicates);

        stopping.get().get(60, TimeUnit.SECONDS);
        try (Admin admin = stack.kafka().admin()) {
            assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).as("live brokers").hasSize(2);
        }
        assertThat(leaderOf(Topics.AUDIT_EVENTS, principal)).as("the principal's events partition moved to another broker")
                .isNotEqualTo(leader);
    }

    @Test
    @Order(1) // while all three brokers are up: below three the check only warns
    void aStageRefusesToStartOnATopicThatWouldNotSurviveABrokerLoss() throws Exception {
        setMinInsync(Topics.KILLSWITCH_RESULTS, "1");
        try {
            PipelineSettings settings = PipelineSettings.forStack(stack, CLUSTER, List.of());
            assertThatThrownBy(() -> KillSwitchService.start(settings.killSwitch(), new SimpleMeterRegistry()).close())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("kill switch refuses to start")
                    .hasMessageContaining("topic " + Topics.KILLSWITCH_RESULTS + " has replication factor 3 and min.insync.replicas 1")
                    .hasMessageContaining("replication factor >= 3 and min.insync.replicas >= 2");
        } finally {
            setMinInsync(Topics.KILLSWITCH_RESULTS, "2");
        }
    }

    /** The leader of the partition of {@code topic} that Kafka's default partitioner picks for {@code key}. */
    private static int leaderOf(String topic, String key) throws Exception {
        try (Admin admin = stack.kafka().admin()) {
            var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions();
            int partition = org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                    key.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % partitions.size();
            return partitions.stream().filter(p -> p.partition() == partition).findFirst().orElseThrow().leader().id();
        }
    }

    private static void setMinInsync(String topic, String value) throws Exception {
        try (Admin admin = stack.kafka().admin()) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                    new ConfigEntry("min.insync.replicas", value), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
        }
    }
}
