package dev.firebreak.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pass-through settings: every service hands the keys under a prefix ({@code firebreak.killswitch.consumer.},
 * {@code firebreak.ingest.debezium.}, ...) to the client it configures, with the prefix removed.
 */
public final class PassThrough {
    /**
     * Infix of a stage's settings for every Kafka client it opens:
     * {@code firebreak.<stage>.client.<client property>}, e.g. {@code firebreak.detection.client.sasl.mechanism}.
     * Stage-scoped so that stages sharing one process (the demo, {@code local}) or one properties
     * file still authenticate as themselves.
     */
    public static final String CLIENT_INFIX = "client.";

    private PassThrough() {
    }

    /**
     * The settings under {@code <stagePrefix>client.}, without that prefix: {@code security.protocol},
     * {@code sasl.mechanism}, {@code sasl.jaas.config}, {@code ssl.*}, ... for every client of the stage.
     *
     * @throws IllegalArgumentException for {@code bootstrap.servers}, which the stage's own key sets
     */
    public static Map<String, String> clientSettings(Map<String, String> map, String stagePrefix) {
        Map<String, String> out = withPrefix(map, stagePrefix + CLIENT_INFIX);
        if (out.containsKey("bootstrap.servers")) {
            throw new IllegalArgumentException(stagePrefix + CLIENT_INFIX + "bootstrap.servers is not allowed; set "
                    + stagePrefix + "bootstrap.servers instead");
        }
        return out;
    }

    /** {@code base} with {@code top} laid over it: the more specific pass-through wins on the same key. */
    public static Map<String, String> layered(Map<String, String> base, Map<String, String> top) {
        Map<String, String> out = new LinkedHashMap<>(base);
        out.putAll(top);
        return out;
    }

    /** The entries whose key starts with {@code prefix} (and is longer), keyed without it, in map order. */
    public static Map<String, String> withPrefix(Map<String, String> map, String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (k.startsWith(prefix) && k.length() > prefix.length()) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }
}
