package dev.firebreak.killswitch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.RevokeCommand;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import dev.firebreak.schema.serde.RegistryAvroSerializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Writing revoke commands and reading the kill switch's topics, for the kill switch's integration tests. */
final class TopicRecords {
    private TopicRecords() {
    }

    /** Sends the command to the commands topic, keyed by its principal, and waits for the ack. */
    static void produce(String bootstrap, String registry, RevokeCommand command) throws Exception {
        try (KafkaProducer<String, RevokeCommand> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(),
                new RegistryAvroSerializer<>(RevokeCommand.class, SchemaRegistries.forUrl(registry), false))) {
            producer.send(new ProducerRecord<>(Topics.KILLSWITCH_COMMANDS, command.getPrincipal(), command)).get();
        }
    }

    /** Writes a result to the results topic keyed by its target, as a forger with write access could. */
    static void produce(String bootstrap, String registry, dev.firebreak.schema.RevocationResult result) throws Exception {
        try (KafkaProducer<String, dev.firebreak.schema.RevocationResult> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(),
                new RegistryAvroSerializer<>(dev.firebreak.schema.RevocationResult.class, SchemaRegistries.forUrl(registry), false))) {
            producer.send(new ProducerRecord<>(Topics.KILLSWITCH_RESULTS, result.getTarget(), result)).get();
        }
    }

    /** Reads partition 0 of the topic from the beginning until {@code count} matching records arrived, at most {@code timeout}. */
    static <T extends SpecificRecord> List<T> await(String bootstrap, String registry, String topic, Class<T> type,
                                                    Predicate<T> filter, int count, Duration timeout) {
        List<T> matching = new ArrayList<>();
        try (KafkaConsumer<String, T> consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(),
                new RegistryAvroDeserializer<>(type, SchemaRegistries.forUrl(registry)))) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (matching.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, T> record : consumer.poll(Duration.ofMillis(100))) {
                    if (filter.test(record.value())) {
                        matching.add(record.value());
                    }
                }
            }
        }
        assertThat(matching).as("records on %s", topic).hasSize(count);
        return matching;
    }
}
