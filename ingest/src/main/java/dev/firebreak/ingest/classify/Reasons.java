package dev.firebreak.ingest.classify;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the one-sentence reasons of verdicts. Reasons go to on-call pages and dashboards, so the
 * quoted action is shortened and anything that looks like a credential is masked: agents put tokens
 * in curl headers and passwords in connection strings, and an alert must not spread them further.
 */
final class Reasons {

    private static final int MAX_QUOTE = 160;
    private static final int MASK_SCAN = 8 * MAX_QUOTE;

    /** Credential shapes, each with the part to keep in group 1 and the secret in group 2. */
    private static final List<Pattern> SECRETS = List.of(
            Pattern.compile("(?i)(authorization:\\s*(?:bearer|basic|token)?\\s*)([^\\s'\"]+)"),
            Pattern.compile("(?i)(\\b(?:bearer|token)\\s+)([A-Za-z0-9._~+/=-]{8,})"),
            Pattern.compile("(?i)((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)\\s*[=:]\\s*)([^\\s&'\"]+)"),
            Pattern.compile("(?i)(\\bpassword\\s+)('[^']*'|\\S+)"),
            Pattern.compile("(://[^/\\s:@]+:)([^@\\s/]+)(?=@)"),
            Pattern.compile("(?<![\\w-])((?:-u|--user)[ =]?[^\\s:'\"]*:)([^\\s'\"]+)"),
            Pattern.compile("(?<![\\w-])(-p)([^\\s'\"]+)"),
            Pattern.compile("(?<![\\w-])(--password[ =])([^\\s'\"]+)"));

    private Reasons() {
    }

    /** "description: detail", or the description alone when there is no detail. */
    static String join(String description, String detail) {
        return detail == null || detail.isBlank() ? description : description + ": " + detail;
    }

    /** A short, credential-masked quotation of an action for a reason. */
    static String quote(String action) {
        if (action == null) {
            return "";
        }
        // Only the start is ever shown, so only the start is scanned: long scripts stay cheap.
        String head = action.length() > MASK_SCAN ? action.substring(0, MASK_SCAN) : action;
        String masked = mask(head.strip().replaceAll("\\s+", " "));
        return masked.length() <= MAX_QUOTE ? masked : masked.substring(0, MAX_QUOTE - 3) + "...";
    }

    static String mask(String text) {
        String out = text;
        for (Pattern secret : SECRETS) {
            Matcher m = secret.matcher(out);
            out = m.replaceAll(r -> Matcher.quoteReplacement(r.group(1)) + "***");
        }
        return out;
    }
}
