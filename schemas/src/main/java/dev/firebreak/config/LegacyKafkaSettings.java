package dev.firebreak.config;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/**
 * The top-level {@code kafka.*} keys of earlier releases, still read: detection passes them to Kafka
 * Streams, the kill switch and on-call their {@code kafka.consumer.*} and {@code kafka.producer.*} to
 * their clients. Shared, because one properties file may serve several stages.
 */
public final class LegacyKafkaSettings extends DeclaredSettings {
    /** The old, stage-less prefix. */
    public static final String PREFIX = "kafka.";

    public LegacyKafkaSettings() {
        super("shared", "Deprecated top-level Kafka pass-through", new ConfigDef(), Map.of(PREFIX,
                "Deprecated: Kafka client settings without a stage. Detection passes every kafka.* key to Kafka Streams"
                        + " (use firebreak.detection.streams.*); the kill switch and on-call pass kafka.consumer.* and"
                        + " kafka.producer.* to their clients (use firebreak.<stage>.consumer.* / .producer.*)."), Map.of());
    }
}
