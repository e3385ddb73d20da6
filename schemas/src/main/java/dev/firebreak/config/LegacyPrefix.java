package dev.firebreak.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pass-through prefix with an old spelling still read, e.g. {@code kafka.consumer.} for
 * {@code firebreak.killswitch.consumer.}. Each old key in use is warned about once per process,
 * naming its new key; an old and a new key set to different values fail, because honouring either
 * would silently ignore the other.
 *
 * @param canonical  the prefix to use, e.g. {@code firebreak.killswitch.consumer.}
 * @param deprecated its old spelling, e.g. {@code kafka.consumer.}
 */
public record LegacyPrefix(String canonical, String deprecated) {
    private static final Logger LOG = LoggerFactory.getLogger(LegacyPrefix.class);
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    /**
     * The settings under either prefix, keyed without it.
     *
     * @throws IllegalArgumentException naming both keys when they are set to different values
     */
    public Map<String, String> settings(Map<String, String> map, String errorPrefix) {
        Map<String, String> out = new LinkedHashMap<>(under(map, canonical));
        under(map, deprecated).forEach((name, value) -> {
            String current = out.get(name);
            if (current != null && !Objects.equals(current.strip(), value == null ? null : value.strip())) {
                throw new IllegalArgumentException(errorPrefix + deprecated + name + " is a deprecated spelling of "
                        + canonical + name + ", and both are set, to different values; keep " + canonical + name + " only");
            }
            if (WARNED.add(deprecated + name + "->" + canonical)) {
                LOG.warn("setting {}{} is deprecated; use {}{}", deprecated, name, canonical, name);
            }
            out.putIfAbsent(name, value);
        });
        return out;
    }

    private static Map<String, String> under(Map<String, String> map, String prefix) {
        Map<String, String> out = new java.util.TreeMap<>();
        map.forEach((k, v) -> {
            if (k.startsWith(prefix) && k.length() > prefix.length()) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }
}
