package dev.firebreak.launcher.topics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.launcher.CliErrors;
import dev.firebreak.launcher.FirebreakCli;
import dev.firebreak.schema.TopicPlan;
import dev.firebreak.schema.Topics;
import dev.firebreak.stack.EmbeddedKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code firebreak topics create} on a real (embedded) Kafka: creates, is idempotent, reports drift. */
class TopicsCreateCommandIT {

    @Test
    void createsEveryTopicOnceThenVerifiesAndReportsDrift() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1); Admin admin = kafka.admin()) {
            // one topic already there, made by hand with a single partition
            admin.createTopics(List.of(new NewTopic(Topics.ALERTS, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);

            Run dry = run(kafka, "--dry-run");
            assertThat(dry.code).isEqualTo(TopicsCreateCommand.DRIFT);
            assertThat(dry.lines()).filteredOn(l -> l.startsWith("MISSING")).hasSize(TopicPlan.TOPICS.size() - 1);
            assertThat(admin.listTopics().names().get()).doesNotContain(Topics.AUDIT_EVENTS);

            Run first = run(kafka);
            assertThat(first.code).isEqualTo(TopicsCreateCommand.DRIFT);
            assertThat(first.lines()).hasSize(TopicPlan.TOPICS.size());
            assertThat(first.lines()).filteredOn(l -> l.startsWith("created")).hasSize(TopicPlan.TOPICS.size() - 1);
            assertThat(first.lines()).anySatisfy(l -> assertThat(l).startsWith("DRIFT    " + Topics.ALERTS + ": ")
                    .contains("has retention.ms=604800000, planned 2592000000"));
            var commands = admin.describeTopics(List.of(Topics.KILLSWITCH_COMMANDS)).allTopicNames().get()
                    .get(Topics.KILLSWITCH_COMMANDS);
            assertThat(commands.partitions()).hasSize(1);
            ConfigResource commandsConfig = new ConfigResource(ConfigResource.Type.TOPIC, Topics.KILLSWITCH_COMMANDS);
            assertThat(admin.describeConfigs(List.of(commandsConfig)).all().get().get(commandsConfig)
                    .get("message.timestamp.type").value()).isEqualTo("LogAppendTime");

            admin.deleteTopics(List.of(Topics.ALERTS)).all().get(30, TimeUnit.SECONDS);
            awaitGone(admin, Topics.ALERTS);
            Run second = run(kafka);
            assertThat(second.lines()).filteredOn(l -> l.startsWith("ok")).hasSize(TopicPlan.TOPICS.size() - 1);
            assertThat(second.lines()).filteredOn(l -> l.startsWith("created")).singleElement().asString().contains(Topics.ALERTS);
            assertThat(second.code).isZero();

            Run third = run(kafka);
            assertThat(third.code).as(third.out).isZero();
            assertThat(third.lines()).hasSize(TopicPlan.TOPICS.size()).allSatisfy(l -> assertThat(l).startsWith("ok"));

            ConfigResource events = new ConfigResource(ConfigResource.Type.TOPIC, Topics.AUDIT_EVENTS);
            admin.incrementalAlterConfigs(Map.of(events, List.of(new AlterConfigOp(
                    new ConfigEntry("retention.ms", "3600000"), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
            Run fourth = run(kafka);
            assertThat(fourth.code).isEqualTo(TopicsCreateCommand.DRIFT);
            assertThat(fourth.lines()).filteredOn(l -> l.startsWith("DRIFT")).singleElement().asString()
                    .isEqualTo("DRIFT    " + Topics.AUDIT_EVENTS + ": has retention.ms=3600000, planned 604800000");
        }
    }

    @Test
    void detectionsOwnerEventsFollowTheAuditEventsPartitionsAndADifferentCountIsDrift() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(1); Admin admin = kafka.admin()) {
            // an operator's choice: more audit partitions than planned, which is not drift
            int chosen = TopicPlan.DETECTION_PARTITIONS * 2;
            TopicPlan.Spec audit = TopicPlan.TOPICS.stream().filter(t -> t.name().equals(Topics.AUDIT_EVENTS)).findFirst().orElseThrow();
            admin.createTopics(List.of(new NewTopic(Topics.AUDIT_EVENTS, chosen, (short) 1)
                    .configs(TopicPlan.createConfigs(audit, 1)))).all().get(30, TimeUnit.SECONDS);
            Run first = run(kafka);
            assertThat(first.code).as(first.out).isZero();
            assertThat(first.lines()).anySatisfy(l -> assertThat(l).startsWith("created  " + Topics.DETECTION_OWNER_EVENTS
                    + " partitions=" + chosen + " "));

            // made by hand with another count: detection would refuse it, and so does the check
            admin.deleteTopics(List.of(Topics.DETECTION_OWNER_EVENTS)).all().get(30, TimeUnit.SECONDS);
            awaitGone(admin, Topics.DETECTION_OWNER_EVENTS);
            admin.createTopics(List.of(new NewTopic(Topics.DETECTION_OWNER_EVENTS, TopicPlan.DETECTION_PARTITIONS, (short) 1)
                    .configs(TopicPlan.createConfigs(audit, 1)))).all().get(30, TimeUnit.SECONDS);
            awaitDescribed(admin, Topics.DETECTION_OWNER_EVENTS, TopicPlan.DETECTION_PARTITIONS);
            Run second = run(kafka);
            assertThat(second.code).as(second.out).isEqualTo(TopicsCreateCommand.DRIFT);
            assertThat(second.lines()).filteredOn(l -> l.startsWith("DRIFT")).singleElement().asString()
                    .startsWith("DRIFT    " + Topics.AUDIT_EVENTS + "," + Topics.DETECTION_OWNER_EVENTS + ": partitions {"
                            + Topics.AUDIT_EVENTS + "=" + chosen + ", " + Topics.DETECTION_OWNER_EVENTS + "="
                            + TopicPlan.DETECTION_PARTITIONS + "} differ");
        }
    }

    private static void awaitGone(Admin admin, String topic) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (admin.listTopics().names().get().contains(topic) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
    }

    // A topic re-created under a name just deleted takes a moment to be described everywhere.
    private static void awaitDescribed(Admin admin, String topic, int partitions) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                if (admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size() == partitions) {
                    return;
                }
            } catch (java.util.concurrent.ExecutionException e) {
                // not known yet
            }
            Thread.sleep(100);
        }
    }

    private record Run(int code, String out) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    private static Run run(EmbeddedKafka kafka, String... extra) {
        StringWriter out = new StringWriter();
        CommandLine cli = CliErrors.install(new CommandLine(new FirebreakCli()));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        List<String> args = new java.util.ArrayList<>(List.of("topics", "create", "--bootstrap-server", kafka.bootstrapServers()));
        args.addAll(List.of(extra));
        int code = cli.execute(args.toArray(String[]::new));
        return new Run(code, out.toString());
    }
}
