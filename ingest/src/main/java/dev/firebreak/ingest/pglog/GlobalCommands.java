package dev.firebreak.ingest.pglog;

import dev.firebreak.ingest.sql.SqlLexer;
import dev.firebreak.ingest.sql.SqlLexer.Kind;
import dev.firebreak.ingest.sql.SqlLexer.Token;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the commands event triggers cannot see in SQL text: {@code CREATE/ALTER/DROP} of
 * databases, roles (also spelt {@code USER}, {@code GROUP}) and tablespaces, and role membership
 * ({@code GRANT role TO role}, {@code REVOKE role FROM role}), including those written literally
 * in a PL/pgSQL {@code DO} block. Commands built at run time ({@code EXECUTE format(..)}, string
 * concatenation) are not in the text and are not found; {@code EXECUTE} of one constant literal is.
 */
final class GlobalCommands {
    /** Objects kept per command; the rest are counted in the {@code objects_omitted} attribute. */
    static final int MAX_OBJECTS = 64;
    // PostgreSQL truncates identifiers to 63 bytes, so a longer name is not a name it keeps.
    private static final int MAX_NAME_CHARS = 63;
    // DO blocks and EXECUTE literals nest; each level lexes its text again.
    private static final int MAX_DEPTH = 4;
    private static final Set<String> PLPGSQL_STATEMENT_STARTERS = Set.of("begin", "then", "else", "loop");

    private GlobalCommands() {
    }

    /**
     * The global commands in {@code sql}, in order. The log does not say how the session read
     * backslashes in {@code '..'} (standard_conforming_strings), and the two readings can split a
     * text differently ({@code SELECT 'a\''; DROP DATABASE d; SELECT ''} drops d only when
     * backslashes escape), so commands of the escaping reading that the standard one lacks follow.
     */
    static List<GlobalCommand> in(String sql) {
        List<GlobalCommand> found = new ArrayList<>(in(sql, 0, false));
        if (sql.indexOf('\\') >= 0) {
            List<GlobalCommand> standard = List.copyOf(found);
            in(sql, 0, true).stream().filter(c -> !standard.contains(c)).forEach(found::add);
        }
        return found;
    }

    private static List<GlobalCommand> in(String sql, int depth, boolean backslashEscapes) {
        List<GlobalCommand> found = new ArrayList<>();
        for (List<Token> command : SqlSplitter.split(sql, backslashEscapes)) {
            if (command.get(0).isWord("do")) {
                found.addAll(doBlock(command, depth, backslashEscapes));
            } else {
                parse(command).ifPresent(found::add);
            }
        }
        return found;
    }

    private static Optional<GlobalCommand> parse(List<Token> command) {
        Token first = command.get(0);
        if (first.isWord("create") || first.isWord("alter") || first.isWord("drop")) {
            return objectCommand(command);
        }
        if (first.isWord("grant") || first.isWord("revoke")) {
            return membership(command);
        }
        return Optional.empty();
    }

    private static Optional<GlobalCommand> objectCommand(List<Token> c) {
        String verb = upper(c.get(0));
        String keyword = c.size() > 1 && c.get(1).kind() == Kind.WORD ? upper(c.get(1)) : "";
        String type = switch (keyword) {
            case "DATABASE" -> "database";
            case "TABLESPACE" -> "tablespace";
            case "ROLE", "GROUP" -> "role";
            // Event triggers report user mappings (ddl_command_end, sql_drop): reporting them here would count them twice.
            case "USER" -> isUserMapping(c) ? null : "role";
            default -> null;
        };
        if (type == null) {
            return Optional.empty();
        }
        int i = skipIfExists(c, 2);
        Names names = new Names();
        if (verb.equals("DROP") && type.equals("role")) {
            names.addList(c, i);
        } else {
            names.addOne(c, i);
        }
        if (keyword.equals("GROUP") && verb.equals("ALTER")) {
            addGroupMembers(c, i + 1, names);
        }
        String tag = verb + " " + (type.equals("role") ? "ROLE" : keyword);
        return Optional.of(new GlobalCommand(tag, type, names.kept(), verb.equals("DROP"), names.attributes()));
    }

    // CREATE USER mapping (no FOR) creates a role named "mapping".
    private static boolean isUserMapping(List<Token> c) {
        return c.size() > 3 && c.get(2).isWord("mapping") && (c.get(3).isWord("for") || c.get(3).isWord("if"));
    }

    // ALTER GROUP g ADD USER a, b is membership under the ALTER ROLE tag: the members are objects too.
    private static void addGroupMembers(List<Token> c, int i, Names names) {
        if (c.size() > i + 1 && (c.get(i).isWord("add") || c.get(i).isWord("drop")) && c.get(i + 1).isWord("user")) {
            names.addList(c, i + 2);
        }
    }

    private static Optional<GlobalCommand> membership(List<Token> c) {
        boolean grant = c.get(0).isWord("grant");
        int pivot = indexOfWord(c, grant ? "to" : "from");
        // GRANT/REVOKE of privileges always names objects with ON, and event triggers report those.
        if (pivot < 0 || indexOfWord(c.subList(0, pivot), "on") >= 0) {
            return Optional.empty();
        }
        Names granted = new Names();
        granted.addList(c, revokeOptionEnd(c));
        Names grantees = new Names();
        grantees.addList(c, pivot + 1);
        List<String> objects = new ArrayList<>(granted.kept());
        objects.addAll(grantees.kept());
        Map<String, String> attributes = new HashMap<>();
        attributes.put("granted_roles", String.join(",", granted.kept()));
        attributes.put("grantees", String.join(",", grantees.kept()));
        grantedBy(c).ifPresent(by -> attributes.put("granted_by", by));
        return Optional.of(new GlobalCommand(grant ? "GRANT ROLE" : "REVOKE ROLE", "role", objects, false, attributes));
    }

