package dev.firebreak.rules.yaml;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One node of a rule file, with the file it came from and its position, so that every problem a
 * loader finds can name {@code file:line}. A read-only view over SnakeYAML's node tree: scalars stay
 * strings (a loader decides what a value means), nothing is constructed into Java objects.
 */
public final class YamlNode {
    private final String source;
    private final Node node;

    YamlNode(String source, Node node) {
        this.source = Objects.requireNonNull(source, "source");
        this.node = Objects.requireNonNull(node, "node");
    }

    /** A key and its value, both with their own positions. */
    public record Entry(YamlNode key, YamlNode value) {
        /** The key's text, or null when the key is not a plain value. */
        public String name() {
            return key.text();
        }
    }

    /** The name the rules are reported under: a path, or {@code classpath:...}. */
    public String source() {
        return source;
    }

    /** 1-based line of the node's first character. */
    public int line() {
        return node.getStartMark().getLine() + 1;
    }

    /** 1-based column of the node's first character. */
    public int column() {
        return node.getStartMark().getColumn() + 1;
    }

    /** {@code file:line}, as problems are reported. */
    public String location() {
        return source + ":" + line();
    }

    public boolean isMapping() {
        return node instanceof MappingNode;
    }

    public boolean isSequence() {
        return node instanceof SequenceNode;
    }

    /** A value (string, number, boolean...) that is not null. */
    public boolean isScalar() {
        return node instanceof ScalarNode && !isNull();
    }

    /** An explicit null: {@code ~}, {@code null} or nothing after the colon. */
    public boolean isNull() {
        return Tag.NULL.equals(node.getTag());
    }

    /**
     * A plain {@code true} or {@code false} (YAML 1.2 core schema). Quoted values are strings, and
     * YAML 1.1's yes/no/on/off are refused: a rule's meaning must not hang on a spelling.
     */
    public boolean isBoolean() {
        return node instanceof ScalarNode s && Tag.BOOL.equals(s.getTag())
                && s.getValue().toLowerCase(java.util.Locale.ROOT).matches("true|false");
    }

    /** The text of a non-null scalar; null for anything else. */
    public String text() {
        return isScalar() ? ((ScalarNode) node).getValue() : null;
    }

    /** The items of a sequence; empty for anything else. */
    public List<YamlNode> items() {
        if (!(node instanceof SequenceNode seq)) {
            return List.of();
        }
        List<YamlNode> out = new ArrayList<>(seq.getValue().size());
        seq.getValue().forEach(item -> out.add(new YamlNode(source, item)));
        return out;
    }

    /** The entries of a mapping in file order, repeated keys included; empty for anything else. */
    public List<Entry> entries() {
        if (!(node instanceof MappingNode map)) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>(map.getValue().size());
        for (NodeTuple t : map.getValue()) {
            out.add(new Entry(new YamlNode(source, t.getKeyNode()), new YamlNode(source, t.getValueNode())));
        }
        return out;
    }

    /** The value under the first plain key {@code key} of a mapping, or null. */
    public YamlNode get(String key) {
        for (Entry e : entries()) {
            if (key.equals(e.name())) {
                return e.value();
            }
        }
        return null;
    }

    /** Whether a mapping has the key. */
    public boolean has(String key) {
        return get(key) != null;
    }

    /** How many entries or items; 0 for a scalar. */
    public int size() {
        if (node instanceof MappingNode map) {
            return map.getValue().size();
        }
        return node instanceof SequenceNode seq ? seq.getValue().size() : 0;
    }

    @Override
    public String toString() {
        return location() + " " + node.getNodeId();
    }
}
