package dev.firebreak.ingest.preflight;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

/**
 * Reads the {@code decisions:} sections of rule files (the bundled {@code rules/decisions.yaml}, or
 * {@code firebreak.ingest.preflight.rules.path}: a file or a folder of {@code *.yaml}, the same
 * folder detection reads). Other top-level sections are detection's and are skipped here. A bad
 * rule fails the load with every problem, each naming the file, the rule and the key.
 */
public final class DecisionRules {
    /** The bundled decision rules (the repository's {@code rules/decisions.yaml}). */
    public static final String BUNDLED = "/dev/firebreak/ingest/preflight/decisions.yaml";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> RULE_KEYS = Set.of("id", "description", "priority", "when", "decision", "reason", "tags");
    private static final Set<String> WHEN_KEYS = Set.of("destructive", "kind", "category", "category_regex",
            "target_environment", "tool", "principal_revoked", "open_episode", "episode_severity",
            "refused_attempts_at_least", "attempts_window");
    private static final Set<String> KINDS = Set.of("sql", "shell", "http", "other");
    private static final Set<String> SEVERITIES = Set.of("info", "warning", "high", "critical");
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9.-]{0,99}");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h)");

    private final List<String> problems = new ArrayList<>();
    private final List<DecisionRule> rules = new ArrayList<>();
    private final Set<String> ids = new HashSet<>();

    private DecisionRules() {
    }

    /** The bundled rules. */
    public static List<DecisionRule> bundled() {
        try (InputStream in = DecisionRules.class.getResourceAsStream(BUNDLED)) {
            if (in == null) {
                throw new IllegalStateException("bundled decision rules " + BUNDLED + " missing from the classpath");
            }
            return load(Map.of("classpath:" + BUNDLED, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + BUNDLED, e);
        }
    }

    /** The decision rules of one file, or of every {@code *.yaml}/{@code *.yml} file of a folder, in name order. */
    public static List<DecisionRule> load(Path path) {
        List<Path> files;
        if (Files.isDirectory(path)) {
            try (Stream<Path> entries = Files.list(path)) {
                files = entries.filter(p -> p.getFileName().toString().matches(".*\\.ya?ml")).sorted().toList();
            } catch (IOException e) {
                throw new IllegalArgumentException(path + ": cannot list rule files: " + e.getMessage(), e);
            }
        } else {
            files = List.of(path);
        }
        Map<String, String> texts = new LinkedHashMap<>();
        for (Path file : files) {
            try {
                texts.put(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
            }
        }
        return load(texts);
    }

    /**
     * The rules of every text (keyed by the name to report it under), sorted by priority then order.
     *
     * @throws IllegalArgumentException listing every problem, when any rule is bad or none is found
     */
    public static List<DecisionRule> load(Map<String, String> texts) {
        DecisionRules loader = new DecisionRules();
        texts.forEach(loader::file);
        if (loader.problems.isEmpty() && loader.rules.isEmpty()) {
            loader.problems.add(texts.keySet() + ": no decisions: section with a rule");
        }
        if (!loader.problems.isEmpty()) {
            throw new IllegalArgumentException("invalid decision rules:\n  " + String.join("\n  ", loader.problems));
        }
        return loader.rules.stream().sorted(Comparator.comparingInt(DecisionRule::priority)
                .thenComparingInt(DecisionRule::order)).toList();
    }

    private void file(String file, String text) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (IOException e) {
            problems.add(file + ": not YAML: " + e.getMessage());
            return;
        }
        if (root == null || !root.isObject() || !root.has("decisions")) {
            return; // detection's files: nothing for us
        }
        JsonNode decisions = root.get("decisions");
        if (!decisions.isArray()) {
            problems.add(file + ": decisions must be a list of rules");
            return;
        }
        for (int i = 0; i < decisions.size(); i++) {
            rule(file + ": decisions[" + i + "]", decisions.get(i));
        }
    }

    private void rule(String where, JsonNode node) {
        if (!node.isObject()) {
            problems.add(where + ": a rule must be a mapping");
            return;
        }
        String id = node.path("id").asText("");
        String at = where + (id.isEmpty() ? "" : " (" + id + ")");
        int before = problems.size();
        unknownKeys(at, node, RULE_KEYS);
        if (!ID.matcher(id).matches()) {
            problems.add(at + ": id is required: lower-case letters, digits, '.', '-'");
        } else if (!ids.add(id)) {
            problems.add(at + ": id " + id + " is defined twice");
        }
        String description = node.path("description").asText("").strip();
        if (description.isEmpty()) {
            problems.add(at + ": description is required");
        }
        int priority = node.path("priority").asInt(Integer.MIN_VALUE);
        if (!node.path("priority").isInt() || priority < 0 || priority > 1_000_000) {
            problems.add(at + ": priority must be an integer 0..1000000 (lower is tried first)");
        }
        Decision decision = decision(at, node.path("decision").asText(""));
        DecisionCondition when = when(at, node.path("when"));
        String reason = node.hasNonNull("reason") ? node.get("reason").asText().strip() : null;
        List<String> tags = strings(at, node.get("tags"), "tags", false);
        if (problems.size() == before) {
            rules.add(new DecisionRule(id, description, priority, when, decision, reason, tags, rules.size()));
        }
    }

    private Decision decision(String at, String value) {
        try {
            return Decision.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            problems.add(at + ": decision must be one of allow, deny, ask; was '" + value + "'");
            return null;
        }
    }

    private DecisionCondition when(String at, JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return new DecisionCondition(null, null, null, null, null, null, null, null,
                    DecisionCondition.DEFAULT_EPISODE_SEVERITIES, null, DecisionCondition.DEFAULT_ATTEMPTS_WINDOW);
        }
        if (!node.isObject()) {
            problems.add(at + ": when must be a mapping of conditions");
            return null;
        }
        String w = at + ": when.";
        unknownKeys(at + ": when", node, WHEN_KEYS);
        Set<String> kinds = set(w, node.get("kind"), "kind");
        if (kinds != null && !KINDS.containsAll(kinds)) {
            problems.add(w + "kind: allowed values are " + KINDS);
        }
        Set<String> severities = set(w, node.get("episode_severity"), "episode_severity");
        if (severities != null && !SEVERITIES.containsAll(severities)) {
            problems.add(w + "episode_severity: allowed values are " + SEVERITIES);
        }
        Integer attempts = null;
        if (node.has("refused_attempts_at_least")) {
            JsonNode n = node.get("refused_attempts_at_least");
            if (!n.isInt() || n.asInt() < 1 || n.asInt() > 1_000_000) {
                problems.add(w + "refused_attempts_at_least: an integer 1..1000000");
            } else {
                attempts = n.asInt();
            }
        }
        Duration window = node.has("attempts_window") ? duration(w + "attempts_window", node.get("attempts_window").asText())
                : DecisionCondition.DEFAULT_ATTEMPTS_WINDOW;
        return new DecisionCondition(bool(w, node, "destructive"), kinds, set(w, node.get("category"), "category"),
                regex(w, node.get("category_regex")), set(w, node.get("target_environment"), "target_environment"),
                set(w, node.get("tool"), "tool"), bool(w, node, "principal_revoked"), bool(w, node, "open_episode"),
                severities == null ? DecisionCondition.DEFAULT_EPISODE_SEVERITIES : severities, attempts, window);
    }

    private Boolean bool(String w, JsonNode node, String key) {
        JsonNode n = node.get(key);
        if (n == null) {
            return null;
        }
        if (!n.isBoolean()) {
            problems.add(w + key + ": true or false");
            return null;
        }
        return n.asBoolean();
    }

    private Pattern regex(String w, JsonNode node) {
        if (node == null) {
            return null;
        }
        try {
            return Pattern.compile(node.asText(), Pattern.CASE_INSENSITIVE);
        } catch (PatternSyntaxException e) {
            problems.add(w + "category_regex: not a regular expression: " + e.getDescription());
            return null;
        }
    }

    private Duration duration(String where, String text) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            problems.add(where + ": a duration such as 500ms, 30s, 10m or 1h; was '" + text + "'");
            return DecisionCondition.DEFAULT_ATTEMPTS_WINDOW;
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
        if (d.isZero() || d.compareTo(Duration.ofDays(1)) > 0) {
            problems.add(where + ": between 1ms and 24h; was '" + text + "'");
        }
        return d;
    }

    private Set<String> set(String w, JsonNode node, String key) {
        if (node == null) {
            return null;
        }
        List<String> values = strings(w.endsWith(".") ? w.substring(0, w.length() - 1) : w, node, key, true);
        Set<String> lower = new LinkedHashSet<>();
        values.forEach(v -> lower.add(v.toLowerCase(Locale.ROOT)));
        return Set.copyOf(lower);
    }

    private List<String> strings(String at, JsonNode node, String key, boolean required) {
        if (node == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (node.isValueNode()) {
            out.add(node.asText());
        } else if (node.isArray()) {
            node.forEach(n -> {
                if (n.isValueNode() && !n.asText().isBlank()) {
                    out.add(n.asText().strip());
                } else {
                    problems.add(at + ": " + key + ": every entry must be a non-empty scalar");
                }
            });
        } else {
            problems.add(at + ": " + key + ": a value or a list of values");
        }
        if (required && out.isEmpty()) {
            problems.add(at + ": " + key + ": at least one value (leave the key out to match anything)");
        }
        return out;
    }

    private void unknownKeys(String at, JsonNode node, Set<String> allowed) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                problems.add(at + ": unknown key '" + name + "'; allowed: " + new java.util.TreeSet<>(allowed));
            }
        }
    }
}
