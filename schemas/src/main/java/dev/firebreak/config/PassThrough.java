package dev.firebreak.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pass-through settings: every service hands the keys under a prefix ({@code kafka.consumer.},
 * {@code firebreak.ingest.debezium.}, ...) to the client it configures, with the prefix removed.
 */
public final class PassThrough {
    private PassThrough() {
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
