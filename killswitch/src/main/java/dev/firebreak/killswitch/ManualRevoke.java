package dev.firebreak.killswitch;

import dev.firebreak.schema.Principal;
import dev.firebreak.schema.Micros;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.registry.SchemaRegistryClient;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import dev.firebreak.schema.signing.RecordSignatures;
import dev.firebreak.schema.signing.RecordSignatures.Verification;
import dev.firebreak.schema.signing.SigningKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A revocation ordered by a person ({@code firebreak revoke}): a {@link RevokeCommand} with rule
 * {@value #RULE_ID}, the operator and the reason, signed with the operators' secret
 * ({@link KillSwitchConfig#OPERATOR_SECRET}, an {@code m1.} signature) and published to the commands
 * topic, where the kill switch executes it like any other, then the kill switch's signed results for
 * it, read back from the results topic. Only a holder of the operators' secret can order one: the
 * kill switch refuses an unsigned or wrongly signed command whoever wrote it.
 */
public final class ManualRevoke {
    /** Rule id of every manual command. */
    public static final String RULE_ID = "manual";
    /** Bounds of the free text an operator types; both end up in logs, results and alerts. */
    public static final int MAX_OPERATOR = 128;
    public static final int MAX_REASON = 1000;
    public static final int MAX_TARGETS = 100;
    private static final Logger log = LoggerFactory.getLogger(ManualRevoke.class);

    /**
     * What came of a manual command.
     *
     * @param command    the command as published
     * @param results    verified results for its targets, in arrival order (one per target when complete)
     * @param unverified results for it whose signature did not verify under the kill switch's result key (ignored)
     */
    public record Report(RevokeCommand command, List<RevocationResult> results, int unverified) {
        public Report {
            results = List.copyOf(results);
        }

        /** Whether every target has a result. */
        public boolean complete() {
            return results.stream().map(RevocationResult::getTarget).distinct().count() >= command.getTargets().size();
        }
    }

    private ManualRevoke() {
    }

    /**
     * The unsigned command: {@code targets} (the principal itself when empty), a fresh command id, the
     * window and trigger time set to now (a manual command has no burst behind it).
     *
     * @throws IllegalArgumentException for a malformed principal or target, a blank or oversized operator or reason
     */
    public static RevokeCommand command(String principal, List<String> targets, String operator, String reason,
                                        boolean dryRun, long nowUs) {
        Principal.parse(principal);
        List<String> all = List.copyOf(new LinkedHashSet<>(targets == null || targets.isEmpty() ? List.of(principal) : targets));
        if (all.size() > MAX_TARGETS) {
            throw new IllegalArgumentException("at most " + MAX_TARGETS + " targets, got " + all.size());
        }
        all.forEach(Principal::parse);
        String id = "manual/" + UUID.randomUUID();
        return RevokeCommand.newBuilder()
                .setCommandId(id).setRuleId(RULE_ID).setPrincipal(principal).setTargets(all).setBackendPids(List.of())
                .setWindowStartUs(nowUs).setWindowEndUs(nowUs).setTriggerEventId(id).setTriggerEventTimeUs(nowUs)
                .setIssuedTimeUs(nowUs).setDryRun(dryRun).setDeadlineTimeUs(0)
                .setOperator(text("operator", operator, MAX_OPERATOR)).setReason(text("reason", reason, MAX_REASON))
                .build();
    }

    /**
     * Signs {@code command} with the operators' key, publishes it (acks=all) and waits up to
     * {@code wait} for the kill switch's result for every target.
     *
     * @param kafka Kafka client settings for the operator (bootstrap servers, security), used for both the
     *              producer and the results reader
     */
    public static Report publishAndAwait(KillSwitchConfig config, Map<String, String> kafka, RevokeCommand command,
                                         Duration wait) throws Exception {
        RevokeCommand signed = RecordSignatures.signManual(command, config.requireOperatorKey());
        SigningKey resultKey = config.requireResultSigningKey();
        SchemaRegistryClient registry = SchemaRegistries.forUrl(config.schemaRegistryUrl());
        try (KafkaConsumer<String, byte[]> consumer = resultsReader(kafka)) {
            // Positioned at the end before publishing: every result for the command comes after.
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.KILLSWITCH_RESULTS, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            publish(kafka, registry, signed);
            log.warn("manual revoke command {} published: operator={} reason={} principal={} targets={}",
                    Printable.of(signed.getCommandId()), Printable.of(signed.getOperator()), Printable.of(signed.getReason()),
                    Printable.of(signed.getPrincipal()), signed.getTargets());
            return await(consumer, registry, resultKey, signed, wait);
        }
    }

    private static Report await(KafkaConsumer<String, byte[]> consumer, SchemaRegistryClient registry, SigningKey resultKey,
                                RevokeCommand command, Duration wait) {
        RegistryAvroDeserializer<RevocationResult> values = new RegistryAvroDeserializer<>(RevocationResult.class, registry);
        Map<String, RevocationResult> byTarget = new LinkedHashMap<>();
        int unverified = 0;
        long deadline = System.nanoTime() + wait.toNanos();
        while (byTarget.size() < command.getTargets().size() && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                if (r.value() == null) {
                    continue;
                }
                RevocationResult result = values.deserialize(r.topic(), r.value());
                if (!command.getCommandId().equals(result.getCommandId())) {
                    continue;
                }
                if (RecordSignatures.verify(result, resultKey) != Verification.VALID) {
                    unverified++;
                    continue;
                }
                byTarget.put(result.getTarget(), result);
            }
        }
        return new Report(command, new ArrayList<>(byTarget.values()), unverified);
    }

    private static void publish(Map<String, String> kafka, SchemaRegistryClient registry, RevokeCommand command)
            throws Exception {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "firebreak-revoke");
        RegistryAvroSerializer<RevokeCommand> values = new RegistryAvroSerializer<>(RevokeCommand.class, registry, false);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.KILLSWITCH_COMMANDS, command.getPrincipal(),
                    values.serialize(Topics.KILLSWITCH_COMMANDS, command))).get(30, TimeUnit.SECONDS);
        }
    }

    private static KafkaConsumer<String, byte[]> resultsReader(Map<String, String> kafka) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "firebreak-revoke");
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static String text(String what, String value, int max) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " is required and must not be blank");
        }
        String stripped = value.strip();
        if (stripped.length() > max) {
            throw new IllegalArgumentException(what + " must be at most " + max + " characters, has " + stripped.length());
        }
        if (stripped.chars().anyMatch(c -> Character.isISOControl(c) && c != '\t')) {
            throw new IllegalArgumentException(what + " must be one line of printable text");
        }
        return stripped;
    }

    /** Micros now, for {@link #command}. */
    public static long nowUs() {
        return Micros.now();
    }
}
