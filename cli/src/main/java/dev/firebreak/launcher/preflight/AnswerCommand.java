package dev.firebreak.launcher.preflight;

import dev.firebreak.config.PassThrough;
import dev.firebreak.config.Settings;
import dev.firebreak.schema.DecisionApproval;
import dev.firebreak.schema.PreflightDecision;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code approve} and {@code reject}: an operator answers a pending pre-flight decision (an ask). The
 * answer, with the operator's name and reason, is recorded on {@code firebreak.preflight.approvals.v1};
 * every ingest instance reads it and the waiting agent's client learns it. The decision is looked up
 * first on {@code firebreak.preflight.decisions.v1}, so a mistyped id is refused rather than recorded.
 * Settings: {@code firebreak.operator.bootstrap.servers}, {@code firebreak.operator.schema.registry.url}
 * and the operator user's {@code firebreak.operator.client.*}. Exit 0 recorded, 1 refused.
 */
public abstract class AnswerCommand implements Callable<Integer> {
    static final String PREFIX = OperatorSettings.PREFIX;
    private static final int MAX_TEXT = 1000;
    private static final Duration LOOKUP = Duration.ofDays(1);

    @Parameters(index = "0", paramLabel = "DECISION_ID", description = "The decision id the agent's client printed (d-...).")
    String decisionId;

    @Option(names = "--operator", required = true, description = "Who answers (recorded).")
    String operator;

    @Option(names = "--reason", required = true, description = "Why (recorded).")
    String reason;

    @Option(names = "--config", description = "Properties file with the firebreak.operator.* keys.")
    Path config;

    @Option(names = "--set", description = "Override one setting, key=value; repeatable.")
    Map<String, String> overrides = new HashMap<>();

    /** True for approve. */
    abstract boolean approves();

    @Override
    public Integer call() throws Exception {
        if (operator.isBlank() || reason.isBlank() || operator.length() > 200 || reason.length() > MAX_TEXT) {
            System.err.println("--operator (1..200 characters) and --reason (1.." + MAX_TEXT + ") must not be blank");
            return 1;
        }
        Map<String, String> settings = new HashMap<>(config == null ? Map.of() : Settings.load(config));
        settings.putAll(overrides);
        settings = Settings.resolve(settings);
        Settings.check(settings);
        AbstractConfig parsed = Settings.parse(OperatorSettings.CONFIG, settings);
        String bootstrap = require(parsed, OperatorSettings.BOOTSTRAP_SERVERS);
        String registry = require(parsed, OperatorSettings.SCHEMA_REGISTRY_URL);
        Map<String, Object> client = new HashMap<>(PassThrough.withPrefix(settings, OperatorSettings.CLIENT_PREFIX));
        client.put("bootstrap.servers", bootstrap);
        Optional<PreflightDecision> decision = find(client, registry, decisionId);
        if (decision.isEmpty()) {
            System.err.println("no pre-flight decision " + decisionId + " on " + Topics.PREFLIGHT_DECISIONS
                    + " within the last " + LOOKUP.toHours() + " h; nothing recorded");
            return 1;
        }
        PreflightDecision d = decision.get();
        DecisionApproval answer = DecisionApproval.newBuilder().setDecisionId(decisionId).setApproved(approves())
                .setOperator(operator.strip()).setReason(reason.strip())
                .setDecidedTimeUs(Math.multiplyExact(System.currentTimeMillis(), 1000L)).build();
        Map<String, Object> producerProps = new HashMap<>(client);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                new ByteArraySerializer())) {
            byte[] value = new RegistryAvroSerializer<>(DecisionApproval.class, SchemaRegistries.forUrl(registry), false)
                    .serialize(Topics.PREFLIGHT_APPROVALS, answer);
            producer.send(new ProducerRecord<>(Topics.PREFLIGHT_APPROVALS, decisionId, value)).get(30, TimeUnit.SECONDS);
        }
        System.out.printf("%s %s: %s %s %s [%s] by rule %s; recorded by %s: %s%n", approves() ? "APPROVED" : "REJECTED",
                decisionId, d.getPrincipal(), d.getTool(), d.getCategory(), d.getTargetEnvironment(), d.getRuleId(),
                operator.strip(), reason.strip());
        if (Instant.now().toEpochMilli() * 1000 > d.getExpiresTimeUs()) {
            System.out.println("note: the decision expired at " + Instant.ofEpochMilli(d.getExpiresTimeUs() / 1000)
                    + "; the answer changes nothing for it");
        }
        return 0;
    }

    private static String require(AbstractConfig settings, String key) {
        String value = settings.getString(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing " + key + " (in --config or --set)");
        }
        return value.trim();
    }

    /** The decision, read from the decisions topic over the last day. */
    static Optional<PreflightDecision> find(Map<String, Object> client, String registry, String id) {
        Map<String, Object> props = new HashMap<>(client);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        RegistryAvroDeserializer<PreflightDecision> decisions =
                new RegistryAvroDeserializer<>(PreflightDecision.class, SchemaRegistries.forUrl(registry));
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(Topics.PREFLIGHT_DECISIONS, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            Map<TopicPartition, Long> query = new HashMap<>();
            long since = Instant.now().minus(LOOKUP).toEpochMilli();
            partitions.forEach(tp -> query.put(tp, since));
            Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(query);
            partitions.forEach(tp -> consumer.seek(tp, starts.get(tp) == null ? ends.get(tp) : starts.get(tp).offset()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    PreflightDecision d = decisions.deserialize(r.topic(), r.value());
                    if (d.getDecisionId().equals(id)) {
                        return Optional.of(d);
                    }
                }
            }
            return Optional.empty();
        }
    }

    /** Approves a pending decision. */
    @Command(name = "approve", mixinStandardHelpOptions = true,
            description = "Approve a pending pre-flight decision (an ask); recorded with operator and reason.")
    public static final class Approve extends AnswerCommand {
        @Override
        boolean approves() {
            return true;
        }
    }

    /** Rejects a pending decision. */
    @Command(name = "reject", mixinStandardHelpOptions = true,
            description = "Reject a pending pre-flight decision (an ask); recorded with operator and reason.")
    public static final class Reject extends AnswerCommand {
        @Override
        boolean approves() {
            return false;
        }
    }
}
