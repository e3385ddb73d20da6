package dev.firebreak.ingest.classify;

import dev.firebreak.ingest.classify.ActionClassifier.ActionKind;
import dev.firebreak.rules.RulesFileException;
import dev.firebreak.rules.yaml.YamlDocument;
import dev.firebreak.rules.yaml.YamlNode;
import dev.firebreak.rules.yaml.YamlReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
import java.util.regex.Pattern;
import net.sf.jsqlparser.statement.alter.AlterOperation;

/**
 * Reads and validates a classifier rules file (format: see the bundled {@code actions.yaml}, and
 * {@code rules/schema/classifier-rules.schema.json}) and compiles it. Validation collects every
 * problem before failing, each naming the file, the rule (by id, or by position when it has none),
 * the reason and the line: a missing id, an unknown kind or key, a bad regex, a duplicate id, a
 * misspelt statement type. Reads through the YAML reader the detection rules use.
 */
final class ClassifierRulesLoader {

    /** Far beyond the bundled file (about 30 kB); bounds what a wrong path can make us read. */
    static final int MAX_BYTES = 4 * 1024 * 1024;

    private static final Set<String> TOP_KEYS = Set.of("version", "tools", "shell", "rules");
    private static final Set<String> SHELL_KEYS = Set.of("wrappers", "subshells", "http_clients");
    private static final Set<String> RULE_KEYS = Set.of("id", "description", "kind", "match", "category",
            "destructive", "tags");
    private static final Map<ActionKind, Set<String>> MATCH_KEYS = Map.of(
            ActionKind.SQL, Set.of("statement", "object", "where", "alter", "unparsed"),
            ActionKind.SHELL, Set.of("command", "words", "args", "flags", "all_words", "sql_from"),
            ActionKind.HTTP, Set.of("methods", "url", "path", "body", "graphql", "graphql_mutation"));
    private static final Set<String> WRAPPER_KEYS = Set.of("command", "subcommand", "options_with_value",
            "skip_positional", "until", "script");
    private static final Set<String> SQL_FROM_KEYS = Set.of("options", "positional", "stdin");
    private static final Set<String> HTTP_CLIENT_SYNTAXES = Set.of("curl", "wget", "httpie");
    private static final Set<String> HTTP_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
            "OPTIONS", "TRACE", "CONNECT");
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9.-]*");
    private static final Pattern CATEGORY = Pattern.compile("[a-z0-9_]+(\\.[a-z0-9_]+)*");

    private final String source;
    private final YamlReader yaml;
    // The part being read: every problem names it, e.g. "rule 'rm-rf'" or "shell.wrappers[2]".
    private String where = "file";
    private YamlNode at;

    private ClassifierRulesLoader(String source) {
        this.source = source;
        // "file: part: reason (line n)": the file and part first, as operators and tests read them.
        this.yaml = new YamlReader((file, line, reason) -> file + ": " + (reason.startsWith("not valid YAML")
                ? reason : where + ": " + reason) + (line > 0 ? " (line " + line + ")" : ""));
    }

    /**
     * The compiled rules read from {@code in} (not closed here).
     *
     * @throws RulesFileException   naming the source, rule, reason and line of every problem
     * @throws UncheckedIOException when {@code in} cannot be read
     */
    static CompiledRules load(InputStream in, String source) {
        return new ClassifierRulesLoader(source).load(read(in, source));
    }

    private static String read(InputStream in, String source) {
        try {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new RulesFileException("classifier", List.of(new RulesFileException.Problem(source, 0,
                        source + ": larger than " + MAX_BYTES + " bytes; is this a rules file?")));
            }
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read rules " + source, e);
        }
    }

    private CompiledRules load(String text) {
        YamlNode root = YamlDocument.parse(source, text, yaml);
        yaml.throwIfProblems("classifier");
        if (root == null || !root.isMapping()) {
            at("file", root);
            fail("expected a mapping with version, tools, shell and rules");
            yaml.throwIfProblems("classifier");
        }
        at("file", root);
        yaml.mapping(root, TOP_KEYS, "");
        Integer version = yaml.integer(root.get("version"), -1, "version must be 1");
        if (version != null && version != 1) {
            fail(root.get("version"), "version must be 1");
        }
        ToolMap tools = tools(root.get("tools"));
        ShellSyntax syntax = shellSyntax(root.get("shell"));
        CompiledRules rules = rules(root.get("rules"), tools, syntax);
        yaml.throwIfProblems("classifier");
        return rules;
    }

    // ------------------------------------------------------------------ tools and shell sections

    private ToolMap tools(YamlNode node) {
        at("tools", node);
        Map<String, ActionKind> kinds = new HashMap<>();
        if (node == null || !node.isMapping()) {
            fail("expected a mapping from kind (sql, shell, http) to tool names");
            return new ToolMap(kinds);
        }
        for (YamlNode.Entry e : node.entries()) {
            String name = yaml.scalar(e.key(), "a kind");
            ActionKind kind = name == null ? null : kind(e.key(), name);
            for (String tool : strings(e.value(), name)) {
                if (kind == null) {
                    continue; // already reported
                }
                ActionKind before = kinds.put(tool.toLowerCase(Locale.ROOT), kind);
                if (before != null && before != kind) {
                    fail(e.value(), "tool '" + tool + "' is mapped to both " + before + " and " + kind);
                }
            }
        }
        return new ToolMap(kinds);
    }

    private ShellSyntax shellSyntax(YamlNode node) {
        at("shell", node);
        if (node != null) {
            yaml.mapping(node, SHELL_KEYS, "");
        }
        YamlNode section = node != null && node.isMapping() ? node : null;
        List<ShellSyntax.Wrapper> wrappers = new ArrayList<>();
        int n = 0;
        for (YamlNode w : section == null ? List.<YamlNode>of() : yaml.sequence(section.get("wrappers"), "wrappers")) {
            at("shell.wrappers[" + n++ + "]", w);
            wrappers.add(wrapper(w));
        }
        YamlNode clientsNode = section == null ? null : section.get("http_clients");
        at("shell.http_clients", clientsNode);
        Map<String, String> clients = new HashMap<>();
        if (clientsNode != null && !clientsNode.isMapping()) {
            fail("expected a mapping from program to syntax (" + YamlReader.sorted(HTTP_CLIENT_SYNTAXES) + ")");
        }
        for (YamlNode.Entry e : clientsNode == null ? List.<YamlNode.Entry>of() : clientsNode.entries()) {
            String program = yaml.scalar(e.key(), "a program");
            String syntax = yaml.scalar(e.value(), "'" + program + "'");
            if (program == null || syntax == null) {
                continue;
            }
            if (!HTTP_CLIENT_SYNTAXES.contains(syntax)) {
                fail(e.value(), "'" + program + "' has syntax '" + syntax + "'; known: " + HTTP_CLIENT_SYNTAXES);
            }
            clients.put(program.toLowerCase(Locale.ROOT), syntax);
        }
        YamlNode subshellsNode = section == null ? null : section.get("subshells");
        at("shell.subshells", subshellsNode);
        Set<String> subshells = lower(strings(subshellsNode, "subshells"));
        return new ShellSyntax(List.copyOf(wrappers), Set.copyOf(subshells), Map.copyOf(clients));
    }

    private ShellSyntax.Wrapper wrapper(YamlNode w) {
        Map<String, YamlNode> keys = yaml.mapping(w, WRAPPER_KEYS, "");
        if (keys == null) {
            return new ShellSyntax.Wrapper(Set.of(), List.of(), Set.of(), 0, null, false);
        }
        Set<String> commands = lower(strings(w.get("command"), "command"));
        if (commands.isEmpty()) {
            fail("a wrapper needs command");
        }
        Integer skip = yaml.integer(w.get("skip_positional"), 0, "skip_positional must be a whole number");
        if (skip != null && skip < 0) {
            fail(w.get("skip_positional"), "skip_positional must not be negative");
        }
        YamlNode untilNode = w.get("until");
        String until = untilNode == null || untilNode.isNull() ? null : yaml.scalar(untilNode, "until");
        Boolean script = yaml.bool(w.get("script"), false, "script must be true or false");
        return new ShellSyntax.Wrapper(Set.copyOf(commands), strings(w.get("subcommand"), "subcommand"),
                Set.copyOf(strings(w.get("options_with_value"), "options_with_value")), skip == null ? 0 : skip,
                until, Boolean.TRUE.equals(script));
    }

    // ------------------------------------------------------------------ rules

    private CompiledRules rules(YamlNode node, ToolMap tools, ShellSyntax syntax) {
        List<SqlRule> sql = new ArrayList<>();
        List<ShellRule> shell = new ArrayList<>();
        List<HttpRule> http = new ArrayList<>();
        Map<String, Integer> order = new LinkedHashMap<>();
        at("rules", node);
        if (node == null || !node.isSequence() || node.size() == 0) {
            fail("expected a non-empty list of rules");
        }
        int index = 0;
        for (YamlNode r : node == null ? List.<YamlNode>of() : node.items()) {
            index++;
            RuleInfo info = ruleInfo(r, index, order);
            if (info == null) {
                continue;
            }
            YamlNode match = r.get("match");
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
    private RuleInfo ruleInfo(YamlNode r, int index, Map<String, Integer> order) {
        String id = text(r.get("id")).strip();
        at(id.isEmpty() ? "rule #" + index + " (no id)" : "rule '" + id + "'", r);
        if (!r.isMapping()) {
            fail("expected a mapping");
            return null;
        }
        yaml.mapping(r, RULE_KEYS, "");
        if (id.isEmpty()) {
            fail("missing id");
        } else if (!ID.matcher(id).matches()) {
            fail(r.get("id"), "id must be lower case letters, digits, '.' and '-'");
        } else if (order.putIfAbsent(id, index) != null) {
            fail(r.get("id"), "duplicate id (first defined as rule #" + order.get(id) + ")");
        }
        String kindName = text(r.get("kind"));
        ActionKind kind = null;
        if (kindName.isBlank()) {
            fail("missing kind (sql, shell or http)");
        } else {
            kind = kind(r.get("kind"), kindName);
        }
        String category = text(r.get("category"));
        if (!CATEGORY.matcher(category).matches()) {
            fail(r.has("category") ? r.get("category") : r,
                    "category must be dotted lower case, e.g. sql.drop_table (got '" + category + "')");
        }
        Boolean destructive = yaml.bool(r.get("destructive"), null, "destructive must be true or false");
        if (destructive == null && !r.has("destructive")) {
            fail("destructive must be true or false");
        }
        String description = text(r.get("description"));
        if (description.isBlank()) {
            fail("missing description");
        }
        YamlNode match = r.get("match");
        if (match == null || !match.isMapping() || match.size() == 0) {
            fail(match == null ? r : match, "match must be a non-empty mapping");
            return null;
        }
        if (kind == null) {
            return null;
        }
        yaml.mapping(match, MATCH_KEYS.get(kind), "", "match.");
        return new RuleInfo(id, description, kind, category, Boolean.TRUE.equals(destructive),
                strings(r.get("tags"), "tags"), index);
    }

    private SqlRule sqlRule(RuleInfo info, YamlNode m) {
        Set<String> statements = new LinkedHashSet<>(lower(strings(m.get("statement"), "match.statement")));
        for (String s : statements) {
            if (!SqlFacts.KNOWN_STATEMENTS.contains(s)) {
                fail(m.get("statement"), "unknown statement type '" + s + "' in match.statement; known: "
                        + SqlFacts.KNOWN_STATEMENTS);
            }
        }
        Set<String> objects = upper(strings(m.get("object"), "match.object"));
        Set<SqlFacts.Where> whereStates = EnumSet.noneOf(SqlFacts.Where.class);
        for (String w : strings(m.get("where"), "match.where")) {
            switch (w.toLowerCase(Locale.ROOT)) {
                case "none" -> whereStates.add(SqlFacts.Where.NONE);
                case "trivial" -> whereStates.add(SqlFacts.Where.TRIVIAL);
                case "filtered" -> whereStates.add(SqlFacts.Where.FILTERED);
                default -> fail(m.get("where"), "match.where '" + w + "' is not one of none, trivial, filtered");
            }
        }
        Set<String> alter = upper(strings(m.get("alter"), "match.alter"));
        for (String op : alter) {
            if (!knownAlterOperation(op)) {
                fail(m.get("alter"), "unknown ALTER operation '" + op + "' in match.alter");
            }
        }
        Pattern unparsed = regex(m, "unparsed", 0);
        if (unparsed != null && m.size() > 1) {
            fail(m, "match.unparsed applies to statements the parser cannot read and cannot be combined with other conditions");
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

    private ShellRule shellRule(RuleInfo info, YamlNode m) {
        List<Set<String>> flags = new ArrayList<>();
        YamlNode flagsNode = m.get("flags");
        if (flagsNode != null && !flagsNode.isSequence()) {
            fail(flagsNode, "match.flags must be a list of groups, e.g. [[-r, --recursive], [-f, --force]]");
        }
        for (YamlNode group : flagsNode == null ? List.<YamlNode>of() : flagsNode.items()) {
            List<String> alternatives = strings(group, "match.flags");
            if (alternatives.isEmpty() || alternatives.stream().anyMatch(f -> !f.startsWith("-"))) {
                fail(group, "match.flags groups must list options starting with '-'");
            }
            flags.add(Set.copyOf(alternatives));
        }
        return new ShellRule(info, regex(m, "command", Pattern.CASE_INSENSITIVE), regex(m, "words", 0),
                regex(m, "args", 0), List.copyOf(flags), regex(m, "all_words", 0), sqlSource(m.get("sql_from")));
    }

    private ShellRule.SqlSource sqlSource(YamlNode s) {
        if (s == null) {
            return null;
        }
        if (yaml.mapping(s, SQL_FROM_KEYS, "", "match.sql_from.") == null) {
            return null;
        }
        Integer positional = yaml.integer(s.get("positional"), 0, "match.sql_from.positional must be a whole number");
        Boolean stdin = yaml.bool(s.get("stdin"), false, "match.sql_from.stdin must be true or false");
        ShellRule.SqlSource source = new ShellRule.SqlSource(strings(s.get("options"), "match.sql_from.options"),
                positional == null ? 0 : positional, Boolean.TRUE.equals(stdin));
        if (source.options().isEmpty() && source.positional() <= 0 && !source.stdin()) {
            fail(s, "match.sql_from needs options, positional or stdin");
        }
        return source;
    }

    private HttpRule httpRule(RuleInfo info, YamlNode m) {
        Set<String> methods = upper(strings(m.get("methods"), "match.methods"));
        for (String method : methods) {
            if (!HTTP_METHODS.contains(method)) {
                fail(m.get("methods"), "unknown HTTP method '" + method + "' in match.methods");
            }
        }
        Boolean graphql = yaml.bool(m.get("graphql"), null, "match.graphql must be true or false");
        return new HttpRule(info, Set.copyOf(methods), regex(m, "url", 0), regex(m, "path", 0), regex(m, "body", 0),
                graphql, regex(m, "graphql_mutation", 0));
    }

    // ------------------------------------------------------------------ helpers

    private ActionKind kind(YamlNode node, String kind) {
        return switch (kind.toLowerCase(Locale.ROOT)) {
            case "sql" -> ActionKind.SQL;
            case "shell" -> ActionKind.SHELL;
            case "http" -> ActionKind.HTTP;
            default -> {
                fail(node, "unknown kind '" + kind + "' (expected sql, shell or http)");
                yield null;
            }
        };
    }

    private Pattern regex(YamlNode match, String key, int flags) {
        YamlNode node = match.get(key);
        if (node == null) {
            return null;
        }
        String value = node.text();
        if (value == null || value.isEmpty()) {
            fail(node, "match." + key + " must be a non-empty regular expression");
            return null;
        }
        return yaml.regex(node, "match." + key, flags, e -> "bad regex in match." + key + ": " + e.getDescription()
                + " near index " + e.getIndex() + " of '" + value + "'");
    }

    /** A list of strings; a single value counts as a one-element list. */
    private List<String> strings(YamlNode node, String field) {
        return yaml.values(node, field);
    }

    /** The text of a single value; empty for anything else (the caller reports what is missing). */
    private static String text(YamlNode node) {
        String text = node == null ? null : node.text();
        return text == null ? "" : text;
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

    private void at(String part, YamlNode node) {
        where = part;
        at = node;
    }

    private void fail(String reason) {
        fail(at, reason);
    }

    private void fail(YamlNode node, String reason) {
        yaml.fail(source, node, reason);
    }
}
