package dev.firebreak.ingest.preflight;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Settings of the pre-flight decision endpoint, {@code firebreak.ingest.preflight.*}. It is served by
 * the agent action endpoint ({@code firebreak.ingest.agent.http.*}: address, tokens, limits).
 *
 * @param enabled       serve {@code /v1/decisions}
 * @param rulesPath     a rule file or folder with {@code decisions:} sections; null for the bundled rules
 * @param askTimeoutMs  an ask not answered by an operator within this time is expired (refused)
 * @param episodeOpenMs an alert keeps its principal's episode open this long
 * @param lookbackMs    at start-up, state is rebuilt from this far back in the topics
 * @param recordTimeoutMs how long a deny or ask waits for Kafka to acknowledge its record
 * @param maxWaitMs     the longest a client's {@code GET /v1/decisions/<id>?wait_ms=} is held
 */
public record PreflightConfig(boolean enabled, Path rulesPath, long askTimeoutMs, long episodeOpenMs, long lookbackMs,
                              long recordTimeoutMs, long maxWaitMs) {
    public static final String PREFIX = "firebreak.ingest.preflight.";

    public PreflightConfig {
        require(askTimeoutMs >= 1000 && askTimeoutMs <= 86_400_000L, "ask.timeout.ms", askTimeoutMs, "1000..86400000");
        require(episodeOpenMs >= 1000 && episodeOpenMs <= 86_400_000L, "episode.open.ms", episodeOpenMs, "1000..86400000");
        require(lookbackMs >= 60_000 && lookbackMs <= 7 * 86_400_000L, "lookback.ms", lookbackMs, "60000..604800000");
        require(recordTimeoutMs >= 100 && recordTimeoutMs <= 60_000, "record.timeout.ms", recordTimeoutMs, "100..60000");
        require(maxWaitMs >= 0 && maxWaitMs <= 30_000, "max.wait.ms", maxWaitMs, "0..30000");
    }

    /** Off, with the defaults. */
    public static PreflightConfig defaults() {
        return new PreflightConfig(false, null, 300_000, 900_000, 3_600_000, 5_000, 10_000);
    }

    /** The decision rules: from {@link #rulesPath}, or the bundled ones; a bad rule fails here. */
    public List<DecisionRule> loadRules() {
        List<DecisionRule> rules = rulesPath == null ? DecisionRules.bundled() : DecisionRules.load(rulesPath);
        long longest = DecisionCondition.longest(rules).toMillis();
        require(lookbackMs >= longest, "lookback.ms", lookbackMs, "at least the longest attempts_window of the decision rules ("
                + longest + " ms)");
        return rules;
    }

    /**
     * Reads {@code enabled} (false), {@code rules.path} (bundled), {@code ask.timeout.ms} (300000),
     * {@code episode.open.ms} (900000), {@code lookback.ms} (3600000), {@code record.timeout.ms} (5000),
     * {@code max.wait.ms} (10000).
     */
    public static PreflightConfig fromMap(Map<String, String> map) {
        PreflightConfig d = defaults();
        String enabled = map.getOrDefault(PREFIX + "enabled", "false").trim();
        require(enabled.equals("true") || enabled.equals("false"), "enabled", enabled, "true, false");
        String path = map.get(PREFIX + "rules.path");
        return new PreflightConfig(Boolean.parseBoolean(enabled), path == null || path.isBlank() ? null : Path.of(path.trim()),
                number(map, "ask.timeout.ms", d.askTimeoutMs()), number(map, "episode.open.ms", d.episodeOpenMs()),
                number(map, "lookback.ms", d.lookbackMs()), number(map, "record.timeout.ms", d.recordTimeoutMs()),
                number(map, "max.wait.ms", d.maxWaitMs()));
    }

    private static long number(Map<String, String> map, String key, long fallback) {
        String value = map.get(PREFIX + key);
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid " + PREFIX + key + "=" + value + "; allowed: an integer (milliseconds)");
        }
    }

    private static void require(boolean ok, String key, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + PREFIX + key + "=" + value + "; allowed: " + allowed);
        }
    }
}
