package dev.firebreak.killswitch.reinstate;

import dev.firebreak.killswitch.KillSwitch;
import dev.firebreak.killswitch.KillSwitchConfig;
import dev.firebreak.killswitch.Revoker;
import dev.firebreak.killswitch.Revokers;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.signing.RecordSignatures;
import dev.firebreak.schema.signing.SigningKey;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.registry.SchemaRegistryClient;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * An operator's undo: reads every result on {@link Topics#KILLSWITCH_RESULTS}, plans what to restore
 * for the principal ({@link ReinstatePlan}), restores it through the same revokers as the kill switch,
 * and writes one REINSTATE result per target (with operator and reason) to the results topic, waiting
 * for Kafka's acknowledgement. Runs once and returns; not a service.
 *
 * <p>Only results whose signature verifies under {@link KillSwitchConfig#RESULT_SIGNING_SECRET} are
 * planned from; the others concerning the principal are logged at WARN, returned in the report and
 * ignored. The REINSTATE results it writes are signed with the same key.
 */
public final class ReinstateService {
    private ReinstateService() {
    }

    /** Outcome of one reinstatement. */
    public record Report(String reinstateId, int resultsSeen, List<RevocationResult> results,
                         List<ReinstatePlan.Unverified> unverified) {
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ReinstateService.class);

    /**
     * @throws IllegalArgumentException when operator or reason is blank
     */
    public static Report reinstate(KillSwitchConfig config, String principal, String operator, String reason,
                                   boolean dryRun, Duration timeout, MeterRegistry meters) throws Exception {
        if (operator == null || operator.isBlank() || reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("reinstate needs --operator and --reason: who undoes a revocation, and why");
        }
        SigningKey resultKey = config.requireResultSigningKey();
        SchemaRegistryClient registry = SchemaRegistries.forUrl(config.schemaRegistryUrl());
        ReinstatePlan plan = new ReinstatePlan(principal, resultKey);
        readAll(config, registry, timeout).forEach(plan::accept);
        for (ReinstatePlan.Unverified u : plan.unverified()) {
            RevocationResult r = u.result();
            LOG.warn("reinstate ignores an unverified result ({}): command={} action={} target={} outcome={} previous_state={}",
                    u.verification().problem(), r.getCommandId(), r.getAction(), r.getTarget(), r.getOutcome(),
                    r.getPreviousState());
        }
        String reinstateId = "reinstate:" + UUID.randomUUID();
        if (plan.targets().isEmpty()) {
            return new Report(reinstateId, plan.resultsSeen(), List.of(), plan.unverified());
        }
        List<Revoker> revokers = Revokers.open(config);
        try (KillSwitch killSwitch = new KillSwitch(revokers, config.execution(), meters)) {
            List<RevocationResult> results = killSwitch.reinstate(reinstateId, principal, plan.targets(), operator.strip(),
                    reason.strip(), dryRun, timeout);
            publish(config, registry, results.stream().map(r -> RecordSignatures.sign(r, resultKey)).toList());
            return new Report(reinstateId, plan.resultsSeen(), results, plan.unverified());
        } finally {
            revokers.forEach(Revoker::close);
        }
    }

    private static List<RevocationResult> readAll(KillSwitchConfig config, SchemaRegistryClient registry, Duration timeout) {
        Map<String, Object> props = new HashMap<>(config.consumerOverrides());
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        // Only what was committed counts, should results ever be written in transactions.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        RegistryAvroDeserializer<RevocationResult> values = new RegistryAvroDeserializer<>(RevocationResult.class, registry);
        List<RevocationResult> results = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.KILLSWITCH_RESULTS, timeout).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos() * 10;
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + Topics.KILLSWITCH_RESULTS + " to its end in time");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null) {
                        results.add(values.deserialize(r.topic(), r.value()));
                    }
                }
            }
        }
        return results;
    }

    private static void publish(KillSwitchConfig config, SchemaRegistryClient registry, List<RevocationResult> results)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<String, Object> props = new HashMap<>(config.producerOverrides());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        RegistryAvroSerializer<RevocationResult> values = new RegistryAvroSerializer<>(RevocationResult.class, registry, false);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (RevocationResult r : results) {
                acks.add(producer.send(new ProducerRecord<>(Topics.KILLSWITCH_RESULTS, r.getTarget(),
                        values.serialize(Topics.KILLSWITCH_RESULTS, r))));
            }
            for (Future<RecordMetadata> ack : acks) {
                ack.get(30, TimeUnit.SECONDS);
            }
        }
    }
}
