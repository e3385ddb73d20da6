package dev.firebreak.ingest.preflight;

import dev.firebreak.rules.yaml.YamlDocument;
import dev.firebreak.rules.yaml.YamlNode;
import dev.firebreak.rules.yaml.YamlReader;
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
 * rule fails the load with every problem, each naming the file, the rule, the key and the line.
 * Reads through the YAML reader the detection and classifier rules use.
 */
public final class DecisionRules {
    /** The bundled decision rules (the repository's {@code rules/decisions.yaml}). */
    public static final String BUNDLED = "/dev/firebreak/ingest/preflight/decisions.yaml";
    private static final Set<String> RULE_KEYS = Set.of("id", "description", "priority", "when", "decision", "reason", "tags");
    private static final Set<String> WHEN_KEYS = Set.of("destructive", "kind", "category", "category_regex",
            "target_environment", "tool", "principal_revoked", "open_episode", "episode_severity",
            "refused_attempts_at_least", "attempts_window");
    private static final Set<String> KINDS = Set.of("sql", "shell", "http", "other");
    private static final Set<String> SEVERITIES = Set.of("info", "warning", "high", "critical");
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9.-]{0,99}");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h)");

    // "file: decisions[i] (id): reason (line n)": the rule first, as operators and tests read them.
    private final YamlReader yaml = new YamlReader((file, line, reason) ->
            file + ": " + reason + (line > 0 ? " (line " + line + ")" : ""));
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
     * @throws dev.firebreak.rules.RulesFileException (an IllegalArgumentException) listing every
     *                                                 problem, when any rule is bad or none is found
     */
    public static List<DecisionRule> load(Map<String, String> texts) {
        DecisionRules loader = new DecisionRules();
        texts.forEach(loader::file);
        if (!loader.yaml.hasProblems() && loader.rules.isEmpty()) {
            loader.yaml.fail(texts.keySet().toString(), "no decisions: section with a rule");
        }
        loader.yaml.throwIfProblems("decision");
        return loader.rules.stream().sorted(Comparator.comparingInt(DecisionRule::priority)
                .thenComparingInt(DecisionRule::order)).toList();
    }

    private void file(String file, String text) {
        YamlNode root = YamlDocument.parse(file, text, yaml);
        if (root == null || !root.isMapping() || !root.has("decisions")) {
            return; // detection's files: nothing for us
        }
        YamlNode decisions = root.get("decisions");
        if (!decisions.isSequence()) {
            fail(decisions, "decisions must be a list of rules"); // the problem names the file and line
            return;
        }
        List<YamlNode> items = decisions.items();
        for (int i = 0; i < items.size(); i++) {
            rule("decisions[" + i + "]", items.get(i));
        }
    }

    private void rule(String where, YamlNode node) {
        if (!node.isMapping()) {
            fail(node, where + ": a rule must be a mapping");
            return;
        }
        String id = text(node.get("id"));
        String at = where + (id.isEmpty() ? "" : " (" + id + ")");
        int before = yaml.problemCount();
        unknownKeys(at, node, RULE_KEYS);
        if (!ID.matcher(id).matches()) {
            fail(node, at + ": id is required: lower-case letters, digits, '.', '-'");
        } else if (!ids.add(id)) {
            fail(node.get("id"), at + ": id " + id + " is defined twice");
        }
        String description = text(node.get("description")).strip();
        if (description.isEmpty()) {
            fail(node, at + ": description is required");
        }
        YamlNode priorityNode = node.get("priority");
        Integer priority = priorityNode == null ? null : parseInt(priorityNode.text());
        if (priority == null || priority < 0 || priority > 1_000_000) {
            fail(priorityNode == null ? node : priorityNode,
                    at + ": priority must be an integer 0..1000000 (lower is tried first)");
        }
        YamlNode decisionNode = node.get("decision");
        Decision decision = decision(decisionNode == null ? node : decisionNode, at, text(decisionNode));
        DecisionCondition when = when(at, node.get("when"));
        YamlNode reasonNode = node.get("reason");
        String reason = reasonNode == null || reasonNode.isNull() ? null : text(reasonNode).strip();
        List<String> tags = strings(at, node.get("tags"), "tags", false);
        if (yaml.problemCount() == before) {
            rules.add(new DecisionRule(id, description, priority, when, decision, reason, tags, rules.size()));
        }
    }

    private Decision decision(YamlNode node, String at, String value) {
        try {
            return Decision.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            fail(node, at + ": decision must be one of allow, deny, ask; was '" + value + "'");
            return null;
        }
    }

    private DecisionCondition when(String at, YamlNode node) {
        if (node == null || node.isNull()) {
            return new DecisionCondition(null, null, null, null, null, null, null, null,
                    DecisionCondition.DEFAULT_EPISODE_SEVERITIES, null, DecisionCondition.DEFAULT_ATTEMPTS_WINDOW);
        }
        if (!node.isMapping()) {
            fail(node, at + ": when must be a mapping of conditions");
            return null;
        }
        String w = at + ": when.";
        unknownKeys(at + ": when", node, WHEN_KEYS);
        Set<String> kinds = set(w, node.get("kind"), "kind");
        if (kinds != null && !KINDS.containsAll(kinds)) {
            fail(node.get("kind"), w + "kind: allowed values are " + KINDS);
        }
        Set<String> severities = set(w, node.get("episode_severity"), "episode_severity");
        if (severities != null && !SEVERITIES.containsAll(severities)) {
            fail(node.get("episode_severity"), w + "episode_severity: allowed values are " + SEVERITIES);
        }
        Integer attempts = null;
        YamlNode attemptsNode = node.get("refused_attempts_at_least");
        if (attemptsNode != null) {
            Integer n = parseInt(attemptsNode.text());
            if (n == null || n < 1 || n > 1_000_000) {
                fail(attemptsNode, w + "refused_attempts_at_least: an integer 1..1000000");
            } else {
                attempts = n;
            }
        }
        YamlNode windowNode = node.get("attempts_window");
        Duration window = windowNode != null ? duration(windowNode, w + "attempts_window", text(windowNode))
                : DecisionCondition.DEFAULT_ATTEMPTS_WINDOW;
        return new DecisionCondition(bool(w, node, "destructive"), kinds, set(w, node.get("category"), "category"),
                regex(w, node.get("category_regex")), set(w, node.get("target_environment"), "target_environment"),
                set(w, node.get("tool"), "tool"), bool(w, node, "principal_revoked"), bool(w, node, "open_episode"),
                severities == null ? DecisionCondition.DEFAULT_EPISODE_SEVERITIES : severities, attempts, window);
    }

    private Boolean bool(String w, YamlNode node, String key) {
        return yaml.bool(node.get(key), null, w + key + ": true or false");
    }

    private Pattern regex(String w, YamlNode node) {
        if (node == null) {
            return null;
        }
        return yaml.regex(node, w + "category_regex", Pattern.CASE_INSENSITIVE,
                e -> w + "category_regex: not a regular expression: " + e.getDescription());
    }

    private Duration duration(YamlNode node, String where, String text) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            fail(node, where + ": a duration such as 500ms, 30s, 10m or 1h; was '" + text + "'");
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
            fail(node, where + ": between 1ms and 24h; was '" + text + "'");
        }
        return d;
    }

    private Set<String> set(String w, YamlNode node, String key) {
        if (node == null) {
            return null;
        }
        List<String> values = strings(w.endsWith(".") ? w.substring(0, w.length() - 1) : w, node, key, true);
        Set<String> lower = new LinkedHashSet<>();
        values.forEach(v -> lower.add(v.toLowerCase(Locale.ROOT)));
        return Set.copyOf(lower);
    }

    private List<String> strings(String at, YamlNode node, String key, boolean required) {
        if (node == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (node.isScalar()) {
            out.add(node.text());
        } else if (node.isSequence()) {
            for (YamlNode n : node.items()) {
                String v = n.text();
                if (v != null && !v.isBlank()) {
                    out.add(v.strip());
                } else {
                    fail(n, at + ": " + key + ": every entry must be a non-empty scalar");
                }
            }
        } else if (!node.isNull()) {
            fail(node, at + ": " + key + ": a value or a list of values");
        }
        if (required && out.isEmpty()) {
            fail(node, at + ": " + key + ": at least one value (leave the key out to match anything)");
        }
        return out;
    }

    private void unknownKeys(String at, YamlNode node, Set<String> allowed) {
        yaml.mapping(node, allowed, at + ": ");
    }

    /** The text of a single value; empty for anything else (the caller reports what is missing). */
    private static String text(YamlNode node) {
        String text = node == null ? null : node.text();
        return text == null ? "" : text;
    }

    private static Integer parseInt(String text) {
        try {
            return text == null ? null : Integer.valueOf(text.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private void fail(YamlNode node, String reason) {
        yaml.fail(node, reason);
    }
}
