package dev.firebreak.schema.registry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;

/**
 * A registry held in memory, for {@code TopologyTestDriver} tests and other single-JVM use where
 * no registry server runs. Reached through the URL {@code mem://<scope>}; clients with the same
 * scope share one registry.
 */
public final class InMemorySchemaRegistry implements SchemaRegistryClient {
    private static final Map<String, InMemorySchemaRegistry> SCOPES = new ConcurrentHashMap<>();

    private final AtomicInteger nextId = new AtomicInteger(1);
    private final Map<Schema, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();
    private final Map<String, String> levels = new ConcurrentHashMap<>();

    /** The registry of this scope, created on first use. */
    public static InMemorySchemaRegistry scope(String scope) {
        return SCOPES.computeIfAbsent(scope, s -> new InMemorySchemaRegistry());
    }

    /** Forgets a scope, so the next test starts empty. */
    public static void drop(String scope) {
        SCOPES.remove(scope);
    }

    @Override
    public int register(String subject, Schema schema) {
        return ids.computeIfAbsent(schema, s -> {
            int id = nextId.getAndIncrement();
            schemas.put(id, s);
            return id;
        });
    }

    /**
     * Remembers the level ({@link #compatibility}) but enforces none: one JVM registers only the
     * schemas compiled into it, so there is no older release to be incompatible with.
     */
    @Override
    public void setCompatibility(String subject, String level) {
        levels.put(subject, level);
    }

    /** The level last set on {@code subject}, or null. */
    public String compatibility(String subject) {
        return levels.get(subject);
    }

    @Override
    public Schema schemaById(int id) {
        Schema schema = schemas.get(id);
        if (schema == null) {
            throw new SchemaRegistryException("schema id " + id + " not found", 404, null);
        }
        return schema;
    }
}
