package dev.firebreak.config;

import dev.firebreak.config.Settings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The values of a {@link ConfigDef}'s keys in a settings map: types and defaults from the definition,
 * {@code ${env:...}}-style secrets resolved. A value that is not of its type fails at once, naming the
 * key; ranges and relations between keys are left to the config record (see {@link Bounds}), which
 * names every problem of a file in one message.
 *
 * <p>A blank number or boolean counts as unset, as the hand-written readers had it.
 */
public final class TypedReader {
    private final Map<String, Object> values;

    private TypedReader(Map<String, Object> values) {
        this.values = values;
    }

    /**
     * Reads every key of {@code definition} from {@code settings}.
     *
     * @param errorPrefix  starts every message, e.g. {@code "invalid kill switch configuration: "}
     * @param wholeNumber  how a number is described when one is not, e.g. {@code "a whole number of milliseconds"}
     * @throws IllegalArgumentException naming the key whose value is not of its type
     */
    public static TypedReader read(ConfigDef definition, Map<String, String> settings, String errorPrefix,
                                   String wholeNumber) {
        Map<String, String> mine = new HashMap<>();
        definition.names().forEach(name -> {
            String value = settings.get(name);
            if (value != null) {
                mine.put(name, value);
            }
        });
        Map<String, String> resolved = Settings.resolve(mine);
        Map<String, Object> values = new HashMap<>();
        definition.configKeys().forEach((name, key) -> {
            String raw = resolved.get(name);
            boolean unset = raw == null || raw.isBlank() && key.type != ConfigDef.Type.STRING
                    && key.type != ConfigDef.Type.PASSWORD && key.type != ConfigDef.Type.LIST;
            if (unset) {
                values.put(name, key.defaultValue == ConfigDef.NO_DEFAULT_VALUE ? null : key.defaultValue);
                return;
            }
            try {
                values.put(name, ConfigDef.parseType(name, raw.strip(), key.type));
            } catch (ConfigException e) {
                throw new IllegalArgumentException(errorPrefix + name + " must be " + describe(key.type, wholeNumber)
                        + ", was '" + raw + "'", e);
            }
        });
        return new TypedReader(values);
    }

    private static String describe(ConfigDef.Type type, String wholeNumber) {
        return switch (type) {
            case INT, LONG, SHORT -> wholeNumber;
            case BOOLEAN -> "true or false";
            case DOUBLE -> "a number";
            default -> "of type " + type.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** The string, or null when unset without a default. */
    public String string(String key) {
        return (String) values.get(key);
    }

    /** The secret in clear, or null when unset; keep it out of logs. */
    public String password(String key) {
        Password p = (Password) values.get(key);
        return p == null ? null : p.value();
    }

    public long longValue(String key) {
        return ((Number) values.get(key)).longValue();
    }

    public int intValue(String key) {
        return ((Number) values.get(key)).intValue();
    }

    public boolean bool(String key) {
        return (Boolean) values.get(key);
    }

    /** The list, each element stripped; empty when unset. */
    @SuppressWarnings("unchecked")
    public List<String> list(String key) {
        List<String> list = (List<String>) values.get(key);
        return list == null ? List.of() : list.stream().map(String::strip).toList();
    }
}
