package dev.firebreak.ingest.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Finds the GraphQL documents in a request body and the top-level fields of their mutations: in
 * {@code mutation { volumeDelete(volumeId: "...") }} the field is {@code volumeDelete}, and
 * {@code mutation M { a: projectDelete(id: 1) { id } }} has the field {@code projectDelete} (the
 * alias is not the field). Fields of {@code fragment ... on Mutation} spread into a mutation count
 * too. Bodies are JSON ({"query": ...}, or a batch [...]), form-encoded (query=...), or a raw
 * document; a body whose JSON is broken (quoting mangled by a shell) is searched from the word
 * "mutation" on.
 *
 * @param present        the body holds a GraphQL document
 * @param mutationFields top-level field names of every mutation in it
 */
record GraphQl(boolean present, List<String> mutationFields) {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final GraphQl NONE = new GraphQl(false, List.of());
    private static final Set<String> OPERATION_KEYWORDS = Set.of("query", "mutation", "subscription", "fragment");

    static GraphQl of(String body) {
        if (body == null || body.isBlank()) {
            return NONE;
        }
        List<String> documents = documents(body.strip());
        if (documents.isEmpty()) {
            return NONE;
        }
        List<String> fields = new ArrayList<>();
        for (String doc : documents) {
            fields.addAll(new Parser(doc).mutationFields());
        }
        return new GraphQl(true, List.copyOf(fields));
    }

    private static List<String> documents(String body) {
        if (body.startsWith("{") || body.startsWith("[")) {
            List<String> fromJson = fromJson(body);
            if (fromJson != null) {
                return fromJson;
            }
            if (body.matches("(?s)[\\[{]\\s*\".*")) { // JSON whose quoting a shell mangled
                return fromMutationKeyword(body);
            }
        }
        if (body.startsWith("query=")) {
            String value = body.substring("query=".length()).split("&", 2)[0];
            return List.of(URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        if (OPERATION_KEYWORDS.contains(firstWord(body)) || body.startsWith("{")) {
            return List.of(body);
        }
        return fromMutationKeyword(body);
    }

    /** Last resort: the document from the word "mutation" on, with JSON string escapes undone. */
    private static List<String> fromMutationKeyword(String body) {
        int mutation = body.indexOf("mutation");
        if (mutation >= 0 && body.indexOf('{', mutation) > 0) {
            return List.of(body.substring(mutation).replace("\\\"", "\""));
        }
        return List.of();
    }

    /** The query texts of a JSON body, or null when it is not JSON. */
    private static List<String> fromJson(String body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (Exception e) {
            return null;
        }
        List<String> docs = new ArrayList<>();
        if (root != null && root.isArray()) {
            root.forEach(n -> addQuery(n, docs));
        } else if (root != null) {
            addQuery(root, docs);
        }
        return docs;
    }

    private static void addQuery(JsonNode node, List<String> docs) {
        JsonNode q = node.get("query");
        if (q != null && q.isTextual()) {
            docs.add(q.asText());
        }
    }

    private static String firstWord(String s) {
        int i = 0;
        while (i < s.length() && Character.isLetter(s.charAt(i))) {
            i++;
        }
        return s.substring(0, i);
    }

    /** A single pass over a GraphQL document's tokens. */
    private static final class Parser {
        private final List<String> tokens;
        private int i;

        Parser(String doc) {
            this.tokens = tokenize(doc);
        }

        List<String> mutationFields() {
            List<String> fields = new ArrayList<>();
            while (i < tokens.size()) {
                String t = tokens.get(i);
                if (t.equals("mutation") || isMutationFragment()) {
                    skipToSelectionSet();
                    fields.addAll(selectionFields());
                } else if (t.equals("{")) {
                    skipBlock();
                } else {
                    i++;
                }
            }
            return fields;
        }

        private boolean isMutationFragment() {
            return tokens.get(i).equals("fragment") && i + 3 < tokens.size()
                    && tokens.get(i + 2).equals("on") && tokens.get(i + 3).equals("Mutation");
        }

        private void skipToSelectionSet() {
            int depth = 0;
            while (i < tokens.size() && !(depth == 0 && tokens.get(i).equals("{"))) {
                depth += tokens.get(i).equals("(") ? 1 : tokens.get(i).equals(")") ? -1 : 0;
                i++;
            }
        }

        /** The top-level field names of the selection set starting at "{". */
        private List<String> selectionFields() {
            List<String> fields = new ArrayList<>();
            int braces = 0;
            int parens = 0;
            for (; i < tokens.size(); i++) {
                String t = tokens.get(i);
                switch (t) {
                    case "{" -> braces++;
                    case "}" -> braces--;
                    case "(" -> parens++;
                    case ")" -> parens--;
                    default -> {
                        if (braces == 1 && parens == 0 && isName(t) && !previousIs("...") && !previousIs("@")
                                && !previousIs("on") && !nextIs(":")) {
                            fields.add(t);
                        }
                    }
                }
                if (braces == 0 && t.equals("}")) {
                    i++;
                    break;
                }
            }
            return fields;
        }

        private void skipBlock() {
            int depth = 0;
            for (; i < tokens.size(); i++) {
                depth += tokens.get(i).equals("{") ? 1 : tokens.get(i).equals("}") ? -1 : 0;
                if (depth == 0) {
                    i++;
                    return;
                }
            }
        }

        private boolean previousIs(String s) {
            return i > 0 && tokens.get(i - 1).equals(s);
        }

        private boolean nextIs(String s) {
            return i + 1 < tokens.size() && tokens.get(i + 1).equals(s);
        }

        private static boolean isName(String t) {
            return !t.isEmpty() && (Character.isLetter(t.charAt(0)) || t.charAt(0) == '_');
        }

        /** Names, punctuation and "..." as tokens; strings, numbers, commas and comments dropped. */
        private static List<String> tokenize(String doc) {
            List<String> out = new ArrayList<>();
            int p = 0;
            while (p < doc.length()) {
                char c = doc.charAt(p);
                if (c == '#') {
                    int nl = doc.indexOf('\n', p);
                    p = nl < 0 ? doc.length() : nl;
                } else if (c == '"') {
                    p = skipString(doc, p);
                } else if (Character.isLetter(c) || c == '_') {
                    int start = p;
                    while (p < doc.length() && (Character.isLetterOrDigit(doc.charAt(p)) || doc.charAt(p) == '_')) {
                        p++;
                    }
                    out.add(doc.substring(start, p));
                } else if (doc.startsWith("...", p)) {
                    out.add("...");
                    p += 3;
                } else if ("{}():@$!=[]".indexOf(c) >= 0) {
                    out.add(String.valueOf(c));
                    p++;
                } else {
                    p++;
                }
            }
            return out;
        }

        private static int skipString(String doc, int p) {
            if (doc.startsWith("\"\"\"", p)) {
                int end = doc.indexOf("\"\"\"", p + 3);
                return end < 0 ? doc.length() : end + 3;
            }
            int q = p + 1;
            while (q < doc.length() && doc.charAt(q) != '"') {
                q += doc.charAt(q) == '\\' ? 2 : 1;
            }
            return Math.min(q + 1, doc.length());
        }
    }
}
