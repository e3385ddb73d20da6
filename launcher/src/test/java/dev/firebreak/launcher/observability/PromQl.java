package dev.firebreak.launcher.observability;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough PromQL handling to check dashboards and rules against a live Prometheus: Grafana's
 * template variables replaced by values that exist, and the metric names an expression reads.
 */
public final class PromQl {
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "and", "or", "unless", "offset", "atan2", "inf", "nan", "start", "end");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^{}]*}");
    private static final Pattern RANGE = Pattern.compile("\\[[^\\[\\]]*]");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^()]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:.])([A-Za-z_:][\\w:]*)(\\s*\\()?");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::[^}]*)?}|\\[\\[(\\w+)(?::[^]]*)?]]|\\$(\\w+)");

    private PromQl() {
    }

    /**
     * Replaces Grafana variables: the built-in intervals by fixed durations, the variables named in
     * {@code values} by their value, every other variable by {@code .*} (they sit in {@code =~} matchers).
     */
    public static String substitute(String expr, Map<String, String> values) {
        Matcher m = VARIABLE.matcher(expr);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            String value = switch (name) {
                // a 1 h dashboard at a 5 s scrape interval; the range is longer than a test runs, so
                // every counter is born inside it, the case the range expressions must get right
                case "__rate_interval" -> "1m";
                case "__range" -> "5m";
                case "__interval" -> "15s";
                case "__range_s" -> "300";
                case "__interval_ms" -> "15000";
                default -> values.getOrDefault(name, ".*");
            };
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The metric names {@code expr} reads, in order of appearance. */
    public static Set<String> metricNames(String expr) {
        String s = STRING.matcher(expr).replaceAll("\"\"");
        s = MATCHERS.matcher(s).replaceAll(" ");
        s = RANGE.matcher(s).replaceAll(" ");
        s = GROUPING.matcher(s).replaceAll(" ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String identifier = m.group(1);
            boolean call = m.group(2) != null;
            if (!call && !KEYWORDS.contains(identifier.toLowerCase(java.util.Locale.ROOT))) {
                names.add(identifier);
            }
        }
        return names;
    }
}
