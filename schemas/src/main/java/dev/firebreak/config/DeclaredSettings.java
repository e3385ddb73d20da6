package dev.firebreak.config;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/**
 * A {@link SettingsDefinition} from its parts, so that each config record declares its definition
 * in one line: {@code public static final class Definition extends DeclaredSettings}, listed in the
 * module's {@code META-INF/services/dev.firebreak.config.SettingsDefinition}.
 */
public abstract class DeclaredSettings implements SettingsDefinition {
    private final String stage;
    private final String title;
    private final ConfigDef definition;
    private final Map<String, String> openPrefixes;
    private final Map<String, String> aliases;

    protected DeclaredSettings(String stage, String title, ConfigDef definition) {
        this(stage, title, definition, Map.of(), Map.of());
    }

    protected DeclaredSettings(String stage, String title, ConfigDef definition, Map<String, String> openPrefixes,
                               Map<String, String> aliases) {
        this.stage = stage;
        this.title = title;
        this.definition = definition;
        this.openPrefixes = Map.copyOf(openPrefixes);
        this.aliases = Map.copyOf(aliases);
    }

    @Override
    public String stage() {
        return stage;
    }

    @Override
    public String title() {
        return title;
    }

    @Override
    public ConfigDef definition() {
        return definition;
    }

    @Override
    public Map<String, String> openPrefixes() {
        return openPrefixes;
    }

    @Override
    public Map<String, String> deprecatedAliases() {
        return aliases;
    }
}
