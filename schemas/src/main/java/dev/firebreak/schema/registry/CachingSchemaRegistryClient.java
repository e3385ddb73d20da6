package dev.firebreak.schema.registry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * Remembers every (subject, schema) to id and id to schema answer, so the registry is asked once
 * per schema and never on the per-record path. Ids are immutable in every registry, so the cache
 * never needs invalidating.
 */
public final class CachingSchemaRegistryClient implements SchemaRegistryClient {
    private record SubjectSchema(String subject, Schema schema) {
    }

    private final SchemaRegistryClient delegate;
    private final Map<SubjectSchema, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();

    public CachingSchemaRegistryClient(SchemaRegistryClient delegate) {
        this.delegate = delegate;
    }

    @Override
    public int register(String subject, Schema schema) {
        return ids.computeIfAbsent(new SubjectSchema(subject, schema), key -> {
            int id = delegate.register(key.subject(), key.schema());
            schemas.putIfAbsent(id, key.schema());
            return id;
        });
    }

    @Override
    public Schema schemaById(int id) {
        return schemas.computeIfAbsent(id, delegate::schemaById);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
