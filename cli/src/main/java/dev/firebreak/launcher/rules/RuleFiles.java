package dev.firebreak.launcher.rules;

import dev.firebreak.rules.RulesFileException;
import dev.firebreak.rules.RulesLoader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/** Several rule files and folders read as one rule set, the way detection reads one folder. */
public final class RuleFiles {
    private RuleFiles() {
    }

    /**
     * Loads every path (a file, or the {@code *.yaml}/{@code *.yml} files of a folder) with the real loader;
     * names are shared across all of them, as across the files of one folder.
     *
     * @throws RulesFileException naming every problem as {@code file:line: reason}
     */
    public static RulesLoader.RuleSet load(List<Path> paths, Instant now) {
        if (paths.size() == 1) {
            return RulesLoader.load(paths.get(0), now);
        }
        return RulesLoader.load(texts(paths), now);
    }

    /**
     * The files the paths name: a file as given, a folder's {@code *.yaml}/{@code *.yml} files in name
     * order.
     *
     * @throws RulesFileException naming every path that is missing, empty or unreadable
     */
    public static List<Path> expand(List<Path> paths) {
        List<String> problems = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        for (Path path : paths) {
            files.addAll(files(path, problems));
        }
        if (!problems.isEmpty()) {
            throw new RulesFileException(problems);
        }
        return files;
    }

    /**
     * The top-level keys of a YAML file, which tell the three rule languages apart; empty when it is
     * no mapping or does not parse (its loader then says why, with the line).
     */
    public static Set<String> topKeys(Path file) {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Node root = new Yaml().compose(in);
            if (!(root instanceof MappingNode mapping)) {
                return Set.of();
            }
            Set<String> keys = new LinkedHashSet<>();
            for (NodeTuple entry : mapping.getValue()) {
                if (entry.getKeyNode() instanceof ScalarNode key) {
                    keys.add(key.getValue());
                }
            }
            return keys;
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
    }

    private static Map<String, String> texts(List<Path> paths) {
        Map<String, String> texts = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Path path : paths) {
            for (Path file : files(path, problems)) {
                try {
                    texts.put(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    problems.add(file + ": cannot read: " + e.getMessage());
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new RulesFileException(problems);
        }
        return texts;
    }

    private static List<Path> files(Path path, List<String> problems) {
        if (Files.isRegularFile(path)) {
            return List.of(path);
        }
        if (!Files.isDirectory(path)) {
            problems.add(path + ": no such rule file or directory");
            return List.of();
        }
        try (Stream<Path> entries = Files.list(path)) {
            List<Path> files = entries.filter(p -> Files.isRegularFile(p) && (p.toString().endsWith(".yaml")
                    || p.toString().endsWith(".yml"))).sorted().toList();
            if (files.isEmpty()) {
                problems.add(path + ": no *.yaml rule files in this directory");
            }
            return files;
        } catch (IOException e) {
            problems.add(path + ": cannot list rule files: " + e.getMessage());
            return List.of();
        }
    }
}
