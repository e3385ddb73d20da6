package dev.firebreak.ingest.preflight;

import dev.firebreak.config.Allowed;
import dev.firebreak.config.DeclaredSettings;
import dev.firebreak.config.Typed;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

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
    private static final PreflightConfig DEFAULTS = new PreflightConfig(false, null, 300_000, 900_000, 3_600_000, 5_000, 10_000);

    /** Every key of the pre-flight endpoint; the record checks the same bounds. */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(PREFIX + "enabled", Type.BOOLEAN, false, Importance.MEDIUM,
                    "Serve /v1/decisions on the agent action endpoint: agents ask before a destructive call.")
            .define(PREFIX + "rules.path", Type.STRING, null, Importance.MEDIUM,
                    "A rule file or folder with decisions: sections; unset: the bundled rules.")
            .define(PREFIX + "ask.timeout.ms", Type.LONG, DEFAULTS.askTimeoutMs(), ms(1000, 86_400_000L), Importance.MEDIUM,
                    "An ask not answered by an operator within this time is expired (refused), in ms.")
            .define(PREFIX + "episode.open.ms", Type.LONG, DEFAULTS.episodeOpenMs(), ms(1000, 86_400_000L), Importance.LOW,
                    "An alert keeps its principal's episode open this long, in ms.")
            .define(PREFIX + "lookback.ms", Type.LONG, DEFAULTS.lookbackMs(), ms(60_000, 7 * 86_400_000L), Importance.LOW,
                    "At start-up, state is rebuilt from this far back in the topics, in ms; at least the longest"
                            + " attempts_window of the decision rules.")
            .define(PREFIX + "record.timeout.ms", Type.LONG, DEFAULTS.recordTimeoutMs(), ms(100, 60_000), Importance.LOW,
                    "How long a deny or ask waits for Kafka to acknowledge its record, in ms.")
            .define(PREFIX + "max.wait.ms", Type.LONG, DEFAULTS.maxWaitMs(), ms(0, 30_000), Importance.LOW,
                    "The longest a client's GET /v1/decisions/<id>?wait_ms= is held, in ms.");

    /** The pre-flight settings, for {@code Settings.check} and the settings reference. */
    public static final class Definition extends DeclaredSettings {
        public Definition() {
            super("ingest", "Pre-flight decisions", CONFIG);
        }
    }

    public PreflightConfig {
        require(askTimeoutMs >= 1000 && askTimeoutMs <= 86_400_000L, "ask.timeout.ms", askTimeoutMs, "1000..86400000");
        require(episodeOpenMs >= 1000 && episodeOpenMs <= 86_400_000L, "episode.open.ms", episodeOpenMs, "1000..86400000");
        require(lookbackMs >= 60_000 && lookbackMs <= 7 * 86_400_000L, "lookback.ms", lookbackMs, "60000..604800000");
        require(recordTimeoutMs >= 100 && recordTimeoutMs <= 60_000, "record.timeout.ms", recordTimeoutMs, "100..60000");
        require(maxWaitMs >= 0 && maxWaitMs <= 30_000, "max.wait.ms", maxWaitMs, "0..30000");
    }

    /** Off, with the defaults. */
    public static PreflightConfig defaults() {
        return DEFAULTS;
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
        AbstractConfig c = Typed.parse(CONFIG, map);
        String path = c.getString(PREFIX + "rules.path");
        return new PreflightConfig(c.getBoolean(PREFIX + "enabled"), path == null || path.isBlank() ? null : Path.of(path),
                c.getLong(PREFIX + "ask.timeout.ms"), c.getLong(PREFIX + "episode.open.ms"), c.getLong(PREFIX + "lookback.ms"),
                c.getLong(PREFIX + "record.timeout.ms"), c.getLong(PREFIX + "max.wait.ms"));
    }

    private static Allowed ms(long min, long max) {
        return Allowed.range(min, max);
    }

    private static void require(boolean ok, String key, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + PREFIX + key + "=" + value + "; allowed: " + allowed);
        }
    }
}
