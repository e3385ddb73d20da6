package dev.firebreak.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Old spellings of keys, still read: {@code firebreak.ingest.kafka.bootstrap.servers} is now
 * {@code firebreak.ingest.bootstrap.servers}. An alias whose name ends in {@code .} renames a whole
 * prefix ({@code kafka.} to {@code firebreak.detection.streams.}). Each old key in use is warned
 * about once per process and new key, naming the new key; setting both to different values fails,
 * since either choice would silently ignore one of them.
 *
 * <p>The one mechanism for old spellings: a stage declares its aliases in
 * {@link SettingsDefinition#deprecatedAliases()} (so that {@link Settings#check} accepts them and the
 * settings reference lists them) and reads its settings through {@link #canonical}. One old prefix
 * may be an alias in several stages: {@code kafka.consumer.} is the kill switch's
 * {@code firebreak.killswitch.consumer.} and on-call's {@code firebreak.oncall.consumer.}.
 */
public final class DeprecatedKeys {
    private static final Logger LOG = LoggerFactory.getLogger(DeprecatedKeys.class);
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private DeprecatedKeys() {
    }

    /**
     * {@code settings} with every key spelled through {@code aliases} (old key or prefix to new one)
     * renamed to its new spelling; other keys unchanged.
     *
     * @throws IllegalArgumentException when an old and a new key are both set, to different values
     */
    public static Map<String, String> canonical(Map<String, String> settings, Map<String, String> aliases) {
        Map<String, String> out = new LinkedHashMap<>(settings);
        settings.forEach((key, value) -> {
            String renamed = rename(key, aliases);
            if (renamed == null) {
                return;
            }
            out.remove(key);
            String current = settings.get(renamed);
            if (current != null && !Objects.equals(current.strip(), value == null ? null : value.strip())) {
                throw new IllegalArgumentException(key + " is a deprecated spelling of " + renamed + ", and both are set, to"
                        + " different values; keep " + renamed + " only");
            }
            if (WARNED.add(key + "->" + renamed)) {
                LOG.warn("setting {} is deprecated; use {}", key, renamed);
            }
            out.putIfAbsent(renamed, value);
        });
        return out;
    }

    /** The new spelling of {@code key}, or null when it is not an old one. */
    public static String rename(String key, Map<String, String> aliases) {
        String exact = aliases.get(key);
        if (exact != null && !key.endsWith(".")) {
            return exact;
        }
        for (Map.Entry<String, String> alias : aliases.entrySet()) {
            String old = alias.getKey();
            if (old.endsWith(".") && key.startsWith(old) && key.length() > old.length()) {
                return alias.getValue() + key.substring(old.length());
            }
        }
        return null;
    }
}
