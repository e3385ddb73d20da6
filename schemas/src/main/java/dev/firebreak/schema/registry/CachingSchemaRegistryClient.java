package dev.firebreak.schema.registry;

import java.util.Map;
import java.util.Set;
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
    private final String compatibility;
    private final Set<String> governed = ConcurrentHashMap.newKeySet();
    private final Map<SubjectSchema, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();

    /** A cache that leaves each subject's compatibility level as the registry has it. */
    public CachingSchemaRegistryClient(SchemaRegistryClient delegate) {
        this(delegate, null);
    }

    /**
     * A cache that sets {@code compatibility} on each subject before its first registration from
     * this process, so every subject the pipeline writes (the fixed topics at start-up, a new table's
     * row-image topic when first written) is governed before any schema lands in it.
     */
    public CachingSchemaRegistryClient(SchemaRegistryClient delegate, String compatibility) {
        this.delegate = delegate;
        this.compatibility = compatibility;
    }

    @Override
    public int register(String subject, Schema schema) {
        return ids.computeIfAbsent(new SubjectSchema(subject, schema), key -> {
            govern(key.subject());
            int id = delegate.register(key.subject(), key.schema());
            schemas.putIfAbsent(id, key.schema());
            return id;
        });
    }

    private void govern(String subject) {
        if (compatibility != null && !governed.contains(subject)) {
            delegate.setCompatibility(subject, compatibility);
            governed.add(subject); // only once it succeeded: a failure is retried with the next registration
        }
    }

    @Override
    public void setCompatibility(String subject, String level) {
        delegate.setCompatibility(subject, level);
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
