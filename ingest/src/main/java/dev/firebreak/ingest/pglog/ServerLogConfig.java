package dev.firebreak.ingest.pglog;

import dev.firebreak.config.Allowed;
import dev.firebreak.config.DeclaredSettings;
import dev.firebreak.config.DeprecatedKeys;
import dev.firebreak.config.Typed;
import dev.firebreak.ingest.IngestConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Settings of the server-log capture path, which must run where it can read PostgreSQL's data
 * directory (it follows {@code current_logfiles} across rotations).
 *
 * @param positionFile where the read position is kept after Kafka acknowledged what was read; null
 *                     keeps it in memory only (a restart then starts at the end of the current log)
 */
public record ServerLogConfig(String cluster, Path dataDirectory, Duration pollInterval, int statementMaxChars,
                              Path positionFile) {
    public static final String PREFIX = "firebreak.ingest.pglog.";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    /** The server-log path's own keys; cluster, Kafka and registry are ingest's ({@link IngestConfig}). */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(PREFIX + "enabled", Type.BOOLEAN, false, Importance.MEDIUM,
                    "Follow PostgreSQL's JSON server log for what event triggers cannot see (DROP DATABASE, roles,"
                            + " tablespaces). Needs the data directory on this host, so off by default.")
            .define(PREFIX + "data.directory", Type.STRING, null, Importance.MEDIUM,
                    "The PostgreSQL data directory (current_logfiles is followed across rotations); required when enabled.")
            .define(PREFIX + "poll.interval.ms", Type.LONG, 1000L, Allowed.range(1, 10_000), Importance.LOW,
                    "The longest wait between two reads of the log, in ms. The follower wakes as soon as the file"
                            + " system reports a change (inotify), so this only matters where it reports none.")
            .define(PREFIX + "statement.max.chars", Type.INT, 2048, Allowed.of(">= 16", v -> (Integer) v >= 16), Importance.LOW,
                    "Statement text kept per event, in characters.")
            .define(PREFIX + "position.file", Type.STRING, null, Importance.MEDIUM,
                    "Where the read position is kept once Kafka acknowledged what was read; unset: in memory only (a"
                            + " restart then starts at the end of the current log).");

    /** The server-log path's settings, for {@code Settings.check} and the settings reference. */
    public static final class Definition extends DeclaredSettings {
        public Definition() {
            super("ingest", "Server log capture", CONFIG);
        }
    }

    public ServerLogConfig {
        require(cluster != null && NAME.matcher(cluster).matches(), "cluster", cluster, "a name matching " + NAME);
        require(dataDirectory != null, "data.directory", dataDirectory, "the PostgreSQL data directory");
        require(pollInterval != null && !pollInterval.isNegative() && pollInterval.toMillis() >= 1
                && pollInterval.toMillis() <= 10_000, "poll.interval.ms", pollInterval, "1..10000");
        require(statementMaxChars >= 16, "statement.max.chars", statementMaxChars, ">= 16");
    }

    /**
     * Reads {@code firebreak.ingest.pglog.*}; returns null when {@code enabled} is not true, since
     * the path needs a co-located data directory that most deployments of ingest do not have.
     */
    public static ServerLogConfig fromMap(Map<String, String> map) {
        Map<String, String> settings = DeprecatedKeys.canonical(map, IngestConfig.ALIASES);
        AbstractConfig c = Typed.parse(CONFIG, settings);
        if (!c.getBoolean(PREFIX + "enabled")) {
            return null;
        }
        String data = c.getString(PREFIX + "data.directory");
        String position = c.getString(PREFIX + "position.file");
        return new ServerLogConfig(
                settings.getOrDefault(IngestConfig.PREFIX + "cluster", "main"),
                data == null ? null : Path.of(data),
                Duration.ofMillis(c.getLong(PREFIX + "poll.interval.ms")),
                c.getInt(PREFIX + "statement.max.chars"),
                position == null ? null : Path.of(position));
    }

    private static void require(boolean ok, String key, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + PREFIX + key + "=" + value + "; allowed: " + allowed);
        }
    }
}
