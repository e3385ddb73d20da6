package dev.firebreak.rules.yaml;

import dev.firebreak.rules.RulesFileException;
import dev.firebreak.rules.RulesFileException.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads values out of {@link YamlNode}s and collects every problem instead of stopping at the
 * first, each with its file and line, so that one run names everything an operator must fix. The
 * loaders of both rule languages (detection and classification) read through one of these.
 *
 * <p>How a problem reads is the loader's choice ({@link Renderer}); by default
 * {@code file:line: reason}. Not thread-safe: one reader per load.
 */
public final class YamlReader {

    /** Turns a problem's position and reason into the line reported to the operator. */
    @FunctionalInterface
    public interface Renderer {
        /** @param line 1-based, or 0 when the problem concerns the file as a whole */
        String render(String source, int line, String reason);
    }

    /** {@code file:line: reason}, or {@code file: reason} without a line. */
    public static final Renderer FILE_LINE = (source, line, reason) ->
            source + (line > 0 ? ":" + line : "") + ": " + reason;

    private final Renderer renderer;
    private final List<Problem> problems = new ArrayList<>();

    public YamlReader() {
        this(FILE_LINE);
    }

    public YamlReader(Renderer renderer) {
        this.renderer = renderer;
    }

    // ------------------------------------------------------------------ problems

    /** Records a problem at {@code node}, or at the file when {@code node} is null. */
    public void fail(String source, YamlNode node, String reason) {
        if (node == null) {
            fail(source, reason);
        } else {
            fail(node.source(), node.line(), reason);
        }
    }

    /** Records a problem at {@code node}. */
    public void fail(YamlNode node, String reason) {
        fail(node.source(), node.line(), reason);
    }

    /** Records a problem with the whole file. */
    public void fail(String source, String reason) {
        fail(source, 0, reason);
    }

    /** Records a problem at a line of a file (0: the whole file). */
    public void fail(String source, int line, String reason) {
        problems.add(new Problem(source, line, renderer.render(source, line, reason)));
    }

    /** How many problems so far; compare before and after reading a part to know whether it failed. */
    public int problemCount() {
        return problems.size();
    }

    public boolean hasProblems() {
        return !problems.isEmpty();
    }

    /** The problems so far, in the order found. */
    public List<Problem> problems() {
        return List.copyOf(problems);
    }

    /**
     * Fails when anything was found.
     *
     * @param language names the rules in the message, e.g. {@code detection}
     * @throws RulesFileException listing every problem
     */
    public void throwIfProblems(String language) {
        if (!problems.isEmpty()) {
            throw new RulesFileException(language, problems);
        }
    }

    // ------------------------------------------------------------------ shapes

    /**
     * The entries of a mapping by key. An unknown or repeated key is a problem at the key's line, so
     * a misspelt key never passes as a silently different rule. Null (and a problem) if {@code node}
     * is not a mapping.
     *
     * @param where     prefixes each message (e.g. {@code rule 'x': })
     * @param keyPrefix prefixes the key as named in messages (e.g. {@code match.})
     */
    public Map<String, YamlNode> mapping(YamlNode node, Set<String> allowed, String where, String keyPrefix) {
        if (node == null || !node.isMapping()) {
            fail(null, node, where + "expected a mapping with keys " + sorted(allowed));
            return null;
        }
        Map<String, YamlNode> out = new LinkedHashMap<>();
        for (YamlNode.Entry e : node.entries()) {
            String key = scalar(e.key(), where + "key");
            if (key == null) {
                continue;
            }
            if (!allowed.contains(key)) {
                fail(e.key(), where + "unknown key '" + keyPrefix + key + "'; allowed: " + sorted(allowed));
            } else if (out.put(key, e.value()) != null) {
                fail(e.key(), where + "key '" + keyPrefix + key + "' is repeated");
            }
        }
        return out;
    }

    /** {@link #mapping(YamlNode, Set, String, String)} with keys named as they are. */
    public Map<String, YamlNode> mapping(YamlNode node, Set<String> allowed, String where) {
        return mapping(node, allowed, where, "");
    }

    /** Reports each key of a mapping given more than once (for mappings whose keys are free names). */
    public void repeatedKeys(YamlNode mapping, String where) {
        Set<String> seen = new java.util.HashSet<>();
        for (YamlNode.Entry e : mapping.entries()) {
            String name = e.name();
            if (name != null && !seen.add(name)) {
                fail(e.key(), where + "key '" + name + "' is repeated");
            }
        }
    }

    /** The items of a sequence; empty when absent or null, and a problem when not a list. */
    public List<YamlNode> sequence(YamlNode node, String where) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isSequence()) {
            fail(node, where + " must be a list");
            return List.of();
        }
        return node.items();
    }

    /** The text of a single value; null and a problem for a list, a mapping or null. */
    public String scalar(YamlNode node, String where) {
        String text = node == null ? null : node.text();
        if (text == null) {
            fail(null, node, where + " must be a single value");
        }
        return text;
    }

    /**
     * Plain values as a list: a single value counts as a list of one, absent or null as none. An
     * item that is itself a list or mapping is a problem.
     */
    public List<String> values(YamlNode node, String where) {
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (node.isMapping()) {
            fail(node, where + " must be a list");
            return out;
        }
        for (YamlNode item : node.isSequence() ? node.items() : List.of(node)) {
            String v = item.text();
            if (v == null) {
                fail(item, where + " must list plain values");
            } else {
                out.add(v);
            }
        }
        return out;
    }

    /**
     * The value parsed by {@code parser}, or null after a problem
     * {@code name=value is invalid; allowed: ...} at the value's line when it does not parse.
     */
    public <T> T parsed(YamlNode node, String name, String allowed, Function<String, T> parser) {
        String value = scalar(node, name);
        if (value == null) {
            return null;
        }
        try {
            return parser.apply(value.trim());
        } catch (RuntimeException e) {
            fail(node, name + "=" + value + " is invalid; allowed: " + allowed);
            return null;
        }
    }

    /** A plain true or false; {@code fallback} when absent; null and {@code message} as a problem otherwise. */
    public Boolean bool(YamlNode node, Boolean fallback, String message) {
        if (node == null) {
            return fallback;
        }
        if (!node.isBoolean()) {
            fail(node, message);
            return null;
        }
        return Boolean.parseBoolean(node.text().toLowerCase(java.util.Locale.ROOT));
    }

    /** A whole number; {@code fallback} when absent or null; null and {@code message} as a problem otherwise. */
    public Integer integer(YamlNode node, Integer fallback, String message) {
        if (node == null || node.isNull()) {
            return fallback;
        }
        String text = node.text();
        try {
            return Integer.valueOf(text == null ? "" : text.strip().replace("_", ""));
        } catch (NumberFormatException e) {
            fail(node, message);
            return null;
        }
    }

    /**
     * A regular expression compiled with {@code flags}; null when absent, or null and a problem
     * {@code <name>: <description> near index <i>} when it does not compile.
     */
    public Pattern regex(YamlNode node, String name, int flags, Function<PatternSyntaxException, String> message) {
        if (node == null) {
            return null;
        }
        String value = scalar(node, name);
        if (value == null) {
            return null;
        }
        try {
            return Pattern.compile(value, flags);
        } catch (PatternSyntaxException e) {
            fail(node, message.apply(e));
            return null;
        }
    }

    /** The names, sorted and comma separated, as messages list allowed values. */
    public static String sorted(Set<String> names) {
        return String.join(", ", new TreeSet<>(names));
    }
}
