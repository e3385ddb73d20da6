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

    @Override
    default void close() {
    }
}
