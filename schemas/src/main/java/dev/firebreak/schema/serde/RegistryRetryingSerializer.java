package dev.firebreak.schema.serde;

import dev.firebreak.schema.registry.RegistryOutage;
import dev.firebreak.schema.registry.SchemaRegistryException;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The serializing counterpart of {@link RegistryRetryingDeserializer}, for Kafka Streams sinks:
 * registering a schema not yet cached waits out an unavailable registry with back-off for up to
 * {@code maxBlock} (and until {@link RegistryOutage#stop()}), then rethrows the outage, which fails
 * the stream thread (Kafka Streams' default production handler) rather than dropping the record.
 */
public final class RegistryRetryingSerializer<T> implements Serializer<T> {
    private final Serializer<T> delegate;
    private final RegistryOutage outage;
    private final long maxBlockMs;

    public RegistryRetryingSerializer(Serializer<T> delegate, RegistryOutage outage, Duration maxBlock) {
        this.delegate = delegate;
        this.outage = outage;
        this.maxBlockMs = maxBlock.toMillis();
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        delegate.configure(configs, isKey);
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return serialize(topic, null, data);
    }

    @Override
    public byte[] serialize(String topic, Headers headers, T data) {
        long deadline = System.currentTimeMillis() + maxBlockMs;
        while (true) {
            try {
                byte[] bytes = delegate.serialize(topic, headers, data);
                outage.succeeded();
                return bytes;
            } catch (RuntimeException e) {
                if (!SchemaRegistryException.isRegistryUnavailable(e)) {
                    throw e;
                }
                long delay = outage.failed("publishing to " + topic, e);
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
