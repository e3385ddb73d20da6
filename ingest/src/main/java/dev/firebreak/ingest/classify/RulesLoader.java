package dev.firebreak.ingest.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.firebreak.ingest.classify.ActionClassifier.ActionKind;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import net.sf.jsqlparser.statement.alter.AlterOperation;

/**
 * Reads and validates a rules file (format: see the bundled {@code actions.yaml}) and compiles it.
 * Validation collects every problem before failing, each naming the file, the rule and the reason:
 * a missing id, an unknown kind or match key, a bad regex, a duplicate id, a misspelt statement
 * type.
 */
final class RulesLoader {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> TOP_KEYS = Set.of("version", "tools", "shell", "rules");
    private static final Set<String> RULE_KEYS = Set.of("id", "description", "kind", "match", "category",
            "destructive", "tags");
    private static final Map<ActionKind, Set<String>> MATCH_KEYS = Map.of(
            ActionKind.SQL, Set.of("statement", "object", "where", "alter", "unparsed"),
            ActionKind.SHELL, Set.of("command", "words", "args", "flags", "all_words", "sql_from"),
            ActionKind.HTTP, Set.of("methods", "url", "path", "body", "graphql", "graphql_mutation"));
    private static final Set<String> WRAPPER_KEYS = Set.of("command", "subcommand", "options_with_value",
            "skip_positional", "until", "script");
    private static final Set<String> HTTP_CLIENT_SYNTAXES = Set.of("curl", "wget", "httpie");
    private static final Set<String> HTTP_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
            "OPTIONS", "TRACE", "CONNECT");
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9.-]*");
    private static final Pattern CATEGORY = Pattern.compile("[a-z0-9_]+(\\.[a-z0-9_]+)*");

    private final String source;
    private final List<String> problems = new ArrayList<>();
    private String where = "";

    private RulesLoader(String source) {
        this.source = source;
    }

    static CompiledRules load(InputStream in, String source) {
        return new RulesLoader(source).load(in);
    }

    private CompiledRules load(InputStream in) {
        JsonNode root = readYaml(in);
        at("file");
        if (!root.isObject()) {
            fail("expected a mapping with version, tools, shell and rules");
            throw new RulesFileException(problems);
        }
        unknownKeys(root, TOP_KEYS);
        if (root.path("version").asInt(-1) != 1) {
            fail("version must be 1");
        }
        ToolMap tools = tools(root.path("tools"));
        ShellSyntax syntax = shellSyntax(root.path("shell"));
        CompiledRules rules = rules(root.path("rules"), tools, syntax);
        if (!problems.isEmpty()) {
            throw new RulesFileException(problems);
        }
        return rules;
    }

    private JsonNode readYaml(InputStream in) {
        try {
            JsonNode root = YAML.readTree(in);
            return root == null ? YAML.createObjectNode() : root;
        } catch (IOException e) {
            throw new RulesFileException(List.of(source + ": not valid YAML: " + e.getMessage()));
        }
    }

    // ------------------------------------------------------------------ tools and shell sections

    private ToolMap tools(JsonNode node) {
        at("tools");
        Map<String, ActionKind> kinds = new HashMap<>();
        if (!node.isObject()) {
            fail("expected a mapping from kind (sql, shell, http) to tool names");
            return new ToolMap(kinds);
        }
        node.fields().forEachRemaining(e -> {
            ActionKind kind = kind(e.getKey());
            for (String tool : strings(e.getValue(), e.getKey())) {
                ActionKind before = kinds.put(tool.toLowerCase(Locale.ROOT), kind);
                if (before != null && kind != null && before != kind) {
                    fail("tool '" + tool + "' is mapped to both " + before + " and " + kind);
                }
            }
        });
        return new ToolMap(kinds);
    }

    private ShellSyntax shellSyntax(JsonNode node) {
        at("shell");
        unknownKeys(node, Set.of("wrappers", "subshells", "http_clients"));
        List<ShellSyntax.Wrapper> wrappers = new ArrayList<>();
        int n = 0;
        for (JsonNode w : node.path("wrappers")) {
            at("shell.wrappers[" + n++ + "]");
            wrappers.add(wrapper(w));
        }
        at("shell.http_clients");
        Map<String, String> clients = new HashMap<>();
        node.path("http_clients").fields().forEachRemaining(e -> {
            if (!HTTP_CLIENT_SYNTAXES.contains(e.getValue().asText())) {
                fail("'" + e.getKey() + "' has syntax '" + e.getValue().asText() + "'; known: " + HTTP_CLIENT_SYNTAXES);
            }
            clients.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue().asText());
        });
        at("shell.subshells");
        Set<String> subshells = lower(strings(node.path("subshells"), "subshells"));
        return new ShellSyntax(List.copyOf(wrappers), Set.copyOf(subshells), Map.copyOf(clients));
    }

    private ShellSyntax.Wrapper wrapper(JsonNode w) {
        unknownKeys(w, WRAPPER_KEYS);
        Set<String> commands = lower(strings(w.path("command"), "command"));
        if (commands.isEmpty()) {
            fail("a wrapper needs command");
        }
        int skip = w.path("skip_positional").asInt(0);
        if (skip < 0) {
            fail("skip_positional must not be negative");
        }
        String until = w.hasNonNull("until") ? w.get("until").asText() : null;
        return new ShellSyntax.Wrapper(Set.copyOf(commands), strings(w.path("subcommand"), "subcommand"),
                Set.copyOf(strings(w.path("options_with_value"), "options_with_value")), skip, until,
                w.path("script").asBoolean(false));
    }

    // ------------------------------------------------------------------ rules

    private CompiledRules rules(JsonNode node, ToolMap tools, ShellSyntax syntax) {
        List<SqlRule> sql = new ArrayList<>();
        List<ShellRule> shell = new ArrayList<>();
        List<HttpRule> http = new ArrayList<>();
        Map<String, Integer> order = new LinkedHashMap<>();
        at("rules");
        if (!node.isArray() || node.isEmpty()) {
            fail("expected a non-empty list of rules");
        }
        int index = 0;
        for (JsonNode r : node) {
            index++;
            RuleInfo info = ruleInfo(r, index, order);
            if (info == null) {
                continue;
            }
            JsonNode match = r.path("match");
            switch (info.kind()) {
                case SQL -> sql.add(sqlRule(info, match));
                case SHELL -> shell.add(shellRule(info, match));
                case HTTP -> http.add(httpRule(info, match));
                default -> throw new IllegalStateException("kind() returns only sql, shell or http");
            }
        }
        return new CompiledRules(source, tools, syntax, sql, shell, http, order);
    }

    /** The common part of a rule, or null when it is too broken to compile its match. */
    private RuleInfo ruleInfo(JsonNode r, int index, Map<String, Integer> order) {
        String id = r.path("id").asText("").strip();
        at(id.isEmpty() ? "rule #" + index + " (no id)" : "rule '" + id + "'");
        if (!r.isObject()) {
            fail("expected a mapping");
            return null;
        }
        unknownKeys(r, RULE_KEYS);
        if (id.isEmpty()) {
            fail("missing id");
        } else if (!ID.matcher(id).matches()) {
            fail("id must be lower case letters, digits, '.' and '-'");
        } else if (order.putIfAbsent(id, index) != null) {
            fail("duplicate id (first defined as rule #" + order.get(id) + ")");
        }
        String kindName = r.path("kind").asText("");
        ActionKind kind = null;
        if (kindName.isBlank()) {
            fail("missing kind (sql, shell or http)");
        } else {
            kind = kind(kindName);
        }
        String category = r.path("category").asText("");
        if (!CATEGORY.matcher(category).matches()) {
            fail("category must be dotted lower case, e.g. sql.drop_table (got '" + category + "')");
        }
        if (!r.path("destructive").isBoolean()) {
            fail("destructive must be true or false");
        }
        if (r.path("description").asText("").isBlank()) {
            fail("missing description");
        }
        if (!r.path("match").isObject() || r.path("match").isEmpty()) {
            fail("match must be a non-empty mapping");
            return null;
        }
        if (kind == null) {
            return null;
        }
        unknownKeys(r.path("match"), MATCH_KEYS.get(kind), "match.");
        return new RuleInfo(id, r.path("description").asText(), kind, category,
                r.path("destructive").asBoolean(), strings(r.path("tags"), "tags"), index);
    }

    private SqlRule sqlRule(RuleInfo info, JsonNode m) {
        Set<String> statements = new LinkedHashSet<>(lower(strings(m.path("statement"), "match.statement")));
        for (String s : statements) {
            if (!SqlFacts.KNOWN_STATEMENTS.contains(s)) {
                fail("unknown statement type '" + s + "' in match.statement; known: " + SqlFacts.KNOWN_STATEMENTS);
            }
        }
        Set<String> objects = upper(strings(m.path("object"), "match.object"));
        Set<SqlFacts.Where> whereStates = EnumSet.noneOf(SqlFacts.Where.class);
        for (String w : strings(m.path("where"), "match.where")) {
            switch (w.toLowerCase(Locale.ROOT)) {
                case "none" -> whereStates.add(SqlFacts.Where.NONE);
                case "trivial" -> whereStates.add(SqlFacts.Where.TRIVIAL);
                case "filtered" -> whereStates.add(SqlFacts.Where.FILTERED);
                default -> fail("match.where '" + w + "' is not one of none, trivial, filtered");
            }
        }
        Set<String> alter = upper(strings(m.path("alter"), "match.alter"));
        for (String op : alter) {
            if (!knownAlterOperation(op)) {
                fail("unknown ALTER operation '" + op + "' in match.alter");
            }
        }
        Pattern unparsed = regex(m, "unparsed", 0);
        if (unparsed != null && m.size() > 1) {
            fail("match.unparsed applies to statements the parser cannot read and cannot be combined with other conditions");
        }
        return new SqlRule(info, Set.copyOf(statements), Set.copyOf(objects), Set.copyOf(whereStates),
                Set.copyOf(alter), unparsed);
    }

    private static boolean knownAlterOperation(String op) {
        if (Set.of("DROP_COLUMN", "DROP_CONSTRAINT", "DROP_INDEX").contains(op)) {
            return true;
        }
        try {
            AlterOperation.valueOf(op);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private ShellRule shellRule(RuleInfo info, JsonNode m) {
        List<Set<String>> flags = new ArrayList<>();
        for (JsonNode group : m.path("flags")) {
            List<String> alternatives = strings(group, "match.flags");
            if (alternatives.isEmpty() || alternatives.stream().anyMatch(f -> !f.startsWith("-"))) {
                fail("match.flags groups must list options starting with '-'");
            }
            flags.add(Set.copyOf(alternatives));
        }
        if (m.has("flags") && !m.get("flags").isArray()) {
            fail("match.flags must be a list of groups, e.g. [[-r, --recursive], [-f, --force]]");
        }
        return new ShellRule(info, regex(m, "command", Pattern.CASE_INSENSITIVE), regex(m, "words", 0),
                regex(m, "args", 0), List.copyOf(flags), regex(m, "all_words", 0), sqlSource(m.path("sql_from")));
    }

    private ShellRule.SqlSource sqlSource(JsonNode s) {
        if (s.isMissingNode()) {
            return null;
        }
        unknownKeys(s, Set.of("options", "positional", "stdin"), "match.sql_from.");
        ShellRule.SqlSource source = new ShellRule.SqlSource(strings(s.path("options"), "match.sql_from.options"),
                s.path("positional").asInt(0), s.path("stdin").asBoolean(false));
        if (source.options().isEmpty() && source.positional() <= 0 && !source.stdin()) {
            fail("match.sql_from needs options, positional or stdin");
        }
        return source;
    }

    private HttpRule httpRule(RuleInfo info, JsonNode m) {
        Set<String> methods = upper(strings(m.path("methods"), "match.methods"));
        for (String method : methods) {
            if (!HTTP_METHODS.contains(method)) {
                fail("unknown HTTP method '" + method + "' in match.methods");
            }
        }
        Boolean graphql = null;
        if (m.has("graphql")) {
            if (!m.get("graphql").isBoolean()) {
                fail("match.graphql must be true or false");
            }
            graphql = m.get("graphql").asBoolean();
        }
        return new HttpRule(info, Set.copyOf(methods), regex(m, "url", 0), regex(m, "path", 0), regex(m, "body", 0),
                graphql, regex(m, "graphql_mutation", 0));
    }

    // ------------------------------------------------------------------ helpers

    private ActionKind kind(String kind) {
        return switch (kind.toLowerCase(Locale.ROOT)) {
            case "sql" -> ActionKind.SQL;
            case "shell" -> ActionKind.SHELL;
            case "http" -> ActionKind.HTTP;
            default -> {
                fail("unknown kind '" + kind + "' (expected sql, shell or http)");
                yield null;
            }
        };
    }

    private Pattern regex(JsonNode match, String key, int flags) {
        JsonNode node = match.get(key);
        if (node == null) {
            return null;
        }
        if (!node.isTextual() || node.asText().isEmpty()) {
            fail("match." + key + " must be a non-empty regular expression");
            return null;
        }
        try {
            return Pattern.compile(node.asText(), flags);
        } catch (PatternSyntaxException e) {
            fail("bad regex in match." + key + ": " + e.getDescription() + " near index " + e.getIndex()
                    + " of '" + node.asText() + "'");
            return null;
        }
    }

    /** A list of strings; a single scalar counts as a one-element list. */
    private List<String> strings(JsonNode node, String field) {
        List<String> out = new ArrayList<>();
        if (node == null || node.isMissingNode() || node.isNull()) {
            return out;
        }
        if (node.isValueNode()) {
            out.add(node.asText());
        } else if (node.isArray()) {
            node.forEach(n -> {
                if (n.isValueNode()) {
                    out.add(n.asText());
                } else {
                    fail(field + " must list plain values");
                }
            });
        } else {
            fail(field + " must be a list");
        }
        return out;
    }

    private static Set<String> lower(List<String> values) {
        Set<String> out = new HashSet<>();
        values.forEach(v -> out.add(v.toLowerCase(Locale.ROOT)));
        return out;
    }

    private static Set<String> upper(List<String> values) {
        Set<String> out = new HashSet<>();
        values.forEach(v -> out.add(v.toUpperCase(Locale.ROOT)));
        return out;
    }

    private void unknownKeys(JsonNode node, Set<String> allowed) {
        unknownKeys(node, allowed, "");
    }

    private void unknownKeys(JsonNode node, Set<String> allowed, String prefix) {
        node.fieldNames().forEachRemaining(k -> {
            if (!allowed.contains(k)) {
                fail("unknown key '" + prefix + k + "' (allowed: " + String.join(", ", new TreeSet<>(allowed)) + ")");
            }
        });
    }

    private void at(String location) {
        where = location;
    }

    private void fail(String reason) {
        problems.add(source + ": " + where + ": " + reason);
    }
}
