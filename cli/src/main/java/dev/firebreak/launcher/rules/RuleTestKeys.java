package dev.firebreak.launcher.rules;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The keys a rule test file may use, checked on SnakeYAML's node tree before binding: Jackson binds
 * records through their constructors and reports an unknown key where it stopped reading, not where
 * the key is, and an operator needs the line of the typo.
 */
record RuleTestKeys(Set<String> top, Set<String> test, Set<String> event, Set<String> expectation) {
    void check(Path file) throws IOException {
        Node root;
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = new Yaml(new LoaderOptions()).compose(in);
        } catch (org.yaml.snakeyaml.error.MarkedYAMLException e) {
            throw new IllegalArgumentException(file + ":" + (e.getProblemMark().getLine() + 1) + ": " + e.getProblem());
        }
        if (!(root instanceof MappingNode map)) {
            throw new IllegalArgumentException(file + ":1: a test file is a mapping with rule_files and tests");
        }
        keys(file, map, top, "the file");
        for (NodeTuple t : map.getValue()) {
            if ("tests".equals(name(t)) && t.getValueNode() instanceof SequenceNode tests) {
                for (Node c : tests.getValue()) {
                    if (c instanceof MappingNode testMap) {
                        keys(file, testMap, test, "a test");
                        items(file, testMap, "events", event);
                        items(file, testMap, "expect", expectation);
                    }
                }
            }
        }
    }

    private static void items(Path file, MappingNode test, String key, Set<String> allowed) {
        for (NodeTuple t : test.getValue()) {
            if (key.equals(name(t)) && t.getValueNode() instanceof SequenceNode items) {
                for (Node item : items.getValue()) {
                    if (item instanceof MappingNode m) {
                        keys(file, m, allowed, "an item of " + key);
                    }
                }
            }
        }
    }

    private static void keys(Path file, MappingNode map, Set<String> allowed, String where) {
        for (NodeTuple t : map.getValue()) {
            String key = name(t);
            if (!allowed.contains(key)) {
                throw new IllegalArgumentException(file + ":" + (t.getKeyNode().getStartMark().getLine() + 1) + ": unknown key '"
                        + key + "' in " + where + "; known: " + String.join(", ", new TreeSet<>(allowed)));
            }
        }
    }

    private static String name(NodeTuple t) {
        return t.getKeyNode() instanceof ScalarNode s ? s.getValue() : String.valueOf(t.getKeyNode());
    }
}
