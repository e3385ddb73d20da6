package dev.firebreak.rules;

import dev.firebreak.guard.GuardException;
import dev.firebreak.guard.GuardPolicy;
import dev.firebreak.guard.GuardRule;
import dev.firebreak.rules.DetectionRule.Maturity;
import dev.firebreak.rules.DetectionRule.Measure;
import dev.firebreak.rules.yaml.YamlDocument;
import dev.firebreak.rules.yaml.YamlNode;
import dev.firebreak.rules.yaml.YamlReader;
import dev.firebreak.schema.AuditSource;
import dev.firebreak.schema.Response;
import dev.firebreak.schema.Severity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads detection rules from YAML files and validates them strictly. Every problem is collected
 * and reported as {@code file:line: reason}; one bad rule fails the whole load, so a bad rule set
 * fails start-up instead of running half its rules. The format is documented in the bundled
 * {@code rules/firebreak.yaml}:
 *
 * <ul>
 *   <li>{@code version: 1} (optional);</li>
 *   <li>{@code lists}: named value lists; an item {@code $name} in any list (of a rule, macro or
 *       list) stands for that list's values;</li>
 *   <li>{@code macros}: named match fragments; a match's {@code macros: [name, ...]} requires each
 *       to match as well;</li>
 *   <li>{@code rules}: the rules, ids unique over every file;</li>
 *   <li>{@code exceptions}: allow-list entries; those expired at load are reported and ignored.</li>
 * </ul>
 *
 * Names of lists and macros are shared by every file of a directory, which are read in name order.
 */
public final class RulesLoader {
    /**
     * The key naming the detection rule files (a file or a folder of {@code *.yaml}); unset = the bundled
     * rules. Detection reads it, and ingest too, for the guard policy in the same files.
     */
    public static final String RULES_PATH = "firebreak.detection.rules.path";
    /** The classpath folder of the bundled rules (the repository's {@code rules/} folder). */
    public static final String BUNDLED_FOLDER = "/dev/firebreak/detect/rules/";
    /** The bundled files, in load order. */
    public static final List<String> BUNDLED_FILES = List.of("firebreak.yaml", "exceptions.yaml", "decisions.yaml");

