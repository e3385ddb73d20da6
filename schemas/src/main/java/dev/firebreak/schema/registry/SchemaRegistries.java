package dev.firebreak.schema.registry;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the client for a registry URL: {@code http(s)://...} speaks the Confluent REST protocol,
 * {@code mem://scope} is an in-JVM registry. Clients are shared per URL so every serde in the
 * process shares one cache.
 */
public final class SchemaRegistries {
    /** Kafka-style config key read by the serdes. */
    public static final String URL_CONFIG = "schema.registry.url";
    /** Bound of each registry call (connect and answer); a slower answer counts as the registry being unavailable. */
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** For {@link #registerPipelineSchemas(String, RegistryOutage, Duration)}: wait as long as the process runs. */
    public static final Duration UNTIL_AVAILABLE = Duration.ofDays(36_500);
    private static final Map<String, SchemaRegistryClient> CLIENTS = new ConcurrentHashMap<>();
    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistries.class);
    private static volatile RegistryClientConfig settings = RegistryClientConfig.DEFAULT;

    private SchemaRegistries() {
    }

    /**
     * Reads {@code firebreak.schema.registry.*} ({@link RegistryClientConfig}) for every registry
     * client this process opens from now on; call it at start-up, before the first stage. Clients
     * already open are dropped, so none keeps older credentials.
     *
     * @throws IllegalArgumentException naming the bad key and what is allowed
     */
    public static RegistryClientConfig configure(Map<String, String> config) {
        return configure(RegistryClientConfig.fromMap(config));
    }

    /** As {@link #configure(Map)}, with settings already read. */
    public static RegistryClientConfig configure(RegistryClientConfig config) {
        settings = java.util.Objects.requireNonNull(config, "config");
        CLIENTS.clear();
        LOG.info("schema registry client: {}", config);
        return config;
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
     * Drops the shared client of {@code url}, with every id it cached: for a registry that stopped.
     * Ids belong to one registry's storage; another registry started later on the same address (a
     * port reused, an in-memory registry restarted) numbers its schemas anew, and a cached id would
     * then decode records with the wrong schema.
     */
    public static void forget(String url) {
        if (url != null) {
            CLIENTS.remove(url);
        }
    }

    /**
     * Registers the value schema of every pipeline topic, so that no first record waits on the
     * registry, after setting each subject's compatibility level (by default BACKWARD_TRANSITIVE,
     * see {@link RegistryClientConfig#COMPATIBILITY}) so the registry refuses a later schema that
     * would break readers of records already in Kafka. A registry that refuses a schema (4xx) fails at once; a registry that is
     * unavailable is retried with back-off and a WARN ({@link RegistryOutage}) for up to
     * {@code maxWait}, then its last failure is thrown.
     */
    public static void registerPipelineSchemas(String url, RegistryOutage outage, Duration maxWait) {
        SchemaRegistryClient client = forUrl(url);
        long deadline = System.currentTimeMillis() + maxWait.toMillis();
        for (var entry : dev.firebreak.schema.Topics.VALUE_SCHEMAS.entrySet()) {
            boolean timedOutBefore = false;
            int races = 0;
            while (true) {
                try {
                    client.register(entry.getKey() + "-value", entry.getValue());
                    outage.succeeded();
                    break;
                } catch (SchemaRegistryException e) {
                    // A request that timed out may still be creating the subject when the retry arrives,
                    // and Apicurio answers that race with 409: ask again once it is done.
                    // At most 3 times: a 409 that stays is an incompatible schema, which fails start-up.
                    boolean raced = timedOutBefore && e.status() == 409 && races++ < 3;
                    if (!e.registryUnavailable() && !raced) {
                        throw e;
                    }
                    timedOutBefore |= e.status() == SchemaRegistryException.NO_ANSWER;
                    long delay = outage.failed("registering the pipeline's schemas", e);
                    if (outage.stopped() || System.currentTimeMillis() + delay > deadline) {
                        throw e;
                    }
                    try {
                        outage.await(delay);
                    } catch (InterruptedException interrupted) {
                        throw new org.apache.kafka.common.errors.InterruptException(interrupted);
                    }
                }
            }
        }
    }

    /** As {@link #registerPipelineSchemas(String, RegistryOutage, Duration)}, retrying for up to one minute. */
    public static void registerPipelineSchemas(String url) {
        registerPipelineSchemas(url, new RegistryOutage("start-up"), Duration.ofMinutes(1));
    }

    private static SchemaRegistryClient create(String url) {
        if (url.startsWith("mem://")) {
            return InMemorySchemaRegistry.scope(url.substring("mem://".length()));
        }
        if (url.startsWith("http://") || url.startsWith("https://")) {
            RegistryClientConfig config = settings;
            if (config.user().isPresent() && url.startsWith("http://")) {
                LOG.warn("schema registry {} is plain http: its basic auth password crosses the network unencrypted;"
                        + " use https://", url);
            }
            return new CachingSchemaRegistryClient(new HttpSchemaRegistryClient(url, TIMEOUT, config),
                    config.compatibility().name());
        }
        throw new IllegalArgumentException(URL_CONFIG + "=" + url + " is not supported; allowed: http://..., "
                + "https://..., mem://<scope>");
    }
}
