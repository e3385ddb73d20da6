package dev.firebreak.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.firebreak.schema.registry.SchemaRegistries;
import dev.firebreak.schema.serde.RegistryAvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a Firebreak topic from the start in integration tests, the way the pipeline's consumers do. */
public final class TopicReader {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private TopicReader() {
    }

    /** A consumer of {@code topic} in a fresh group, from the earliest record. */
    public static <T extends SpecificRecord> KafkaConsumer<String, T> subscribe(String bootstrapServers, String registryUrl,
                                                                               Class<T> type, String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        KafkaConsumer<String, T> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new RegistryAvroDeserializer<>(type, SchemaRegistries.forUrl(registryUrl)));
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /** At least {@code count} records matching {@code match}, read within 30 s, or the test fails. */
    public static <T> List<T> pollUntil(KafkaConsumer<String, T> consumer, int count, Predicate<T> match) {
        List<T> found = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (found.size() < count && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(100)).forEach(r -> {
                if (match.test(r.value())) {
                    found.add(r.value());
                }
            });
        }
        assertThat(found).as("matching records within 30 s").hasSizeGreaterThanOrEqualTo(count);
        return found;
    }
}
