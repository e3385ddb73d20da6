package dev.firebreak.schema.registry;

import org.apache.avro.Schema;

/**
 * The part of the Confluent Schema Registry protocol Firebreak needs. Implementations must be
 * thread safe; callers rely on {@link CachingSchemaRegistryClient} so the registry is asked once
 * per schema, not once per record.
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /** Registers (or finds) {@code schema} under {@code subject} and returns its global id. */
    int register(String subject, Schema schema);

    /** The schema with this global id. */
    Schema schemaById(int id);

    /**
     * Sets the compatibility level of {@code subject} ({@code PUT /config/{subject}}), e.g.
     * {@code BACKWARD_TRANSITIVE}; from then on the registry refuses a schema that breaks it.
     *
     * @throws UnsupportedOperationException from clients that cannot enforce one (test doubles)
     */
    default void setCompatibility(String subject, String level) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot set compatibility levels");
    }

    @Override
    default void close() {
    }
}
