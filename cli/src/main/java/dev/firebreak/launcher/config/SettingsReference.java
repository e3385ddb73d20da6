package dev.firebreak.launcher.config;

import dev.firebreak.config.Settings;
import dev.firebreak.config.SettingsDefinition;
import dev.firebreak.config.Typed;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;

/**
 * The settings reference ({@value Settings#REFERENCE}), generated from the same
 * {@link SettingsDefinition}s the stages parse with, so that it lists every key, with its type,
 * default, valid values and meaning, and cannot drift from the code. Secrets' defaults are never shown.
 */
public final class SettingsReference {
    /** The order stages appear in: the data flow, then the operator's and the shared keys. */
    static final List<String> STAGE_ORDER = List.of("ingest", "detection", "killswitch", "oncall", "export", "operator",
            "shared", "dev");
    /** How to regenerate the file; the test that compares it says the same. */
    public static final String REGENERATE = "java -jar cli/target/firebreak.jar settings-reference --output "
            + Settings.REFERENCE;

    private SettingsReference() {
    }

    /** The reference for every definition on the class path. */
    public static String generate() {
        return generate(Settings.definitions());
    }

    /** The reference for {@code definitions}, grouped by stage in {@link #STAGE_ORDER}. */
    public static String generate(List<SettingsDefinition> definitions) {
        StringBuilder out = new StringBuilder();
        out.append("# Settings reference\n\n")
                .append("<!-- Generated from the settings definitions; do not edit. Regenerate: ").append(REGENERATE)
                .append(" -->\n\n")
                .append("Every stage reads one properties file: `firebreak service <stage> --config <file>`. Check a file")
                .append(" before deploying it with `firebreak check-config --config <file> [--stage <stage>]`. A key no")
                .append(" definition below declares is refused at start-up, naming the nearest known key: a misspelled")
                .append(" key would otherwise leave a default silently in force.\n\n");
        secrets(out);
        Map<String, List<SettingsDefinition>> byStage = new TreeMap<>(Comparator.comparingInt(SettingsReference::rank)
                .thenComparing(Comparator.naturalOrder()));
        definitions.forEach(d -> byStage.computeIfAbsent(d.stage(), s -> new ArrayList<>()).add(d));
        byStage.forEach((stage, defs) -> {
            out.append("## Stage: ").append(stage).append("\n\n");
            defs.stream().sorted(Comparator.comparing(SettingsDefinition::title)).forEach(d -> definition(out, d));
        });
        deprecated(out, definitions);
        return out.toString();
    }

    private static int rank(String stage) {
        int i = STAGE_ORDER.indexOf(stage);
        return i < 0 ? STAGE_ORDER.size() : i;
    }

    private static void secrets(StringBuilder out) {
        out.append("## Secrets\n\n")
                .append("Any value may name a secret instead of holding it; it is resolved when the file is read, by")
                .append(" Kafka's config providers, and a reference that cannot be resolved fails naming the key (never")
                .append(" the value):\n\n")
                .append("| Form | Resolves to |\n|---|---|\n")
                .append("| `${env:NAME}` | the environment variable `NAME` |\n")
                .append("| `${file:/path/file.properties:key}` | the value of `key` in a properties file |\n")
                .append("| `${dir:/run/secrets:name}` | the content of file `name` in a directory (Docker and Kubernetes")
                .append(" secrets) |\n\n")
                .append("Keys of type PASSWORD are never printed, nor are their defaults shown here.\n\n");
    }

    private static void definition(StringBuilder out, SettingsDefinition d) {
        out.append("### ").append(d.title()).append("\n\n");
        Map<String, ConfigDef.ConfigKey> keys = d.definition().configKeys();
        if (!keys.isEmpty()) {
            out.append("| Key | Type | Default | Valid values | Importance | Description |\n")
                    .append("|---|---|---|---|---|---|\n");
            keys.values().forEach(k -> out.append("| `").append(k.name).append("` | ").append(k.type.name().toLowerCase())
                    .append(" | ").append(cell(defaultOf(k))).append(" | ").append(cell(validValues(k))).append(" | ")
                    .append(k.importance.name().toLowerCase()).append(" | ").append(cell(k.documentation)).append(" |\n"));
            out.append('\n');
        }
        if (!d.openPrefixes().isEmpty()) {
            out.append("| Open prefix | What goes there |\n|---|---|\n");
            new TreeMap<>(d.openPrefixes()).forEach((prefix, doc) -> out.append("| `").append(prefix).append("*` | ")
                    .append(cell(doc)).append(" |\n"));
            out.append('\n');
        }
    }

    private static void deprecated(StringBuilder out, List<SettingsDefinition> definitions) {
        // One old prefix may be renamed by several stages (kafka.consumer.: the kill switch's and on-call's).
        Map<String, java.util.SortedSet<String>> aliases = new TreeMap<>();
        definitions.forEach(d -> d.deprecatedAliases().forEach((old, now) ->
                aliases.computeIfAbsent(old, o -> new java.util.TreeSet<>()).add(now)));
        if (aliases.isEmpty()) {
            return;
        }
        out.append("## Deprecated spellings\n\n")
                .append("Still read, with one warning naming the new key; setting both spellings to different values fails.")
                .append(" A name ending in `.` renames every key under it, for each stage listed; a key may match several")
                .append(" rows (`kafka.consumer.x` is detection's `firebreak.detection.streams.consumer.x` too).\n\n")
                .append("| Old | New |\n|---|---|\n");
        aliases.forEach((old, now) -> out.append("| ").append(code(old)).append(" | ")
                .append(String.join(", ", now.stream().map(SettingsReference::code).toList())).append(" |\n"));
        out.append('\n');
    }

    private static String code(String key) {
        return "`" + key + (key.endsWith(".") ? "*" : "") + "`";
    }

    private static String defaultOf(ConfigDef.ConfigKey key) {
        if (!key.hasDefault()) {
            return "(required)";
        }
        if (key.defaultValue == null) {
            return "(none)";
        }
        if (key.type == ConfigDef.Type.PASSWORD) {
            return "(secret)";
        }
        String value = ConfigDef.convertToString(key.defaultValue, key.type);
        return value.isEmpty() ? "\"\"" : "`" + value + "`";
    }

    private static String validValues(ConfigDef.ConfigKey key) {
        if (key.validator != null) {
            return key.validator.toString();
        }
        return key.type == ConfigDef.Type.STRING || key.type == ConfigDef.Type.PASSWORD ? "any" : Typed.describe(key.type);
    }

    /** Markdown table cells hold one line, no unescaped pipe, and no {@code <word>} a renderer would take for HTML. */
    private static String cell(String text) {
        return text == null ? "" : text.replace("|", "\\|").replace("<", "\\<").replace("\r", "").replace("\n", " ").strip();
    }
}
