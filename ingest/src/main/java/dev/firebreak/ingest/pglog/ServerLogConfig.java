package dev.firebreak.ingest.pglog;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Settings of the server-log capture path, which must run where it can read PostgreSQL's data
 * directory (it follows {@code current_logfiles} across rotations).
 *
 * @param positionFile where the read position is kept after Kafka acknowledged what was read; null
 *                     keeps it in memory only (a restart then starts at the end of the current log)
 * @param client       ingest's Kafka client settings ({@code firebreak.ingest.client.*}), e.g. its SASL credentials
 */
public record ServerLogConfig(String cluster, Path dataDirectory, Duration pollInterval, int statementMaxChars,
                              Path positionFile, String bootstrapServers, String registryUrl, Map<String, String> client) {
    public static final String PREFIX = "firebreak.ingest.pglog.";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    public ServerLogConfig {
        require(cluster != null && NAME.matcher(cluster).matches(), "cluster", cluster, "a name matching " + NAME);
        require(dataDirectory != null, "data.directory", dataDirectory, "the PostgreSQL data directory");
        require(pollInterval != null && !pollInterval.isNegative() && pollInterval.toMillis() >= 1
                && pollInterval.toMillis() <= 10_000, "poll.interval.ms", pollInterval, "1..10000");
        require(statementMaxChars >= 16, "statement.max.chars", statementMaxChars, ">= 16");
        require(bootstrapServers != null && !bootstrapServers.isBlank(), "kafka.bootstrap.servers", bootstrapServers, "host:port[,host:port]");
        require(registryUrl != null && !registryUrl.isBlank(), "schema.registry.url", registryUrl, "http(s)://... or mem://<scope>");
        client = Map.copyOf(client == null ? Map.of() : client);
    }

    /** Without client settings (an unauthenticated cluster). */
    public ServerLogConfig(String cluster, Path dataDirectory, Duration pollInterval, int statementMaxChars,
                           Path positionFile, String bootstrapServers, String registryUrl) {
        this(cluster, dataDirectory, pollInterval, statementMaxChars, positionFile, bootstrapServers, registryUrl, Map.of());
    }

    /**
     * Reads {@code firebreak.ingest.pglog.*}; returns null when {@code enabled} is not true, since
     * the path needs a co-located data directory that most deployments of ingest do not have.
     */
    public static ServerLogConfig fromMap(Map<String, String> map) {
        String enabled = map.getOrDefault(PREFIX + "enabled", "false").trim();
        require(enabled.equals("true") || enabled.equals("false"), "enabled", enabled, "true, false");
        if (!Boolean.parseBoolean(enabled)) {
            return null;
        }
        String position = map.get(PREFIX + "position.file");
        return new ServerLogConfig(
                map.getOrDefault("firebreak.ingest.cluster", "main"),
                map.containsKey(PREFIX + "data.directory") ? Path.of(map.get(PREFIX + "data.directory")) : null,
                Duration.ofMillis(parse(map, "poll.interval.ms", "5")),
                (int) parse(map, "statement.max.chars", "2048"),
                position == null ? null : Path.of(position),
                map.get("firebreak.ingest.kafka.bootstrap.servers"),
                map.get("firebreak.ingest.schema.registry.url"),
                dev.firebreak.config.PassThrough.clientSettings(map, "firebreak.ingest."));
    }

    private static long parse(Map<String, String> map, String key, String fallback) {
        String value = map.getOrDefault(PREFIX + key, fallback);
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid " + PREFIX + key + "=" + value + "; allowed: an integer");
        }
    }

    private static void require(boolean ok, String key, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + PREFIX + key + "=" + value + "; allowed: " + allowed);
        }
    }
}
