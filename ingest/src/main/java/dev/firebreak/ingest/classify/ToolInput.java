package dev.firebreak.ingest.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a tool's input the way agent frameworks send it: either the bare text (the SQL, the command
 * line, a URL) or a JSON object of the tool's arguments ({"sql": ...}, {"command": ...} or
 * {"command": ["rm", "-rf", "x"]}, {"method": ..., "url": ..., "body": ...}).
 */
final class ToolInput {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final List<String> SQL_FIELDS = List.of("sql", "query", "statement", "statements");
    private static final List<String> SHELL_FIELDS = List.of("command", "cmd", "commandLine", "command_line", "script");
    private static final Pattern REQUEST_LINE = Pattern.compile(
            "(?s)^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|TRACE)\\s+(\\S+)(?:[^\\n]*\\n)?(.*)$", Pattern.CASE_INSENSITIVE);

    private ToolInput() {
    }

    /** The SQL text of a SQL tool's input. */
    static String sql(String input) {
        JsonNode args = jsonObject(input);
        String text = args == null ? null : firstText(args, SQL_FIELDS);
        return text != null ? text : input;
    }

    /** The command line of a shell tool's input; an argv array is re-quoted into one line. */
    static String shell(String input) {
        JsonNode args = jsonObject(input);
        if (args == null) {
            return input;
        }
        for (String field : SHELL_FIELDS) {
            JsonNode v = args.get(field);
            if (v != null && v.isTextual()) {
                return v.asText();
            }
            if (v != null && v.isArray()) {
                StringBuilder line = new StringBuilder();
                v.forEach(a -> line.append(line.length() == 0 ? "" : " ").append(quote(a.asText())));
                return line.toString();
            }
        }
        return input;
    }

    /**
     * The call of an HTTP tool's input: a JSON object with method/url/body (a bare GraphQL request
     * {"query": ...} is a POST of itself), an HTTP request line ("DELETE https://..." with an
     * optional body on the following lines), a raw GraphQL document, or a bare URL. Null when the
     * input is none of those (a curl line is handled by the caller).
     */
    static HttpCall http(String input) {
        if (input == null || input.isBlank()) {
            return null;
        }
        String text = input.strip();
        JsonNode args = jsonObject(text);
        if (args != null) {
            return fromJson(args, text);
        }
        Matcher m = REQUEST_LINE.matcher(text);
        if (m.matches()) {
            String body = m.group(3).strip();
            return new HttpCall(m.group(1), m.group(2), body.isEmpty() ? null : body);
        }
        if (text.startsWith("mutation") || text.startsWith("query") || text.startsWith("{")) {
            return new HttpCall("POST", "", text);
        }
        return text.matches("\\S+") ? new HttpCall("GET", text, null) : null;
    }

    private static HttpCall fromJson(JsonNode args, String text) {
        String url = firstText(args, List.of("url", "uri", "endpoint", "href"));
        String method = firstText(args, List.of("method", "httpMethod", "http_method", "verb"));
        if (url == null && args.has("query")) {
            return new HttpCall(method != null ? method : "POST", "", text); // the GraphQL request itself
        }
        JsonNode b = args.has("body") ? args.get("body") : args.get("data");
        String body = b == null || b.isNull() ? null : b.isTextual() ? b.asText() : b.toString();
        return new HttpCall(method, url == null ? "" : url, body);
    }

    private static JsonNode jsonObject(String input) {
        if (input == null || !input.strip().startsWith("{")) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(input);
            return node != null && node.isObject() ? node : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static String firstText(JsonNode args, List<String> fields) {
        for (String f : fields) {
            JsonNode v = args.get(f);
            if (v != null && v.isTextual()) {
                return v.asText();
            }
        }
        return null;
    }

    private static String quote(String arg) {
        return arg.matches("[A-Za-z0-9_@%+=:,./-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'";
    }
}
