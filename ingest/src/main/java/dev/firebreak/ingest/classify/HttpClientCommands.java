package dev.firebreak.ingest.classify;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads the HTTP call out of a curl, wget or HTTPie command line, so that
 * {@code curl -X POST https://backboard.railway.app/graphql/v2 -d '{"query":"mutation { volumeDelete(...) }"}'}
 * is judged by the same http rules as the call itself. Option tables cover the options agents use;
 * an unknown option is assumed to take no value, and the URL is the first argument that looks like
 * one, so a misjudged option rarely hides the URL.
 */
final class HttpClientCommands {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final Set<String> CURL_SHORT_WITH_VALUE = Set.of("d", "H", "X", "o", "u", "A", "e", "b",
            "c", "F", "T", "w", "x", "m", "r", "y", "Y", "z", "U", "E", "K", "C", "Q", "t", "D", "P");
    private static final Set<String> CURL_LONG_WITH_VALUE = Set.of("--data", "--data-raw", "--data-binary",
            "--data-urlencode", "--data-ascii", "--json", "--header", "--request", "--url", "--user",
            "--output", "--user-agent", "--referer", "--cookie", "--cookie-jar", "--form", "--form-string",
            "--upload-file", "--write-out", "--proxy", "--max-time", "--connect-timeout", "--retry",
            "--retry-delay", "--retry-max-time", "--cacert", "--cert", "--key", "--config", "--range",
            "--resolve", "--oauth2-bearer", "--dump-header", "--limit-rate", "--max-filesize", "--interface",
            "--unix-socket", "--aws-sigv4", "--variable", "--proxy-user", "--connect-to", "--capath");
    private static final Set<String> CURL_DATA = Set.of("-d", "--data", "--data-raw", "--data-binary",
            "--data-urlencode", "--data-ascii", "--json", "-F", "--form", "--form-string");
    private static final Set<String> WGET_SHORT_WITH_VALUE = Set.of("-O", "-o", "-a", "-U", "-t", "-T", "-w",
            "-e", "-P", "-Q", "-i", "-B", "-l", "-A", "-R", "-D", "-X", "-I");
    private static final Set<String> HTTPIE_WITH_VALUE = Set.of("-a", "--auth", "-A", "--auth-type", "--session",
            "--session-read-only", "-o", "--output", "--verify", "--cert", "--cert-key", "--timeout", "--proxy",
            "--pretty", "-s", "--style", "-p", "--print", "--max-redirects", "--format-options", "--raw");
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
            "OPTIONS", "TRACE", "CONNECT");

    private HttpClientCommands() {
    }

    /** The call made by {@code argv} in the given syntax (curl, wget, httpie), or null without a URL. */
    static HttpCall parse(String syntax, List<String> argv) {
        List<String> args = argv.subList(1, argv.size());
        return switch (syntax) {
            case "curl" -> curl(args);
            case "wget" -> wget(args);
            case "httpie" -> httpie(args);
            default -> null;
        };
    }

    private static HttpCall curl(List<String> args) {
        String method = null;
        String url = null;
        List<String> data = new ArrayList<>();
        boolean head = false;
        boolean get = false;
        boolean upload = false;
        List<String> positionals = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            Option o = curlOption(a, i + 1 < args.size() ? args.get(i + 1) : null);
            if (o == null) {
                positionals.add(a);
                continue;
            }
            i += o.consumedNext() ? 1 : 0;
            switch (o.name()) {
                case "-X", "--request" -> method = o.value();
                case "--url" -> url = o.value();
                case "-I", "--head" -> head = true;
                case "-G", "--get" -> get = true;
                case "-T", "--upload-file" -> upload = true;
                default -> {
                    if (CURL_DATA.contains(o.name()) && o.value() != null) {
                        data.add(o.value());
                    }
                }
            }
        }
        url = url != null ? url : firstUrl(positionals);
        if (url == null) {
            return null;
        }
        String body = data.isEmpty() || data.stream().anyMatch(d -> d.startsWith("@")) ? null : String.join("&", data);
        if (method == null) {
            method = head ? "HEAD" : get ? "GET" : !data.isEmpty() ? "POST" : upload ? "PUT" : "GET";
        }
        return new HttpCall(method.toUpperCase(Locale.ROOT), url, get ? null : body);
    }

    /** An option occurrence: its canonical name, its value, and whether the value was the next argument. */
    private record Option(String name, String value, boolean consumedNext) {
    }

    private static Option curlOption(String a, String next) {
        if (a.startsWith("--")) {
            int eq = a.indexOf('=');
            String name = eq < 0 ? a : a.substring(0, eq);
            if (!CURL_LONG_WITH_VALUE.contains(name)) {
                return new Option(name, null, false);
            }
            return eq >= 0 ? new Option(name, a.substring(eq + 1), false) : new Option(name, next, next != null);
        }
        if (!a.startsWith("-") || a.length() < 2) {
            return null;
        }
        // A short cluster such as -sSLX POST or -XPOST: a letter taking a value ends the cluster.
        for (int j = 1; j < a.length(); j++) {
            String letter = String.valueOf(a.charAt(j));
            if (CURL_SHORT_WITH_VALUE.contains(letter)) {
                String attached = a.substring(j + 1);
                return attached.isEmpty() ? new Option("-" + letter, next, next != null) : new Option("-" + letter, attached, false);
            }
            if (letter.equals("I") || letter.equals("G")) {
                return new Option("-" + letter, null, false);
            }
        }
        return new Option(a, null, false);
    }

    private static HttpCall wget(List<String> args) {
        String method = null;
        String body = null;
        List<String> positionals = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String next = i + 1 < args.size() ? args.get(i + 1) : null;
            if (a.startsWith("--method")) {
                method = a.contains("=") ? a.substring(a.indexOf('=') + 1) : next;
                i += a.contains("=") ? 0 : 1;
            } else if (a.startsWith("--post-data") || a.startsWith("--body-data")) {
                body = a.contains("=") ? a.substring(a.indexOf('=') + 1) : next;
                i += a.contains("=") ? 0 : 1;
            } else if (WGET_SHORT_WITH_VALUE.contains(a)) {
                i++;
            } else if (!a.startsWith("-")) {
                positionals.add(a);
            }
        }
        String url = firstUrl(positionals);
        if (url == null) {
            return null;
        }
        String m = method != null ? method : body != null ? "POST" : "GET";
        return new HttpCall(m.toUpperCase(Locale.ROOT), url, body);
    }

    private static HttpCall httpie(List<String> args) {
        List<String> positionals = new ArrayList<>();
        String raw = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--raw") && i + 1 < args.size()) {
                raw = args.get(++i);
            } else if (a.startsWith("--raw=")) {
                raw = a.substring("--raw=".length());
            } else if (HTTPIE_WITH_VALUE.contains(a)) {
                i++;
            } else if (!a.startsWith("-")) {
                positionals.add(a);
            }
        }
        if (positionals.isEmpty()) {
            return null;
        }
        String method = null;
        if (positionals.size() > 1 && METHODS.contains(positionals.get(0).toUpperCase(Locale.ROOT))) {
            method = positionals.remove(0).toUpperCase(Locale.ROOT);
        }
        String url = positionals.remove(0);
        String body = raw != null ? raw : httpieBody(positionals);
        return new HttpCall(method != null ? method : body != null ? "POST" : "GET", url, body);
    }

    /** HTTPie request items: name=string and name:=json become a JSON body; headers and query items do not. */
    private static String httpieBody(List<String> items) {
        ObjectNode body = JSON.createObjectNode();
        for (String item : items) {
            int json = item.indexOf(":=");
            int eq = item.indexOf('=');
            int colon = item.indexOf(':');
            if (json > 0 && json <= eq - 1) {
                body.set(item.substring(0, json), parseJsonOrText(item.substring(json + 2)));
            } else if (eq > 0 && (colon < 0 || colon > eq) && !item.startsWith("==", eq)) {
                body.put(item.substring(0, eq), item.substring(eq + 1));
            }
        }
        return body.isEmpty() ? null : body.toString();
    }

    private static com.fasterxml.jackson.databind.JsonNode parseJsonOrText(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            return JSON.getNodeFactory().textNode(text);
        }
    }

    private static String firstUrl(List<String> positionals) {
        for (String p : positionals) {
            if (p.contains("://") || p.startsWith("localhost") || p.matches("[\\w.-]+\\.[a-z]{2,}(:\\d+)?(/.*)?")) {
                return p;
            }
        }
        return positionals.isEmpty() ? null : positionals.get(0);
    }
}
