package dev.firebreak.rules.yaml;

import java.io.StringReader;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Parses the text of one rule file into {@link YamlNode}s. Only the node tree is composed (no Java
 * objects are built from tags), aliases are capped, and a syntax error becomes a problem with its
 * line instead of an exception, so the other files of a set are still checked.
 */
public final class YamlDocument {
    /** Generous for hand-written rules; bounds an alias bomb. */
    private static final int MAX_ALIASES = 50;
    /** Far beyond any rule file; bounds memory on a wrong path or a hostile file. */
    private static final int MAX_CHARS = 8 * 1024 * 1024;

    private YamlDocument() {
    }

    /**
     * The root node of {@code text}, or null when the text is empty (it defines nothing) or does not
     * parse (then the problem is in {@code reader}).
     *
     * @param source names the text in problems, e.g. a path or {@code classpath:/...}
     */
    public static YamlNode parse(String source, String text, YamlReader reader) {
        if (text.length() > MAX_CHARS) {
            reader.fail(source, "not valid YAML: larger than " + MAX_CHARS + " characters");
            return null;
        }
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(MAX_ALIASES);
        options.setCodePointLimit(MAX_CHARS);
        try {
            Node root = new Yaml(new SafeConstructor(options)).compose(new StringReader(text));
            return root == null ? null : new YamlNode(source, root);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            reader.fail(source, line, "not valid YAML: " + e.getProblem());
            return null;
        } catch (YAMLException e) {
            reader.fail(source, "not valid YAML: " + e.getMessage());
            return null;
        }
    }
}