    // REVOKE { ADMIN | INHERIT | SET } OPTION FOR role FROM ...
    private static int revokeOptionEnd(List<Token> c) {
        return c.size() > 3 && c.get(2).isWord("option") && c.get(3).isWord("for") ? 4 : 1;
    }

    private static Optional<String> grantedBy(List<Token> c) {
        int granted = indexOfWord(c, "granted");
        if (granted >= 0 && c.size() > granted + 2 && c.get(granted + 1).isWord("by") && c.get(granted + 2).isName()) {
            return Optional.of(bounded(c.get(granted + 2).name()));
        }
        return Optional.empty();
    }

    private static List<GlobalCommand> doBlock(List<Token> c, int depth, boolean backslashEscapes) {
        String language = "plpgsql";
        Token body = null;
        for (int i = 1; i < c.size(); i++) {
            Token t = c.get(i);
            if (t.isWord("language") && i + 1 < c.size()) {
                language = c.get(++i).value().toLowerCase(Locale.ROOT);
            } else if (t.kind() == Kind.STRING || t.kind() == Kind.DOLLAR_STRING) {
                body = t;
            }
        }
        if (body == null || !language.equals("plpgsql") || depth >= MAX_DEPTH) {
            return List.of();
        }
        return plpgsql(body.value(), depth + 1, backslashEscapes).stream().map(g -> g.withAttribute("via", "DO")).toList();
    }

    /** Commands written as statements of a PL/pgSQL body, and those of {@code EXECUTE '<constant>'}. */
    private static List<GlobalCommand> plpgsql(String body, int depth, boolean backslashEscapes) {
        List<Token> t = SqlLexer.tokens(body, backslashEscapes);
        List<GlobalCommand> found = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            if (!startsStatement(t, i)) {
                continue;
            }
            List<Token> statement = t.subList(i, statementEnd(t, i));
            if (statement.get(0).isWord("execute")) {
                constantText(statement).ifPresent(sql -> found.addAll(in(sql, depth, backslashEscapes)));
            } else {
                parse(statement).ifPresent(found::add);
            }
        }
        return found;
    }

    private static boolean startsStatement(List<Token> t, int i) {
        if (t.get(i).kind() == Kind.SEMICOLON) {
            return false; // an empty statement, or "END LOOP;" seen from its LOOP
        }
        if (i == 0) {
            return true;
        }
        Token before = t.get(i - 1);
        return before.kind() == Kind.SEMICOLON
                || before.kind() == Kind.WORD && PLPGSQL_STATEMENT_STARTERS.contains(before.name());
    }

    private static int statementEnd(List<Token> t, int start) {
        for (int i = start; i < t.size(); i++) {
            if (t.get(i).kind() == Kind.SEMICOLON) {
                return i;
            }
        }
        return t.size();
    }

    // EXECUTE 'sql' [INTO ..] [USING ..]: the text is fixed; anything else is built at run time.
    private static Optional<String> constantText(List<Token> statement) {
        if (statement.size() < 2) {
            return Optional.empty();
        }
        Token literal = statement.get(1);
        boolean isLiteral = literal.kind() == Kind.STRING || literal.kind() == Kind.DOLLAR_STRING;
        boolean alone = statement.size() == 2 || statement.get(2).isWord("into") || statement.get(2).isWord("using");
        return isLiteral && alone ? Optional.of(literal.value()) : Optional.empty();
    }

    private static int skipIfExists(List<Token> c, int i) {
        if (c.size() > i + 1 && c.get(i).isWord("if") && c.get(i + 1).isWord("exists")) {
            return i + 2;
        }
        if (c.size() > i + 2 && c.get(i).isWord("if") && c.get(i + 1).isWord("not") && c.get(i + 2).isWord("exists")) {
            return i + 3;
        }
        return i;
    }

    private static int indexOfWord(List<Token> c, String word) {
        int depth = 0;
        for (int i = 0; i < c.size(); i++) {
            Token t = c.get(i);
            depth += t.kind() == Kind.OPEN_PAREN ? 1 : t.kind() == Kind.CLOSE_PAREN ? -1 : 0;
            if (depth == 0 && t.isWord(word)) {
                return i;
            }
        }
        return -1;
    }

    private static String upper(Token t) {
        return t.text().toUpperCase(Locale.ROOT);
    }

    private static String bounded(String name) {
        return name.length() > MAX_NAME_CHARS ? name.substring(0, MAX_NAME_CHARS) : name;
    }

    /** Names of a comma-separated list, at most {@link #MAX_OBJECTS} kept. */
    private static final class Names {
        private final List<String> kept = new ArrayList<>();
        private int omitted;

        void addOne(List<Token> c, int i) {
            if (i < c.size() && c.get(i).isName()) {
                add(c.get(i).name());
            }
        }

        void addList(List<Token> c, int i) {
            while (i < c.size() && c.get(i).isName()) {
                add(c.get(i).name());
                if (i + 1 >= c.size() || c.get(i + 1).kind() != Kind.COMMA) {
                    return;
                }
                i += 2;
            }
        }

        private void add(String name) {
            if (kept.size() < MAX_OBJECTS) {
                kept.add(bounded(name));
            } else {
                omitted++;
            }
        }

        List<String> kept() {
            return kept;
        }

        Map<String, String> attributes() {
            return omitted == 0 ? Map.of() : Map.of("objects_omitted", Integer.toString(omitted));
        }
    }
}
