package dev.firebreak.config;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * {@link Settings#parse} for the config records: a {@link ConfigDef}'s keys read from a settings map,
 * types and defaults from the definition, {@code ${env:...}}-style secrets resolved, every refusal an
 * {@link IllegalArgumentException} (what the records have always thrown, and what the CLI reports
 * as a configuration mistake) that names the key, the value and what is allowed. Two ways:
 *
 * <ul>
 *   <li>{@link #parse}: validators applied, the first bad key fails (ingest, detection);</li>
 *   <li>{@link #read}: types only; ranges and relations are left to the config record, which checks the
 *       same {@link Allowed} validators and names every problem of a file in one message (kill switch,
 *       on-call, export).</li>
 * </ul>
 */
public final class Typed {
    private Typed() {
    }

    /**
     * Parses the keys {@code definition} declares from {@code settings}, with defaults and validators.
     *
     * @throws IllegalArgumentException naming the first bad key and what it allows
     */
    public static AbstractConfig parse(ConfigDef definition, Map<String, String> given) {
        Map<String, String> settings = mine(definition, given, "");
        // A value of the wrong type fails inside ConfigDef with "Invalid value x for configuration k: Not a
        // number of type INT"; checked first so that the message says what is allowed instead.
        // An Allowed refusal quotes the value as written ("a,b"), not as parsed ("[a, b]").
        definition.configKeys().values().forEach(key -> {
            String value = settings.get(key.name);
            if (value != null) {
                Object parsed;
                try {
                    parsed = ConfigDef.parseType(key.name, value, key.type);
                } catch (ConfigException e) {
                    throw new IllegalArgumentException(typeRefusal(key, value.trim()), e);
                }
                if (key.validator instanceof Allowed allowed && !allowed.accepts(parsed)) {
                    throw new IllegalArgumentException(allowed.refusal(key.name, shown(key, value.trim())));
                }
            }
        });
        try {
            return Settings.parse(definition, settings);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Reads every key of {@code definition} from {@code given}, typed and defaulted, without applying the
     * validators: the caller's record checks them, collecting every problem. A blank number or boolean
     * counts as unset, as the hand-written readers had it.
     *
     * @param errorPrefix starts every message, e.g. {@code "invalid kill switch configuration: "}
     * @param wholeNumber how a number is described when one is not, e.g. {@code "a whole number of milliseconds"}
     * @throws IllegalArgumentException naming the key whose value is not of its type, or whose secret cannot be read
     */
    public static Values read(ConfigDef definition, Map<String, String> given, String errorPrefix, String wholeNumber) {
        Map<String, String> settings = mine(definition, given, errorPrefix);
        Map<String, Object> values = new HashMap<>();
        definition.configKeys().forEach((name, key) -> {
            String raw = settings.get(name);
            boolean unset = raw == null || raw.isBlank() && key.type != ConfigDef.Type.STRING
                    && key.type != ConfigDef.Type.PASSWORD && key.type != ConfigDef.Type.LIST;
            if (unset) {
                values.put(name, key.defaultValue == ConfigDef.NO_DEFAULT_VALUE ? null : key.defaultValue);
                return;
            }
            try {
                values.put(name, ConfigDef.parseType(name, raw.strip(), key.type));
            } catch (ConfigException e) {
                throw new IllegalArgumentException(errorPrefix + name + " must be " + mustBe(key.type, wholeNumber)
                        + ", was '" + raw + "'", e);
            }
        });
        return new Values(values);
    }

    /** Only this definition's keys, secrets resolved first: "${env:PORT}" is checked as the port it names. */
    private static Map<String, String> mine(ConfigDef definition, Map<String, String> given, String errorPrefix) {
        Map<String, String> mine = new HashMap<>();
        definition.names().forEach(name -> {
            if (given.get(name) != null) {
                mine.put(name, given.get(name));
            }
        });
        try {
            return Settings.resolve(mine);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(errorPrefix + e.getMessage(), e);
        }
    }

    private static String mustBe(ConfigDef.Type type, String wholeNumber) {
        return switch (type) {
            case INT, LONG, SHORT -> wholeNumber;
            case BOOLEAN -> "true or false";
            case DOUBLE -> "a number";
            default -> "of type " + type.name().toLowerCase(Locale.ROOT);
        };
    }

    private static String typeRefusal(ConfigDef.ConfigKey key, String value) {
        if (key.validator instanceof Allowed allowed) {
            return allowed.typeRefusal(key.name, shown(key, value));
        }
        return "invalid " + key.name + "=" + shown(key, value) + "; allowed: " + describe(key.type);
    }

    private static String shown(ConfigDef.ConfigKey key, String value) {
        return key.type == ConfigDef.Type.PASSWORD ? "<redacted>" : value;
    }

    /** The type in words, for messages and the settings reference. */
    public static String describe(ConfigDef.Type type) {
        return switch (type) {
            case BOOLEAN -> "true, false";
            case INT, SHORT, LONG -> "an integer";
            case DOUBLE -> "a number";
            case LIST -> "a comma-separated list";
            case CLASS -> "a class name";
            default -> "a string";
        };
    }

    /** The values {@link #read} found: typed, defaulted, not yet range-checked. */
    public static final class Values {
        private final Map<String, Object> values;

        private Values(Map<String, Object> values) {
            this.values = values;
        }

        /** The string, or null when unset without a default. */
        public String getString(String key) {
            return (String) values.get(key);
        }

        /** The secret in clear, or null when unset; keep it out of logs. */
        public String getSecret(String key) {
            Password p = (Password) values.get(key);
            return p == null ? null : p.value();
        }

        public long getLong(String key) {
            return ((Number) values.get(key)).longValue();
        }

        public int getInt(String key) {
            return ((Number) values.get(key)).intValue();
        }

        public boolean getBoolean(String key) {
            return (Boolean) values.get(key);
        }

        /** The list, each element stripped; empty when unset. */
        @SuppressWarnings("unchecked")
        public List<String> getList(String key) {
            List<String> list = (List<String>) values.get(key);
            return list == null ? List.of() : list.stream().map(String::strip).toList();
        }
    }
}
