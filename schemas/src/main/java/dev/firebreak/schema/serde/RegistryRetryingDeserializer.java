package dev.firebreak.schema.serde;

import dev.firebreak.schema.registry.RegistryOutage;
import dev.firebreak.schema.registry.SchemaRegistryException;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Wraps a deserializer for callers that cannot put a record back, such as a Kafka Streams source:
 * while the schema registry is unavailable ({@link SchemaRegistryException#isRegistryUnavailable})
 * it retries the same record with {@link RegistryOutage}'s back-off, for up to {@code maxBlock}
 * (and until {@link RegistryOutage#stop()}), and then rethrows the outage, never turning it into a
 * bad record. Bad data is rethrown at once. Each attempt is bounded by the registry client's timeout.
 */
public final class RegistryRetryingDeserializer<T> implements Deserializer<T> {
    private final Deserializer<T> delegate;
    private final RegistryOutage outage;
    private final long maxBlockMs;

    public RegistryRetryingDeserializer(Deserializer<T> delegate, RegistryOutage outage, Duration maxBlock) {
        this.delegate = delegate;
        this.outage = outage;
        this.maxBlockMs = maxBlock.toMillis();
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        delegate.configure(configs, isKey);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return deserialize(topic, null, data);
    }

    @Override
    public T deserialize(String topic, Headers headers, byte[] data) {
        long deadline = System.currentTimeMillis() + maxBlockMs;
        while (true) {
            try {
                T value = delegate.deserialize(topic, headers, data);
                outage.succeeded();
                return value;
            } catch (RuntimeException e) {
                if (!SchemaRegistryException.isRegistryUnavailable(e)) {
                    throw e;
                }
                long delay = outage.failed("a record of " + topic, e);
                if (outage.stopped() || System.currentTimeMillis() + delay > deadline) {
                    throw e;
                }
                try {
                    outage.await(delay);
                } catch (InterruptedException interrupted) {
                    throw new InterruptException(interrupted);
                }
            }
        }
    }

    @Override
    public void close() {
        delegate.close();
    }
}