    private static final Logger LOG = LoggerFactory.getLogger(RulesLoader.class);
    // decisions: ingest's pre-flight decision rules (dev.firebreak.ingest.preflight), read there, not here
    private static final Set<String> TOP_KEYS = Set.of("version", "lists", "macros", "rules", "guards", "exceptions",
            "decisions");
    private static final Set<String> GUARD_KEYS = Set.of("id", "description", "kind", "mode", "relations", "tables",
            "rows", "columns", "fraction", "min_rows", "window", "tags", "spare");
    private static final Set<String> RULE_KEYS = Set.of("id", "description", "triage", "match", "measure",
            "threshold", "window", "episode_quiet", "grace", "severity", "response", "shadow", "tags", "maturity",
            "max_tracked_events");
    private static final Set<String> MATCH_KEYS = Set.of("source", "action", "action_regex", "object_type",
            "destructive", "classification", "statement_regex", "target_environment", "attributes", "blast", "macros");
    private static final Set<String> BLAST_KEYS = Set.of("min_rows", "min_bytes", "min_fraction", "min_age",
            "created_by_same_principal", "replaced", "partition", "shape");
    private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*(|B|kB|KB|MB|GB|TB)");
    private static final Set<String> EXCEPTION_KEYS = Set.of("rule", "principal", "application_name", "from",
            "until", "reason", "expires");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,100}");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

    private final Instant now;
    private final YamlReader yaml = new YamlReader();
    private final List<String> warnings = new ArrayList<>();
    private final Map<String, Located> lists = new LinkedHashMap<>();
    private final Map<String, Located> macros = new LinkedHashMap<>();
    private final Map<String, List<String>> resolvedLists = new HashMap<>();
    private final Map<String, RuleMatch> resolvedMacros = new HashMap<>();

    /** A node and the file it came from. */
    private record Located(String file, YamlNode node) {
    }

    /**
     * The loaded rules, each carrying the exceptions that apply to it.
     *
     * @param rules    in definition order
     * @param warnings what did not fail the load but should be known (expired exceptions)
     * @param sources  the files read
     * @param guards   the guard rules and the exceptions that apply to them, for the database
     */
    public record RuleSet(List<DetectionRule> rules, List<String> warnings, List<String> sources, GuardPolicy guards) {
        public RuleSet {
            rules = List.copyOf(rules);
            java.util.Objects.requireNonNull(guards, "guards");
            warnings = List.copyOf(warnings);
            sources = List.copyOf(sources);
        }
    }

    private RulesLoader(Instant now) {
        this.now = now;
    }

    /** The bundled rules; {@code now} decides which exceptions have expired. */
    public static RuleSet loadBundled(Instant now) {
        Map<String, String> texts = new LinkedHashMap<>();
        for (String file : BUNDLED_FILES) {
            String resource = BUNDLED_FOLDER + file;
            try (InputStream in = RulesLoader.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("bundled rules " + resource + " missing from the classpath");
                }
                texts.put("classpath:" + resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read bundled rules " + resource, e);
            }
        }
        return load(texts, now);
    }

    /** The rules of one file, or of every {@code *.yaml} / {@code *.yml} file of a directory (by name). */
    public static RuleSet load(Path path, Instant now) {
        List<Path> files;
        if (Files.isDirectory(path)) {
            try (Stream<Path> entries = Files.list(path)) {
                files = entries.filter(p -> Files.isRegularFile(p)
                                && (p.getFileName().toString().endsWith(".yaml") || p.getFileName().toString().endsWith(".yml")))
                        .sorted().toList();
            } catch (IOException e) {
                throw new RulesFileException(List.of(path + ": cannot list rule files: " + e.getMessage()));
            }
            if (files.isEmpty()) {
                throw new RulesFileException(List.of(path + ": no *.yaml rule files in this directory"));
            }
        } else if (Files.isRegularFile(path)) {
            files = List.of(path);
        } else {
            throw new RulesFileException(List.of(path + ": no such rule file or directory"));
        }
        Map<String, String> texts = new LinkedHashMap<>();
        for (Path file : files) {
            try {
                texts.put(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new RulesFileException(List.of(file + ": cannot read: " + e.getMessage()));
            }
        }
        return load(texts, now);
    }

    /** Rules from texts keyed by the name to report them under, read in the map's order. */
    public static RuleSet load(Map<String, String> texts, Instant now) {
        return new RulesLoader(now).loadAll(texts);
    }

    private RuleSet loadAll(Map<String, String> texts) {
        Map<String, YamlNode> roots = new LinkedHashMap<>();
        texts.forEach((file, text) -> {
            YamlNode root = parse(file, text);
            if (root != null) {
                roots.put(file, root);
            }
        });
        // Lists and macros first, from every file: a rule may use a name defined in another file.
        roots.forEach((file, root) -> {
            Map<String, YamlNode> top = yaml.mapping(root, TOP_KEYS, "");
            YamlNode version = top.get("version");
            if (version != null && !"1".equals(yaml.scalar(version, "version"))) {
                fail(file, version, "version must be 1");
            }
            named(file, top.get("lists"), "lists", lists);
            named(file, top.get("macros"), "macros", macros);
        });
        lists.keySet().forEach(name -> list(name, new LinkedHashSet<>()));
        macros.keySet().forEach(name -> macro(name, new LinkedHashSet<>()));
        List<DetectionRule> rules = new ArrayList<>();
        Map<String, String> ruleSources = new HashMap<>();
        roots.forEach((file, root) -> {
            YamlNode node = root.get("rules");
            for (YamlNode r : yaml.sequence(node, "rules")) {
                DetectionRule rule = rule(file, r, ruleSources);
                if (rule != null) {
                    rules.add(rule);
                }
            }
        });
        List<GuardRule> guards = new ArrayList<>();
        roots.forEach((file, root) -> {
            for (YamlNode g : yaml.sequence(root.get("guards"), "guards")) {
                GuardRule guard = guard(file, g, ruleSources);
                if (guard != null) {
                    guards.add(guard);
                }
            }
        });
        List<RuleException> exceptions = new ArrayList<>();
        roots.forEach((file, root) -> {
            for (YamlNode e : yaml.sequence(root.get("exceptions"), "exceptions")) {
                RuleException exception = exception(file, e, ruleSources);
                if (exception != null) {
                    exceptions.add(exception);
                }
            }
        });
        if (rules.isEmpty() && !yaml.hasProblems()) {
            yaml.fail(String.join(", ", texts.keySet()), "no rules defined; at least one rule is required");
        }
        yaml.throwIfProblems("detection");
        List<DetectionRule> withExceptions = rules.stream().map(rule -> rule.withExceptions(
                exceptions.stream().filter(e -> e.appliesTo(rule.id())).toList())).toList();
        warnings.forEach(LOG::warn);
        LOG.info("loaded {} detection rules from {}: {}", withExceptions.size(), String.join(", ", texts.keySet()),
                withExceptions.stream().map(r -> r.id() + (r.shadow() ? " (shadow)" : "")
                        + (r.exceptions().isEmpty() ? "" : " (" + r.exceptions().size() + " exceptions)"))
                        .collect(Collectors.joining(", ")));
        List<GuardException> guardExceptions = exceptions.stream()
                .filter(e -> RuleException.ANY_RULE.equals(e.rule()) || guards.stream().anyMatch(g -> e.appliesTo(g.id())))
                .map(e -> new GuardException(e.rule(), e.principal(), e.applicationName(), e.from(), e.until(),
                        e.expires(), e.reason()))
                .toList();
        if (!guards.isEmpty()) {
            LOG.info("loaded {} guard rules: {}", guards.size(), guards.stream()
                    .map(g -> g.id() + " (" + g.mode().name().toLowerCase(Locale.ROOT) + ")").collect(Collectors.joining(", ")));
        }
        return new RuleSet(withExceptions, warnings, List.copyOf(texts.keySet()), new GuardPolicy(guards, guardExceptions));
    }

    // ------------------------------------------------------------------ rules

    private DetectionRule rule(String file, YamlNode node, Map<String, String> ruleSources) {
        int before = yaml.problemCount();
        Map<String, YamlNode> r = yaml.mapping(node, RULE_KEYS, "");
        if (r == null) {
            return null;
        }
        String id = required(file, node, r, "id");
        String where = id == null ? "rule: " : "rule '" + id + "': ";
        if (id != null) {
            String first = ruleSources.putIfAbsent(id, location(file, node));
            if (first != null) {
                fail(file, r.get("id"), where + "duplicate id (first defined at " + first + ")");
            }
        }
        String description = required(file, node, r, "description");
        String triage = optionalText(file, r, "triage");
        YamlNode matchNode = r.get("match");
        RuleMatch match = null;
        if (matchNode == null) {
            fail(file, node, where + "match is required");
        } else {
            match = match(file, matchNode, where + "match.");
        }
        Measure measure = enumValue(file, r, "measure", Measure.class, Measure.EVENTS, where);
        Long threshold = longValue(file, r, "threshold", null, where);
        if (threshold == null && !r.containsKey("threshold")) {
            fail(file, node, where + "threshold is required");
        }
        Duration window = duration(file, r, "window", null, where);
        if (window == null && !r.containsKey("window")) {
            fail(file, node, where + "window is required");
        }
        Duration defaultQuiet = window != null && window.compareTo(DetectionRule.DEFAULT_EPISODE_QUIET) > 0
                ? window : DetectionRule.DEFAULT_EPISODE_QUIET;
        Duration quiet = duration(file, r, "episode_quiet", defaultQuiet, where);
        Duration grace = duration(file, r, "grace", DetectionRule.DEFAULT_GRACE, where);
        Severity severity = enumValue(file, r, "severity", Severity.class, null, where);
        if (severity == null && !r.containsKey("severity")) {
            fail(file, node, where + "severity is required; allowed: info, warning, high, critical");
        }
        Response response = responseValue(file, r, where);
        if (response == null && !r.containsKey("response")) {
            fail(file, node, where + "response is required; allowed: alert, revoke");
        }
        boolean shadow = Boolean.TRUE.equals(booleanValue(file, r, "shadow", where));
        List<String> tags = strings(file, r.get("tags"), where + "tags");
        Maturity maturity = enumValue(file, r, "maturity", Maturity.class, Maturity.STABLE, where);
        Long maxTracked = longValue(file, r, "max_tracked_events", (long) DetectionRule.DEFAULT_MAX_TRACKED_EVENTS, where);
        if (yaml.problemCount() > before || match == null || threshold == null || window == null || severity == null
                || response == null || maxTracked == null || quiet == null || grace == null) {
            return null;
        }
        if (maxTracked > Integer.MAX_VALUE) {
            fail(file, r.get("max_tracked_events"), where + "max_tracked_events is too large");
            return null;
        }
        try {
            return new DetectionRule(id, description, triage, match, measure, threshold, window, quiet, grace,
                    severity, response, shadow, tags, maturity, maxTracked.intValue(), List.of());
        } catch (IllegalArgumentException | NullPointerException e) {
            // DetectionRule's messages start with the field, e.g. "threshold=0 is invalid"; point at it.
            String field = e.getMessage() == null ? "" : e.getMessage().split("[= ]", 2)[0];
            YamlNode at = r.getOrDefault(field, node);
            fail(file, at, where + e.getMessage());
            return null;
        }
    }

    // ------------------------------------------------------------------ guards

    /**
     * A guard rule. Its amount is spelled by what it counts (relations, tables, columns), so a
     * misplaced key is an error rather than a silently different rule.
     */
    private GuardRule guard(String file, YamlNode node, Map<String, String> ruleSources) {
        int before = yaml.problemCount();
        Map<String, YamlNode> g = yaml.mapping(node, GUARD_KEYS, "guard: ");
        if (g == null) {
            return null;
        }
        String id = required(file, node, g, "id");
        String where = "guard '" + id + "': ";
        if (id != null) {
            String first = ruleSources.putIfAbsent(id, location(file, node));
            if (first != null) {
                fail(file, g.get("id"), where + "duplicate id (first defined at " + first + ")");
            }
        }
        String description = required(file, node, g, "description");
        GuardRule.Kind kind = enumValue(file, g, "kind", GuardRule.Kind.class, null, where);
        if (kind == null && !g.containsKey("kind")) {
            fail(file, node, where + "kind is required; allowed: statement_drops, truncate, row_change, column_drop, drop_rate");
        }
        GuardRule.Mode mode = enumValue(file, g, "mode", GuardRule.Mode.class, GuardRule.Mode.ENFORCE, where);
        if (yaml.problemCount() > before || kind == null || mode == null) {
            return null;
        }
        Set<String> allowed = switch (kind) {
            case STATEMENT_DROPS -> Set.of("relations");
            case DROP_RATE -> Set.of("relations", "window");
            case TRUNCATE -> Set.of("tables", "rows");
            case ROW_CHANGE -> Set.of("fraction", "min_rows");
            case COLUMN_DROP -> Set.of("columns", "min_rows");
        };
        for (String key : List.of("relations", "tables", "rows", "columns", "fraction", "min_rows", "window")) {
            if (g.containsKey(key) && !allowed.contains(key)) {
                fail(file, g.get(key), where + key + " does not apply to kind " + kind.sqlName() + "; allowed: "
                        + String.join(", ", new TreeSet<>(allowed)));
            }
        }
        Long amount = switch (kind) {
            case STATEMENT_DROPS, DROP_RATE -> requiredLong(file, node, g, "relations", where);
            case TRUNCATE -> requiredLong(file, node, g, "tables", where);
            case COLUMN_DROP -> longValue(file, g, "columns", 1L, where);
            case ROW_CHANGE -> 1L;
        };
        Long minRows = longValue(file, g, kind == GuardRule.Kind.TRUNCATE ? "rows" : "min_rows", 0L, where);
        Double fraction = parsed(file, g, "fraction", null, where, "a number above 0, at most 1", Double::valueOf);
        if (kind == GuardRule.Kind.ROW_CHANGE && !g.containsKey("fraction")) {
            fail(file, node, where + "fraction is required for row_change; allowed: a number above 0, at most 1");
        }
        Duration window = duration(file, g, "window", null, where);
        if (kind == GuardRule.Kind.DROP_RATE && !g.containsKey("window")) {
            fail(file, node, where + "window is required for drop_rate; allowed: a duration such as 1s");
        }
        List<String> tags = strings(file, g.get("tags"), where + "tags");
        List<String> spare = strings(file, g.get("spare"), where + "spare");
        if (yaml.problemCount() > before || amount == null || minRows == null) {
            return null;
        }
        try {
            return new GuardRule(id, description, kind, mode, amount, minRows, fraction, window, tags, spare);
        } catch (IllegalArgumentException | NullPointerException e) {
            String field = e.getMessage() == null ? "" : e.getMessage().split("[= ]", 2)[0];
            fail(file, g.getOrDefault(field, node), where + e.getMessage());
            return null;
        }
    }

    private Long requiredLong(String file, YamlNode parent, Map<String, YamlNode> map, String key, String where) {
        if (!map.containsKey(key)) {
            fail(file, parent, where + key + " is required");
            return null;
        }
        return longValue(file, map, key, null, where);
    }

    private RuleMatch match(String file, YamlNode node, String where) {
        Map<String, YamlNode> m = yaml.mapping(node, MATCH_KEYS, where);
        if (m == null) {
            return null;
        }
        RuleMatch.Builder b = RuleMatch.builder();
        Set<AuditSource> sources = new LinkedHashSet<>();
        for (String s : strings(file, m.get("source"), where + "source")) {
            try {
                sources.add(AuditSource.valueOf(s.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                fail(file, m.get("source"), where + "source '" + s + "' is unknown; allowed: "
                        + Arrays.stream(AuditSource.values()).map(Enum::name).collect(Collectors.joining(", ")));
            }
        }
        b.sources(sources);
        b.actions(new LinkedHashSet<>(strings(file, m.get("action"), where + "action")));
        b.actionRegex(regex(file, m.get("action_regex"), where + "action_regex"));
        b.objectTypes(new LinkedHashSet<>(strings(file, m.get("object_type"), where + "object_type")));
        b.destructive(booleanValue(file, m, "destructive", where));
        b.classifications(new LinkedHashSet<>(strings(file, m.get("classification"), where + "classification")));
        b.statementRegex(regex(file, m.get("statement_regex"), where + "statement_regex"));
        if (m.containsKey("target_environment")) {
            b.attribute("target_environment", new LinkedHashSet<>(
                    strings(file, m.get("target_environment"), where + "target_environment")));
        }
        YamlNode attributes = m.get("attributes");
        if (attributes != null) {
            if (attributes.isMapping()) {
                for (YamlNode.Entry t : attributes.entries()) {
                    String name = yaml.scalar(t.key(), where + "attributes key");
                    if (name != null) {
                        b.attribute(name, new LinkedHashSet<>(strings(file, t.value(), where + "attributes." + name)));
                    }
                }
                yaml.repeatedKeys(attributes, where + "attributes.");
            } else {
                fail(file, attributes, where + "attributes must be a mapping from attribute name to values");
            }
        }
        if (m.containsKey("blast")) {
            b.blast(blast(file, m.get("blast"), where + "blast."));
        }
        for (String name : names(file, m.get("macros"), where + "macros")) {
            RuleMatch macro = resolvedMacros.get(name);
            if (macro == null) {
                if (!macros.containsKey(name)) {
                    fail(file, m.get("macros"), where + "macros: unknown macro '" + name + "'"
                            + known(macros.keySet()));
                }
                continue;
            }
            b.and(macro);
        }
        try {
            return b.build();
        } catch (PatternSyntaxException e) {
            return null; // already reported by regex()
        }
    }

    /** A match's {@code blast:} conditions; null after reporting when they do not read. */
    private BlastCondition blast(String file, YamlNode node, String where) {
        int before = yaml.problemCount();
        Map<String, YamlNode> m = yaml.mapping(node, BLAST_KEYS, where);
        if (m == null) {
            return null;
        }
        Long minRows = longValue(file, m, "min_rows", null, where);
        Long minBytes = parsed(file, m, "min_bytes", null, where, "a byte count such as 1000000, 64kB, 10MB or 1GB",
                RulesLoader::parseBytes);
        Double minFraction = parsed(file, m, "min_fraction", null, where, "a number from 0 to 1", Double::valueOf);
        Duration minAge = duration(file, m, "min_age", null, where);
        Boolean own = booleanValue(file, m, "created_by_same_principal", where);
        Boolean replaced = booleanValue(file, m, "replaced", where);
        Boolean partition = booleanValue(file, m, "partition", where);
        Set<String> shapes = new LinkedHashSet<>(strings(file, m.get("shape"), where + "shape"));
        if (yaml.problemCount() > before) {
            return null;
        }
        try {
            return new BlastCondition(minRows, minBytes, minFraction, minAge, own, replaced, partition, shapes);
        } catch (IllegalArgumentException e) {
            fail(file, node, where + e.getMessage());
            return null;
        }
    }

    /** {@code 1000}, {@code 64kB}, {@code 10MB}, {@code 1GB} (powers of 1024, as PostgreSQL counts). */
    static long parseBytes(String value) {
        java.util.regex.Matcher m = BYTES.matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException(value);
        }
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "KB" -> 10;
            case "MB" -> 20;
            case "GB" -> 30;
            case "TB" -> 40;
            default -> 0;
        };
        return Math.multiplyExact(Long.parseLong(m.group(1)), 1L << shift);
    }

    // ------------------------------------------------------------------ lists and macros

    private void named(String file, YamlNode node, String section, Map<String, Located> into) {
        if (node == null) {
            return;
        }
        if (!node.isMapping()) {
            fail(file, node, section + " must be a mapping from name to definition");
            return;
        }
        for (YamlNode.Entry t : node.entries()) {
            String name = yaml.scalar(t.key(), section + " name");
            if (name == null) {
                continue;
            }
            if (!NAME.matcher(name).matches()) {
                fail(file, t.key(), section + "." + name + ": name must be 1 to 100 of A-Z a-z 0-9 _ . -");
            }
            Located before = into.putIfAbsent(name, new Located(file, t.value()));
            if (before != null) {
                fail(file, t.key(), section + "." + name + ": defined twice (first at "
                        + location(before.file(), before.node()) + ")");
            }
        }
    }

    private List<String> list(String name, Set<String> visiting) {
        List<String> done = resolvedLists.get(name);
        if (done != null) {
            return done;
        }
        Located def = lists.get(name);
        if (!visiting.add(name)) {
            fail(def.file(), def.node(), "lists." + name + ": refers to itself through " + String.join(" -> ", visiting) + " -> " + name);
            return List.of();
        }
        List<String> values = new ArrayList<>();
        if (!def.node().isSequence()) {
            fail(def.file(), def.node(), "lists." + name + " must be a list of values");
        } else {
            for (YamlNode item : def.node().items()) {
                String v = yaml.scalar(item, "lists." + name);
                if (v == null) {
                    continue;
                }
                if (v.startsWith("$")) {
                    String ref = v.substring(1);
                    if (!lists.containsKey(ref)) {
                        fail(def.file(), item, "lists." + name + ": unknown list '" + ref + "'" + known(lists.keySet()));
                    } else {
                        values.addAll(list(ref, visiting));
                    }
                } else {
                    values.add(v);
                }
            }
        }
        visiting.remove(name);
        resolvedLists.put(name, List.copyOf(values));
        return values;
    }

    private RuleMatch macro(String name, Set<String> visiting) {
        RuleMatch done = resolvedMacros.get(name);
        if (done != null) {
            return done;
        }
        Located def = macros.get(name);
        if (!visiting.add(name)) {
            fail(def.file(), def.node(), "macros." + name + ": refers to itself through " + String.join(" -> ", visiting) + " -> " + name);
            return null;
        }
        // Nested macros first, so match() finds them resolved.
        YamlNode refs = def.node().isMapping() ? def.node().get("macros") : null;
        for (String ref : refs == null ? List.<String>of() : names(def.file(), refs, "macros." + name + ".macros")) {
            if (macros.containsKey(ref)) {
                macro(ref, visiting);
            }
        }
        RuleMatch match = match(def.file(), def.node(), "macros." + name + ".");
        visiting.remove(name);
        if (match != null) {
            resolvedMacros.put(name, match);
        }
        return match;
    }

    // ------------------------------------------------------------------ exceptions

    private RuleException exception(String file, YamlNode node, Map<String, String> ruleSources) {
        int before = yaml.problemCount();
        Map<String, YamlNode> e = yaml.mapping(node, EXCEPTION_KEYS, "exception: ");
        if (e == null) {
            return null;
        }
        String rule = required(file, node, e, "rule");
        String where = "exception for rule '" + rule + "': ";
        if (rule != null && !RuleException.ANY_RULE.equals(rule) && !ruleSources.containsKey(rule)) {
            fail(file, e.get("rule"), where + "unknown rule '" + rule + "'; allowed: a rule id or *");
        }
        String principal = required(file, node, e, "principal");
        String application = optionalText(file, e, "application_name");
        Instant from = instant(file, e, "from", where);
        Instant until = instant(file, e, "until", where);
        String reason = required(file, node, e, "reason");
        Instant expires = instant(file, e, "expires", where);
        if (expires == null && !e.containsKey("expires")) {
            fail(file, node, where + "expires is required; allowed: an ISO instant such as 2026-12-31T00:00:00Z");
        }
        if (yaml.problemCount() > before || expires == null) {
            return null;
        }
        RuleException exception;
        try {
            exception = new RuleException(rule, principal, application, from, until, reason, expires,
                    location(file, node));
        } catch (IllegalArgumentException | NullPointerException ex) {
            String field = ex.getMessage() == null ? "" : ex.getMessage().split("[= ]", 2)[0];
            fail(file, e.getOrDefault(field, node), where + ex.getMessage());
            return null;
        }
        if (exception.expiredAt(now)) {
            warnings.add(location(file, node) + ": exception for rule '" + rule + "' and principal '" + principal
                    + "' expired at " + expires + "; ignored (reason was: " + reason + ")");
            return null;
        }
        return exception;
    }

    // ------------------------------------------------------------------ YAML helpers

    /** The root mapping of one file; null (and a problem unless the file is empty) otherwise. */
    private YamlNode parse(String file, String text) {
        YamlNode root = YamlDocument.parse(file, text, yaml);
        if (root != null && !root.isMapping()) {
            fail(file, root, "expected a mapping with " + YamlReader.sorted(TOP_KEYS));
            return null;
        }
        return root;
    }

    /** A list of values, each {@code $name} replaced by that list's values; a single value is a list of one. */
    private List<String> strings(String file, YamlNode node, String where) {
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        List<YamlNode> items = node.isSequence() ? node.items() : List.of(node);
        for (YamlNode item : items) {
            String v = yaml.scalar(item, where);
            if (v == null) {
                continue;
            }
            if (v.startsWith("$")) {
                String ref = v.substring(1);
                List<String> values = resolvedLists.get(ref);
                if (values == null) {
                    if (!lists.containsKey(ref)) {
                        fail(file, item, where + ": unknown list '" + ref + "'" + known(lists.keySet()));
                    }
                } else {
                    out.addAll(values);
                }
            } else if (v.isBlank()) {
                fail(file, item, where + ": values must not be empty");
            } else {
                out.add(v);
            }
        }
        return out;
    }

    /** Macro names: no list expansion, which would mix two namespaces. */
    private List<String> names(String file, YamlNode node, String where) {
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        List<YamlNode> items = node.isSequence() ? node.items() : List.of(node);
        for (YamlNode item : items) {
            String v = yaml.scalar(item, where);
            if (v != null) {
                out.add(v);
            }
        }
        return out;
    }

    private String required(String file, YamlNode parent, Map<String, YamlNode> map, String key) {
        YamlNode node = map.get(key);
        if (node == null) {
            fail(file, parent, key + " is required");
            return null;
        }
        String value = yaml.scalar(node, key);
        if (value != null && value.isBlank()) {
            fail(file, node, key + " must not be empty");
            return null;
        }
        return value == null ? null : value.strip();
    }

    private String optionalText(String file, Map<String, YamlNode> map, String key) {
        YamlNode node = map.get(key);
        return node == null || node.isNull() ? null : yaml.scalar(node, key);
    }

    private String regex(String file, YamlNode node, String where) {
        if (node == null) {
            return null;
        }
        String value = yaml.scalar(node, where);
        if (value == null) {
            return null;
        }
        try {
            Pattern.compile(value);
            return value;
        } catch (PatternSyntaxException e) {
            fail(file, node, where + " is not a valid regular expression: " + e.getDescription() + " near index "
                    + e.getIndex());
            return null;
        }
    }

    private <E extends Enum<E>> E enumValue(String file, Map<String, YamlNode> map, String key, Class<E> type,
                                            E fallback, String where) {
        YamlNode node = map.get(key);
        if (node == null) {
            return fallback;
        }
        String value = yaml.scalar(node, where + key);
        if (value == null) {
            return null;
        }
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            fail(file, node, where + key + "=" + value + " is invalid; allowed: " + Arrays.stream(type.getEnumConstants())
                    .map(c -> c.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
            return null;
        }
    }

    private Response responseValue(String file, Map<String, YamlNode> map, String where) {
        YamlNode node = map.get("response");
        if (node == null) {
            return null;
        }
        String value = yaml.scalar(node, where + "response");
        if (value == null) {
            return null;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "alert", "alert_only" -> Response.ALERT_ONLY;
            case "revoke" -> Response.REVOKE;
            default -> {
                fail(file, node, where + "response=" + value + " is invalid; allowed: alert, revoke");
                yield null;
            }
        };
    }

    private Boolean booleanValue(String file, Map<String, YamlNode> map, String key, String where) {
        return parsed(file, map, key, null, where, "true, false", v -> switch (v) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException(v);
        });
    }

    private Long longValue(String file, Map<String, YamlNode> map, String key, Long fallback, String where) {
        return parsed(file, map, key, fallback, where, "an integer", v -> Long.parseLong(v.replace("_", "")));
    }

    private Duration duration(String file, Map<String, YamlNode> map, String key, Duration fallback, String where) {
        return parsed(file, map, key, fallback, where, "a duration such as 500ms, 1s, 2m, 1h or PT1S",
                RulesLoader::parseDuration);
    }

    private Instant instant(String file, Map<String, YamlNode> map, String key, String where) {
        return parsed(file, map, key, null, where, "an ISO instant such as 2026-12-31T00:00:00Z", Instant::parse);
    }

    /**
     * The scalar under {@code key} parsed, {@code fallback} when absent, or null after reporting
     * the file, line and allowed values when it does not parse.
     */
    private <T> T parsed(String file, Map<String, YamlNode> map, String key, T fallback, String where, String allowed,
                         java.util.function.Function<String, T> parser) {
        YamlNode node = map.get(key);
        return node == null ? fallback : yaml.parsed(node, where + key, allowed, parser);
    }

    /** {@code 500ms}, {@code 1s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT1S}). */
    static Duration parseDuration(String value) {
        if (value.toUpperCase(Locale.ROOT).startsWith("P")) {
            return Duration.parse(value);
        }
        java.util.regex.Matcher m = DURATION.matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException(value);
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
    }

    private static String known(Set<String> names) {
        return names.isEmpty() ? " (none defined)" : " (defined: " + String.join(", ", new TreeSet<>(names)) + ")";
    }

    private static String location(String file, YamlNode node) {
        return node.location();
    }

    private void fail(String file, YamlNode node, String reason) {
        yaml.fail(file, node, reason);
    }
}
