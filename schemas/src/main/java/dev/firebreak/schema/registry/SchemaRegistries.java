package dev.firebreak.schema.registry;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Chooses the client for a registry URL: {@code http(s)://...} speaks the Confluent REST protocol,
 * {@code mem://scope} is an in-JVM registry. Clients are shared per URL so every serde in the
 * process shares one cache.
 */
public final class SchemaRegistries {
    /** Kafka-style config key read by the serdes. */
    public static final String URL_CONFIG = "schema.registry.url";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Map<String, SchemaRegistryClient> CLIENTS = new ConcurrentHashMap<>();

    private SchemaRegistries() {
    }

    /** The shared caching client for this URL. */
    public static SchemaRegistryClient forUrl(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(URL_CONFIG + " is required: an http(s):// URL of a "
                    + "Confluent-compatible registry, or mem://<scope> for an in-JVM registry");
        }
        return CLIENTS.computeIfAbsent(url, SchemaRegistries::create);
    }

    /**
     * Registers the value schema of every pipeline topic, so that a registry that is down or
     * refuses a schema fails start-up, not the first burst, and no first record waits on it.
     */
    public static void registerPipelineSchemas(String url) {
        SchemaRegistryClient client = forUrl(url);
        dev.firebreak.schema.Topics.VALUE_SCHEMAS.forEach((topic, schema) -> client.register(topic + "-value", schema));
    }

    private static SchemaRegistryClient create(String url) {
        if (url.startsWith("mem://")) {
            return InMemorySchemaRegistry.scope(url.substring("mem://".length()));
        }
        if (url.startsWith("http://") || url.startsWith("https://")) {
            return new CachingSchemaRegistryClient(new HttpSchemaRegistryClient(url, TIMEOUT));
        }
        throw new IllegalArgumentException(URL_CONFIG + "=" + url + " is not supported; allowed: http://..., "
                + "https://..., mem://<scope>");
    }
}
