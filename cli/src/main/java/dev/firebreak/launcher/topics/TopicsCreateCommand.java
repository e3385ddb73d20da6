package dev.firebreak.launcher.topics;

import dev.firebreak.launcher.service.ServiceCommand;
import dev.firebreak.schema.TopicPlan;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Creates every pipeline topic that does not exist, as {@link TopicPlan} says (partitions, cleanup
 * policy, retention, required settings) with the chosen replication factor and
 * {@code min.insync.replicas}, and checks the ones that exist against the same plan. Idempotent:
 * a second run creates nothing. It never alters an existing topic: drift is reported, one line per
 * topic (and one more when detection's co-partitioned topics differ in partitions), for a human to decide (adding partitions moves keys; shortening retention deletes).
 * Exit code 0 when every topic matches, {@value #DRIFT} when any drifted (or, with {@code --dry-run},
 * is missing).
 */
@Command(name = "create", mixinStandardHelpOptions = true,
        description = "Create the pipeline's topics (idempotent); verify existing ones and report drift.")
public final class TopicsCreateCommand implements Callable<Integer> {
    /** Exit code when an existing topic does not match the plan. */
    public static final int DRIFT = 4;
    private static final long TIMEOUT_MS = 30_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--bootstrap-server", required = true, description = "Kafka host:port[,host:port...].")
    String bootstrapServers;

    @Option(names = "--command-config",
            description = "Kafka client properties for an admin allowed to create and describe topics (security.protocol, sasl.*, ssl.*).")
    Path commandConfig;

    @Option(names = "--replication-factor",
            description = "Replicas per partition (default: 3, or the broker count when the cluster has fewer).")
    Integer replicationFactor;

    @Option(names = "--min-insync-replicas",
            description = "min.insync.replicas of every topic (default: 2 from 3 replicas up, else 1).")
    Integer minInsyncReplicas;

    @Option(names = "--dry-run", description = "Report what would be created and what drifted; create nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> props = new HashMap<>();
        if (commandConfig != null) {
            props.putAll(ServiceCommand.read(commandConfig));
        }
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        PrintWriter out = spec.commandLine().getOut();
        try (Admin admin = Admin.create(props)) {
            int brokers = admin.describeCluster().nodes().get(TIMEOUT_MS, TimeUnit.MILLISECONDS).size();
            int rf = replicationFactor(brokers);
            int minInsync = minInsync(rf);
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            boolean drifted = false;
            Map<String, Integer> partitions = new HashMap<>();
            for (TopicPlan.Spec planned : TopicPlan.TOPICS) {
                TopicPlan.Spec topic = coPartitionedWith(planned, partitions);
                if (!existing.contains(topic.name()) && create(admin, topic, rf, minInsync, out)) {
                    drifted |= dryRun;
                    partitions.put(topic.name(), topic.partitions());
                    continue;
                }
                TopicPlan.Observed observed = observe(admin, topic.name());
                partitions.put(topic.name(), observed.partitions());
                List<String> drift = TopicPlan.drift(planned, observed, rf, minInsync);
                drifted |= !drift.isEmpty();
                out.printf("%-8s %s%s%n", drift.isEmpty() ? "ok" : "DRIFT", topic.name(),
                        drift.isEmpty() ? "" : ": " + String.join("; ", drift));
            }
            // More partitions than planned is the operator's choice, but not on one of two topics that
            // detection reads as one: an owner's window would be counted in two tasks.
            var coPartitioning = TopicPlan.coPartitioningDrift(partitions);
            if (coPartitioning.isPresent()) {
                drifted = true;
                out.printf("%-8s %s: %s%n", "DRIFT", String.join(",", TopicPlan.CO_PARTITIONED), coPartitioning.get());
            }
            out.flush();
            return drifted ? DRIFT : 0;
        }
    }

    /**
     * The plan for {@code planned}, except that a co-partitioned topic is created with as many partitions
     * as its partner already has (an older deployment's one-partition audit events get a one-partition
     * owner-events topic, which detection accepts; raising both is the operator's migration). Its drift
     * against the plan is reported as usual.
     */
    private static TopicPlan.Spec coPartitionedWith(TopicPlan.Spec planned, Map<String, Integer> seen) {
        if (!TopicPlan.CO_PARTITIONED.contains(planned.name())) {
            return planned;
        }
        return TopicPlan.CO_PARTITIONED.stream().filter(seen::containsKey).findFirst()
                .map(partner -> new TopicPlan.Spec(planned.name(), seen.get(partner), planned.configs()))
                .orElse(planned);
    }

    /** Creates the topic; false when another client created it meanwhile (then it is checked instead). */
    private boolean create(Admin admin, TopicPlan.Spec topic, int rf, int minInsync, PrintWriter out)
            throws InterruptedException, java.util.concurrent.TimeoutException {
        Map<String, String> configs = TopicPlan.createConfigs(topic, minInsync);
        String line = String.format("%-8s %s partitions=%d replication.factor=%d %s", dryRun ? "MISSING" : "created",
                topic.name(), topic.partitions(), rf, configs);
        if (!dryRun) {
            try {
                admin.createTopics(List.of(new NewTopic(topic.name(), topic.partitions(), (short) rf).configs(configs)))
                        .all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) {
                    return false;
                }
                throw new IllegalStateException("cannot create topic " + topic.name() + ": " + e.getCause().getMessage(),
                        e.getCause());
            }
        }
        out.println(line);
        return true;
    }

    private static TopicPlan.Observed observe(Admin admin, String topic) throws Exception {
        TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                .get(TIMEOUT_MS, TimeUnit.MILLISECONDS).get(topic);
        int rf = description.partitions().stream().mapToInt(p -> p.replicas().size()).min().orElse(0);
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = admin.describeConfigs(List.of(resource)).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS).get(resource);
        Map<String, String> configs = new HashMap<>();
        config.entries().forEach(e -> {
            if (e.value() != null) {
                configs.put(e.name(), e.value());
            }
        });
        return new TopicPlan.Observed(description.partitions().size(), rf, configs);
    }

    private int replicationFactor(int brokers) {
        int rf = replicationFactor == null ? Math.min(3, brokers) : replicationFactor;
        if (rf < 1 || rf > brokers) {
            throw new IllegalArgumentException("--replication-factor must be 1.." + brokers + " (the cluster's brokers), was " + rf);
        }
        return rf;
    }

    private int minInsync(int rf) {
        int min = minInsyncReplicas == null ? Math.max(1, Math.min(2, rf - 1)) : minInsyncReplicas;
        if (min < 1 || min > rf) {
            throw new IllegalArgumentException("--min-insync-replicas must be 1.." + rf + " (the replication factor), was " + min);
        }
        return min;
    }
}
