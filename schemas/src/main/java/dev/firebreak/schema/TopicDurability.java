package dev.firebreak.schema;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durability every pipeline stage demands of Kafka before it starts: on a cluster of
 * {@value #ENFORCED_FROM_BROKERS} or more brokers, each topic the stage reads or writes must have a
 * replication factor of at least {@value #REQUIRED_REPLICATION_FACTOR} and {@code min.insync.replicas}
 * of at least {@value #REQUIRED_MIN_INSYNC_REPLICAS}, and each of its producers must send with
 * {@code acks=all} and idempotence on. Then an acknowledged event, command or result is on two
 * replicas at least and survives losing any one broker, and a retried send is never duplicated by
 * the producer. Otherwise the stage refuses to start, naming the topic, what it has and what is
 * required.
 *
 * <p>A cluster of fewer brokers cannot hold three replicas; it is allowed (the demo runs on one) with
 * a WARN that losing its broker loses data. The broker count is the brokers the cluster reports as
 * registered when the stage starts.
 *
 * <p>{@link #problems} is the rule, a pure function over what the cluster described; {@link #require}
 * asks a real cluster with the stage's own client settings and applies it.
 */
public final class TopicDurability {
    /** Replicas every pipeline topic needs on a cluster of {@value #ENFORCED_FROM_BROKERS} or more brokers. */
    public static final int REQUIRED_REPLICATION_FACTOR = 3;
    /** Replicas that must acknowledge every write ({@code acks=all}) on such a cluster. */
    public static final int REQUIRED_MIN_INSYNC_REPLICAS = 2;
    /** From this many brokers on, the requirements are enforced; below, they are reported with a WARN. */
    public static final int ENFORCED_FROM_BROKERS = 3;
    private static final Logger LOG = LoggerFactory.getLogger(TopicDurability.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private TopicDurability() {
    }

    /**
     * One topic as the cluster described it.
     *
     * @param replicationFactor the fewest replicas of any of its partitions; 0 when the topic does not exist
     * @param minInsyncReplicas its effective {@code min.insync.replicas}
     */
    public record TopicFacts(String topic, int replicationFactor, int minInsyncReplicas) {
        public TopicFacts {
            Objects.requireNonNull(topic, "topic");
        }

        /** A topic the cluster does not have. */
        public static TopicFacts missing(String topic) {
            return new TopicFacts(topic, 0, 0);
        }

        boolean exists() {
            return replicationFactor > 0;
        }
    }

    /**
     * Topics a stage creates itself, such as Kafka Streams' changelog and repartition topics, whose
     * settings come from the stage's configuration rather than from the cluster.
     *
     * @param description       what they are, for the message
     * @param replicationFactor the replication factor they are created with
     * @param minInsyncReplicas the {@code min.insync.replicas} they are created with; empty for the broker default
     * @param configKeys        the keys that set the two, for the message
     */
    public record CreatedTopics(String description, int replicationFactor, OptionalInt minInsyncReplicas,
                                String configKeys) {
        public CreatedTopics {
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(minInsyncReplicas, "minInsyncReplicas");
            Objects.requireNonNull(configKeys, "configKeys");
        }
    }

    /**
     * What one stage relies on.
     *
     * @param stage     the stage's name, for messages (ingest, detection, kill switch, on-call)
     * @param topics    the pipeline topics it reads or writes
     * @param producers each producer's name (its client id) to its effective settings (unset keys take
     *                  the Kafka client's defaults, acks=all and idempotence on since Kafka 3.0)
     * @param created   topics it creates itself, if any
     */
    public record Requirement(String stage, List<String> topics, Map<String, Map<String, ?>> producers,
                              List<CreatedTopics> created) {
        public Requirement {
            Objects.requireNonNull(stage, "stage");
            topics = List.copyOf(topics);
            producers = Map.copyOf(producers);
            created = List.copyOf(created);
        }

        /** A stage that only reads and writes existing topics. */
        public static Requirement of(String stage, Collection<String> topics, Map<String, Map<String, ?>> producers) {
            return new Requirement(stage, List.copyOf(topics), producers, List.of());
        }
    }

    /**
     * Why the stage must not start on a cluster of {@code brokers} brokers with these topics; empty
     * when it may (always, below {@value #ENFORCED_FROM_BROKERS} brokers).
     *
     * @param brokerDefaultMinInsync the brokers' {@code min.insync.replicas}, for created topics that do not set theirs
     */
    public static List<String> problems(Requirement requirement, int brokers, List<TopicFacts> topics,
                                        int brokerDefaultMinInsync) {
        if (brokers < ENFORCED_FROM_BROKERS) {
            return List.of();
        }
        String required = "required on a cluster of " + brokers + " brokers: replication factor >= "
                + REQUIRED_REPLICATION_FACTOR + " and min.insync.replicas >= " + REQUIRED_MIN_INSYNC_REPLICAS;
        List<String> problems = new ArrayList<>();
        for (TopicFacts t : topics) {
            if (!t.exists()) {
                problems.add("topic " + t.topic() + " does not exist; create it, " + required);
            } else if (t.replicationFactor() < REQUIRED_REPLICATION_FACTOR || t.minInsyncReplicas() < REQUIRED_MIN_INSYNC_REPLICAS) {
                problems.add("topic " + t.topic() + " has replication factor " + t.replicationFactor()
                        + " and min.insync.replicas " + t.minInsyncReplicas() + "; " + required);
            }
        }
        for (CreatedTopics c : requirement.created()) {
            int minInsync = c.minInsyncReplicas().orElse(brokerDefaultMinInsync);
            if (c.replicationFactor() < REQUIRED_REPLICATION_FACTOR || minInsync < REQUIRED_MIN_INSYNC_REPLICAS) {
                problems.add(c.description() + " would be created with replication factor " + c.replicationFactor()
                        + " and min.insync.replicas " + minInsync
                        + (c.minInsyncReplicas().isEmpty() ? " (the brokers' default)" : "") + "; " + required
                        + " (set " + c.configKeys() + ")");
            }
        }
        requirement.producers().forEach((name, settings) -> problems.addAll(producerProblems(name, settings)));
        return problems;
    }

    /** Settings of one producer that break acks=all with idempotence. */
    static List<String> producerProblems(String name, Map<String, ?> settings) {
        List<String> problems = new ArrayList<>();
        String acks = setting(settings, ProducerConfig.ACKS_CONFIG, "all").toLowerCase(Locale.ROOT);
        if (!acks.equals("all") && !acks.equals("-1")) {
            problems.add("producer " + name + " has acks=" + acks + "; required: acks=all");
        }
        String idempotence = setting(settings, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        if (!idempotence.equalsIgnoreCase("true")) {
            problems.add("producer " + name + " has enable.idempotence=" + idempotence + "; required: true");
        }
        // Left unset, idempotence is switched off quietly by these two; set, they fail the producer anyway.
        String retries = setting(settings, ProducerConfig.RETRIES_CONFIG, "1");
        if (retries.equals("0")) {
            problems.add("producer " + name + " has retries=0, which turns idempotence off; required: retries > 0");
        }
        String inFlight = setting(settings, ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        if (inFlight.matches("\\d+") && Integer.parseInt(inFlight) > 5) {
            problems.add("producer " + name + " has max.in.flight.requests.per.connection=" + inFlight
                    + ", which turns idempotence off; required: 1..5");
        }
        return problems;
    }

    private static String setting(Map<String, ?> settings, String key, String fallback) {
        Object value = settings.get(key);
        return value == null ? fallback : String.valueOf(value).trim();
    }

    /**
     * Asks the cluster, with the stage's own client settings (bootstrap servers and security; other
     * keys are ignored), and refuses when {@link #problems} finds any.
     *
     * @throws IllegalStateException naming every problem, or when the cluster cannot be described within 30 s
     */
    public static void require(Requirement requirement, Map<String, ?> clientSettings) {
        try (Admin admin = Admin.create(adminSettings(clientSettings))) {
            Collection<Node> nodes = admin.describeCluster().nodes().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            int brokers = nodes.size();
            if (brokers < ENFORCED_FROM_BROKERS) {
                LOG.warn("{}: Kafka has {} broker(s), fewer than {}: topics {} cannot have {} replicas, and losing a broker"
                                + " loses acknowledged records; allowed for development only", requirement.stage(), brokers,
                        ENFORCED_FROM_BROKERS, requirement.topics(), REQUIRED_REPLICATION_FACTOR);
                return;
            }
            List<TopicFacts> facts = describe(admin, requirement.topics());
            int brokerDefault = needsBrokerDefault(requirement) ? brokerMinInsync(admin, nodes.iterator().next()) : 0;
            List<String> problems = problems(requirement, brokers, facts, brokerDefault);
            if (!problems.isEmpty()) {
                throw new IllegalStateException(requirement.stage() + " refuses to start, its Kafka records would not"
                        + " survive losing a broker: " + String.join("; ", problems));
            }
            LOG.info("{}: {} brokers; topics {} have replication factor >= {} and min.insync.replicas >= {}",
                    requirement.stage(), brokers, requirement.topics(), REQUIRED_REPLICATION_FACTOR, REQUIRED_MIN_INSYNC_REPLICAS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(requirement.stage() + ": interrupted while checking Kafka's durability", e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException(requirement.stage() + " refuses to start: cannot check the durability of"
                    + " topics " + requirement.topics() + " at " + clientSettings.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)
                    + " (it needs to describe the cluster, the topics and their configs): " + cause, cause);
        }
    }

    private static boolean needsBrokerDefault(Requirement requirement) {
        return requirement.created().stream().anyMatch(c -> c.minInsyncReplicas().isEmpty());
    }

    /** Only the keys an admin client knows: the stage's settings also hold producer and consumer keys. */
    public static Map<String, Object> adminSettings(Map<String, ?> clientSettings) {
        Map<String, Object> admin = new HashMap<>();
        clientSettings.forEach((k, v) -> {
            if (AdminClientConfig.configNames().contains(k) && !k.equals(AdminClientConfig.CLIENT_ID_CONFIG)) {
                admin.put(k, v);
            }
        });
        admin.put(AdminClientConfig.CLIENT_ID_CONFIG, "firebreak-durability-check");
        return admin;
    }

    private static List<TopicFacts> describe(Admin admin, List<String> topics)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<String, Integer> replication = new LinkedHashMap<>();
        var described = admin.describeTopics(topics).topicNameValues();
        for (String topic : topics) {
            try {
                TopicDescription d = described.get(topic).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                replication.put(topic, d.partitions().stream().mapToInt(p -> p.replicas().size()).min().orElse(0));
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
                replication.put(topic, 0);
            }
        }
        List<ConfigResource> existing = replication.entrySet().stream().filter(e -> e.getValue() > 0)
                .map(e -> new ConfigResource(ConfigResource.Type.TOPIC, e.getKey())).toList();
        Map<ConfigResource, Config> configs = existing.isEmpty() ? Map.of()
                : admin.describeConfigs(existing).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        List<TopicFacts> facts = new ArrayList<>();
        replication.forEach((topic, rf) -> facts.add(rf == 0 ? TopicFacts.missing(topic) : new TopicFacts(topic, rf,
                minInsync(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic))))));
        return facts;
    }

    private static int brokerMinInsync(Admin admin, Node broker)
            throws InterruptedException, ExecutionException, TimeoutException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, broker.idString());
        return minInsync(admin.describeConfigs(List.of(resource)).all()
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(resource));
    }

    private static int minInsync(Config config) {
        ConfigEntry entry = config == null ? null : config.get("min.insync.replicas");
        return entry == null || entry.value() == null ? 1 : Integer.parseInt(entry.value());
    }
}
