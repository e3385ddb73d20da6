package dev.firebreak.launcher.bench;

import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.Topics;
import dev.firebreak.schema.serde.RegistryAvroSerde;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The baseline of the detection bench: one plain {@code KafkaConsumer} thread reading the whole
 * audit topic with the value deserializer detection uses (Avro through the registry), read_committed
 * as detection reads under exactly-once, doing nothing with an event but touching it.
 *
 * @param events  events read
 * @param seconds from the first poll to the last event read
 */
record RawConsumerRun(long events, long expected, double seconds) {

    boolean complete() {
        return events >= expected;
    }

    double eventsPerSecond() {
        return seconds > 0 ? events / seconds : 0;
    }

    static RawConsumerRun measure(String bootstrap, String registryUrl, Map<Integer, Long> endOffsets, Deadline deadline) {
        long expected = endOffsets.values().stream().mapToLong(Long::longValue).sum();
        List<TopicPartition> partitions = endOffsets.keySet().stream().map(p -> new TopicPartition(Topics.AUDIT_EVENTS, p)).toList();
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "detection-bench-raw");
        long read = 0;
        long start = System.nanoTime();
        try (KafkaConsumer<String, AuditEvent> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                RegistryAvroSerde.forValue(AuditEvent.class, registryUrl).deserializer())) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (read < expected && !deadline.passed()) {
                // poll deserializes every value, as the Streams consumer does before processing
                read += consumer.poll(Duration.ofMillis(100)).count();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new RawConsumerRun(read, expected, seconds);
    }

    /** The audit topic's end offsets by partition. */
    static Map<Integer, Long> endOffsets(String bootstrap, int partitions) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            Map<Integer, Long> ends = new java.util.TreeMap<>();
            for (int p = 0; p < partitions; p++) {
                TopicPartition tp = new TopicPartition(Topics.AUDIT_EVENTS, p);
                ends.put(p, consumer.endOffsets(List.of(tp)).get(tp));
            }
            return ends;
        }
    }
}
