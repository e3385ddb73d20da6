package dev.firebreak.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigTransformer;
import org.apache.kafka.common.config.provider.ConfigProvider;
import org.apache.kafka.common.config.provider.DirectoryConfigProvider;
import org.apache.kafka.common.config.provider.EnvVarConfigProvider;
import org.apache.kafka.common.config.provider.FileConfigProvider;

/**
 * Reading, resolving and checking Firebreak settings, the same way in every stage.
 *
 * <ul>
 *   <li>Secrets need not sit in the file: a value may be {@code ${env:NAME}} (an environment
 *       variable), {@code ${file:/path/to/file.properties:key}} (a key of a properties file) or
 *       {@code ${dir:/run/secrets:name}} (a file's content, as Kubernetes and Docker mount secrets),
 *       resolved by Kafka's own config providers.</li>
 *   <li>A key no stage defines is refused at start-up, naming the key and the nearest known one:
 *       a misspelled key would otherwise leave a default silently in force.</li>
 * </ul>
 */
public final class Settings {
    /** Where every key is listed; generated from the {@link SettingsDefinition}s. */
    public static final String REFERENCE = "docs/settings-reference.md";
    /**
     * The namespaces of the stages. A key in the namespace of a stage that is not on the class path
     * (a module's own tests, a slimmer image) is left to that stage; any other key must be defined.
     */
    public static final List<String> STAGE_NAMESPACES = List.of("firebreak.ingest.", "firebreak.detection.",
            "firebreak.killswitch.", "firebreak.oncall.", "firebreak.export.", "firebreak.operator.");
    private static final Map<String, ConfigProvider> PROVIDERS = providers();

    private Settings() {
    }

    /** Reads a properties file into trimmed pairs and resolves {@code ${provider:...}} values. */
    public static Map<String, String> load(Path file) throws IOException {
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(in);
        }
        return resolve(new TreeMap<>(toMap(props)));
    }

    /**
     * Replaces {@code ${env:NAME}}, {@code ${file:path:key}} and {@code ${dir:path:name}} with what
     * the provider returns. A reference the provider cannot resolve fails, naming the key (never the value).
     */
    public static Map<String, String> resolve(Map<String, String> settings) {
        if (settings.values().stream().noneMatch(v -> v != null && v.contains("${"))) {
            return settings;
        }
        Map<String, String> out = new LinkedHashMap<>(new ConfigTransformer(PROVIDERS).transform(settings).data());
        out.forEach((key, value) -> {
            if (value != null && value.matches("(?s).*\\$\\{(env|file|dir):.*}.*")) {
                throw new ConfigException(key + " refers to a secret that could not be read; "
                        + "allowed forms: ${env:NAME}, ${file:/path/file.properties:key}, ${dir:/path:name}");
            }
        });
        out.replaceAll((k, v) -> v == null ? null : v.trim());
        return out;
    }

    private static Map<String, ConfigProvider> providers() {
        Map<String, ConfigProvider> providers = Map.of(
                "env", new EnvVarConfigProvider(), "file", new FileConfigProvider(), "dir", new DirectoryConfigProvider());
        providers.values().forEach(p -> p.configure(Map.of()));
        return providers;
    }

    /** Every definition on the class path, in a stable order. */
    public static List<SettingsDefinition> definitions() {
        List<SettingsDefinition> all = new ArrayList<>();
        ServiceLoader.load(SettingsDefinition.class).forEach(all::add);
        all.sort(Comparator.comparing(SettingsDefinition::stage).thenComparing(SettingsDefinition::title));
        return all;
    }

    /**
     * Refuses any key that no definition on the class path declares, with the nearest known key.
     *
     * @throws ConfigException naming the first unknown key
     */
    public static void check(Map<String, String> settings) {
        check(settings, definitions());
    }

    /** {@link #check(Map)} against the given definitions. */
    public static void check(Map<String, String> settings, List<SettingsDefinition> definitions) {
        KnownKeys known = KnownKeys.of(definitions);
        settings.keySet().stream().sorted().filter(key -> !known.accepts(key)).findFirst().ifPresent(key -> {
            throw new ConfigException("unknown setting " + key + known.suggestion(key)
                    + "; every key is listed in " + REFERENCE);
        });
    }

    /**
     * Parses the keys {@code definition} declares (others are ignored here; {@link #check} judges
     * them), applying defaults and validators.
     */
    public static AbstractConfig parse(ConfigDef definition, Map<String, String> settings) {
        Map<String, Object> mine = new HashMap<>();
        for (String name : definition.names()) {
            String value = settings.get(name);
            if (value != null) {
                mine.put(name, value);
            }
        }
        return new AbstractConfig(definition, resolve(stringMap(mine)), false);
    }

    private static Map<String, String> stringMap(Map<String, Object> map) {
        Map<String, String> out = new HashMap<>();
        map.forEach((k, v) -> out.put(k, (String) v));
        return out;
    }

    private static Map<String, String> toMap(Properties props) {
        Map<String, String> map = new HashMap<>();
        props.stringPropertyNames().forEach(k -> map.put(k, props.getProperty(k).trim()));
        return map;
    }
}
