package dev.firebreak.detect;

import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.registry.SchemaRegistryException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * One record of the audit topic as read: either an event or the raw bytes with the reason they
 * could not be read. Reading bad data never throws, so unreadable input reaches the topology and
 * goes to the dead letter queue through the same producer and commit as everything else. A schema
 * registry outage is not bad data: it is thrown (after the retries of the wrapped deserializer), and
 * {@link RegistryOutageHandler} stops the stream thread so the record is read again, not skipped.
 *
 * @param event the event, or null when unreadable
 * @param raw   the raw value, kept only when unreadable
 * @param error why the value could not be read, or null
 */
record AuditInput(AuditEvent event, byte[] raw, String error) {

    static AuditInput readable(AuditEvent event) {
        return new AuditInput(event, null, null);
    }

    static AuditInput unreadable(byte[] raw, String error) {
        return new AuditInput(null, raw, error);
    }

    boolean isReadable() {
        return event != null;
    }

    /** Wraps the event deserializer so that failures become values instead of exceptions. */
    static Deserializer<AuditInput> deserializer(Deserializer<AuditEvent> events) {
        return new Deserializer<>() {
            @Override
            public AuditInput deserialize(String topic, byte[] data) {
                return deserialize(topic, null, data);
            }

            @Override
            public AuditInput deserialize(String topic, Headers headers, byte[] data) {
                if (data == null) {
                    return null;
                }
                try {
                    return readable(events.deserialize(topic, headers, data));
                } catch (RuntimeException e) {
                    if (SchemaRegistryException.isRegistryUnavailable(e)) {
                        // Not bad data: the record is read again once the registry answers (see
                        // RegistryOutageHandler), never dead-lettered for an outage.
                        throw e;
                    }
                    return unreadable(data, e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            }

            @Override
            public void close() {
                events.close();
            }
        };
    }
}
