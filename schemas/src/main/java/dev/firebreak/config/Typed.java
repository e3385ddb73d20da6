package dev.firebreak.config;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@link Settings#parse} for the config records: the same parse, with every refusal an
 * {@link IllegalArgumentException} (what the records have always thrown, and what the CLI reports
 * as a configuration mistake) that names the key, the value and what is allowed.
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
        // Only this definition's keys, secrets resolved first: "${env:PORT}" is checked as the port it names.
        Map<String, String> mine = new HashMap<>();
        definition.names().forEach(name -> {
            if (given.get(name) != null) {
                mine.put(name, given.get(name));
            }
        });
        Map<String, String> settings;
        try {
            settings = Settings.resolve(mine);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
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
}
