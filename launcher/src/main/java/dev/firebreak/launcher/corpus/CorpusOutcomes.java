package dev.firebreak.launcher.corpus;

import dev.firebreak.schema.Alert;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.RevocationResult;
import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Everything the pipeline decided during a corpus run, read from the start of its topics: alerts,
 * revoke commands, the kill switch's results, and the events the guard refused inside PostgreSQL.
 *
 * @param blocked audit events with {@code guard_outcome=blocked}
 */
public record CorpusOutcomes(List<Alert> alerts, List<RevokeCommand> commands, List<RevocationResult> results,
                             List<AuditEvent> blocked) {
    public CorpusOutcomes {
        alerts = List.copyOf(alerts);
        commands = List.copyOf(commands);
        results = List.copyOf(results);
        blocked = List.copyOf(blocked);
    }

    /** Reads the four topics to their current end with committed isolation, as on-call would see them. */
    static CorpusOutcomes read(Map<String, String> clientProperties, String registryUrl, Duration timeout) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "firebreak-corpus-" + UUID.randomUUID());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        var registry = SchemaRegistries.forUrl(registryUrl);
        var alertSerde = new RegistryAvroDeserializer<>(Alert.class, registry);
        var commandSerde = new RegistryAvroDeserializer<>(RevokeCommand.class, registry);
        var resultSerde = new RegistryAvroDeserializer<>(RevocationResult.class, registry);
        var eventSerde = new RegistryAvroDeserializer<>(AuditEvent.class, registry);
        List<Alert> alerts = new ArrayList<>();
        List<RevokeCommand> commands = new ArrayList<>();
        List<RevocationResult> results = new ArrayList<>();
        List<AuditEvent> blocked = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(Topics.ALERTS, Topics.KILLSWITCH_COMMANDS, Topics.KILLSWITCH_RESULTS, Topics.AUDIT_EVENTS)) {
                consumer.partitionsFor(topic, Duration.ofSeconds(10))
                        .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            Set<TopicPartition> done = new HashSet<>();
            while (done.size() < partitions.size()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read the pipeline's topics to their end within " + timeout);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    switch (r.topic()) {
                        case Topics.ALERTS -> alerts.add(alertSerde.deserialize(r.topic(), r.value()));
                        case Topics.KILLSWITCH_COMMANDS -> commands.add(commandSerde.deserialize(r.topic(), r.value()));
                        case Topics.KILLSWITCH_RESULTS -> results.add(resultSerde.deserialize(r.topic(), r.value()));
                        default -> {
                            AuditEvent e = r.value() == null ? null : eventSerde.deserialize(r.topic(), r.value());
                            if (e != null && "blocked".equals(e.getAttributes().get("guard_outcome"))) {
                                blocked.add(e);
                            }
                        }
                    }
                }
                for (TopicPartition p : partitions) {
                    if (consumer.position(p) >= end.get(p)) {
                        done.add(p);
                    }
                }
            }
        }
        return new CorpusOutcomes(alerts, commands, results, blocked);
    }
}
