package dev.firebreak.ingest.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.firebreak.ingest.classify.ActionClassifier.ActionKind;
import dev.firebreak.ingest.classify.ActionClassifier.Verdict;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One entry of {@code corpus.yaml}: an action and the verdict expected for it. Malformed entries
 * fail loading, so a typo in the corpus cannot turn into a test that checks nothing.
 */
record CorpusEntry(int number, String via, String sql, String shell, String method, String url, String body,
                   String tool, String input, ActionKind kind, boolean destructive, String category, String rule) {

    static final String RESOURCE = "/dev/firebreak/ingest/classify/corpus.yaml";
    private static final Set<String> KEYS = Set.of("sql", "shell", "http", "tool", "input", "kind", "destructive",
            "category", "rule", "note");

    static List<CorpusEntry> load() {
        try (InputStream in = CorpusEntry.class.getResourceAsStream(RESOURCE)) {
            JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(in);
            List<CorpusEntry> entries = new ArrayList<>();
            int n = 0;
            for (JsonNode e : root) {
                entries.add(of(e, ++n));
            }
            return entries;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static CorpusEntry of(JsonNode e, int n) {
        e.fieldNames().forEachRemaining(k -> require(KEYS.contains(k), n, "unknown key " + k));
        List<String> via = new ArrayList<>();
        for (String k : List.of("sql", "shell", "http", "tool")) {
            if (e.has(k)) {
                via.add(k);
            }
        }
        require(via.size() == 1, n, "needs exactly one of sql, shell, http, tool; has " + via);
        require(e.path("destructive").isBoolean(), n, "needs destructive: true|false");
        require(e.path("category").isTextual(), n, "needs category");
        String v = via.get(0);
        require(!v.equals("tool") || (e.has("kind") && e.has("input")), n, "a tool entry needs input and kind");
        JsonNode http = e.path("http");
        return new CorpusEntry(n, v, text(e, "sql"), text(e, "shell"), text(http, "method"), text(http, "url"),
                text(http, "body"), text(e, "tool"), text(e, "input"), kind(e, v), e.get("destructive").asBoolean(),
                e.get("category").asText(), text(e, "rule"));
    }

    private static ActionKind kind(JsonNode e, String via) {
        if (e.has("kind")) {
            return ActionKind.valueOf(e.get("kind").asText().toUpperCase(Locale.ROOT));
        }
        return switch (via) {
            case "sql" -> ActionKind.SQL;
            case "shell" -> ActionKind.SHELL;
            default -> ActionKind.HTTP;
        };
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static void require(boolean ok, int n, String problem) {
        if (!ok) {
            throw new IllegalArgumentException(RESOURCE + " entry #" + n + ": " + problem);
        }
    }

    Verdict classify(ActionClassifier classifier) {
        return switch (via) {
            case "sql" -> classifier.classifySql(sql);
            case "shell" -> classifier.classifyShell(shell);
            case "http" -> classifier.classifyHttp(method, url, body);
            default -> classifier.classify(tool, input);
        };
    }

    @Override
    public String toString() {
        String action = switch (via) {
            case "sql" -> sql;
            case "shell" -> shell;
            case "http" -> method + " " + url;
            default -> tool + ": " + input;
        };
        String oneLine = action.strip().replaceAll("\\s+", " ");
        return "#" + number + " " + via + " " + (oneLine.length() > 90 ? oneLine.substring(0, 87) + "..." : oneLine);
    }
}
