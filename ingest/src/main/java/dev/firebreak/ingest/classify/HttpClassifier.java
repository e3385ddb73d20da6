package dev.firebreak.ingest.classify;

import dev.firebreak.ingest.classify.ActionClassifier.ActionKind;
import dev.firebreak.ingest.classify.ActionClassifier.Verdict;
import java.util.List;
import java.util.Locale;

/** Classifies HTTP calls with the http rules; the first matching rule decides. */
final class HttpClassifier {

    private final List<HttpRule> rules;

    HttpClassifier(List<HttpRule> rules) {
        this.rules = List.copyOf(rules);
    }

    Verdict classify(String method, String url, String body) {
        if ((url == null || url.isBlank()) && (body == null || body.isBlank())) {
            return new Verdict(ActionKind.HTTP, false, null, "http.empty", "no URL and no body to classify");
        }
        HttpRule.Facts facts = facts(method, url, body);
        for (HttpRule rule : rules) {
            if (rule.matches(facts)) {
                String fields = rule.matchedFields(facts);
                return rule.info().verdict(describe(facts) + (fields.isEmpty() ? "" : " (mutation " + fields + ")"));
            }
        }
        return new Verdict(ActionKind.HTTP, false, null, "http.other", "no rule for " + describe(facts));
    }

    private static HttpRule.Facts facts(String method, String url, String body) {
        String b = body == null ? "" : body;
        String m = method == null || method.isBlank()
                ? (b.isBlank() ? "GET" : "POST") // what curl and fetch do without an explicit method
                : method.strip().toUpperCase(Locale.ROOT);
        String u = url == null ? "" : url.strip();
        return new HttpRule.Facts(m, u, path(u), b, GraphQl.of(body));
    }

    /** The path of a URL, tolerant of URLs without scheme and of characters java.net.URI rejects. */
    static String path(String url) {
        String rest = url.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "");
        int slash = url.equals(rest) && url.startsWith("/") ? 0 : rest.indexOf('/');
        if (slash < 0) {
            return "/";
        }
        String path = rest.substring(slash);
        int end = path.length();
        for (char c : new char[] {'?', '#'}) {
            int i = path.indexOf(c);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        return path.substring(0, end);
    }

    /** "POST host/path" without the query string, which may carry tokens. */
    private static String describe(HttpRule.Facts f) {
        String u = f.url();
        int q = u.indexOf('?');
        return f.method() + " " + Reasons.quote(q < 0 ? u : u.substring(0, q));
    }
}
