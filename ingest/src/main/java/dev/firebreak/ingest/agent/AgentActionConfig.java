package dev.firebreak.ingest.agent;

import dev.firebreak.config.Allowed;
import dev.firebreak.config.DeclaredSettings;
import dev.firebreak.config.Typed;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

/**
 * Settings of the agent action paths, read from {@code firebreak.ingest.agent.*} keys (see
 * {@link #fromMap}). Bearer tokens never appear in {@link #toString()}.
 *
 * @param tableEnabled        capture {@code firebreak.agent_actions} with the Debezium engine
 * @param tableInstall        create the table and add it to the publication at start-up (idempotent)
 * @param inputMaxChars       longest accepted {@code input} / HTTP {@code body}; longer records are rejected
 * @param statementMaxChars   the input is kept in the event's {@code statement} up to this length
 * @param httpEnabled         serve {@code POST /v1/actions}
 * @param httpBindAddress     address the endpoint listens on; loopback unless deliberately exposed
 * @param httpPort            port of the endpoint; 0 picks a free one
 * @param httpGrants          accepted bearer tokens, each with the agent ids it may speak for (at least one
 *                            when HTTP is enabled)
 * @param httpMaxBodyBytes    requests with larger bodies get 413 without being read further
 * @param httpMaxBatchRecords batches with more records get 413
 * @param httpThreads         requests handled concurrently (each holds a thread while reading its request)
 * @param httpAckTimeoutMs    how long a request waits for Kafka's acknowledgement before answering 503
 * @param httpMaxClockSkewMs  a record's {@code occurred_at} may be at most this far ahead of the receive time;
 *                            later ones are refused (422 naming {@code occurred_at})
 * @param httpReadTimeoutMs   a request's headers and body must arrive within this time of a thread taking it
 *                            up, or the connection is closed
 * @param httpMaxQueued       requests waiting for a thread beyond this are dropped (connection closed)
 */
public record AgentActionConfig(
        boolean tableEnabled,
        boolean tableInstall,
        int inputMaxChars,
        int statementMaxChars,
        boolean httpEnabled,
        String httpBindAddress,
        int httpPort,
        List<AgentTokenGrant> httpGrants,
        int httpMaxBodyBytes,
        int httpMaxBatchRecords,
        int httpThreads,
        long httpAckTimeoutMs,
        long httpMaxClockSkewMs,
        long httpReadTimeoutMs,
        int httpMaxQueued) {

    public static final String PREFIX = "firebreak.ingest.agent.";
    /** Shorter tokens are refused: a bearer token is the endpoint's only protection. */
    public static final int MIN_TOKEN_CHARS = 16;
    public static final int DEFAULT_PORT = 8095;
    public static final int DEFAULT_THREADS = 16;
    public static final long DEFAULT_MAX_CLOCK_SKEW_MS = 5_000;
    public static final long DEFAULT_READ_TIMEOUT_MS = 10_000;
    private static final AgentActionConfig DEFAULTS = new AgentActionConfig(true, true,
            AgentActionParser.DEFAULT_INPUT_MAX_CHARS, 2048, false, "127.0.0.1", DEFAULT_PORT, List.of(), 1 << 20, 500,
            DEFAULT_THREADS, 30_000, DEFAULT_MAX_CLOCK_SKEW_MS, DEFAULT_READ_TIMEOUT_MS, 64);

    /** Every key of the agent action paths; the record checks the same bounds. */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(PREFIX + "table.enabled", Type.BOOLEAN, DEFAULTS.tableEnabled(), Importance.MEDIUM,
                    "Capture the firebreak.agent_actions table with the Debezium engine.")
            .define(PREFIX + "table.install", Type.BOOLEAN, DEFAULTS.tableInstall(), Importance.LOW,
                    "Create the table and add it to the publication at start-up (idempotent).")
            .define(PREFIX + "input.max.chars", Type.INT, DEFAULTS.inputMaxChars(), Allowed.range(1, 16 << 20), Importance.LOW,
                    "Longest accepted input / HTTP body field, in characters; longer records are rejected.")
            .define(PREFIX + "statement.max.chars", Type.INT, DEFAULTS.statementMaxChars(), Allowed.range(16, 100_000),
                    Importance.LOW, "The input is kept in the event's statement up to this length, so an event always"
                            + " fits Kafka's default 1 MiB record limit.")
            .define(PREFIX + "http.enabled", Type.BOOLEAN, DEFAULTS.httpEnabled(), Importance.HIGH,
                    "Serve POST /v1/actions (and the pre-flight /v1/decisions). Needs http.tokens or http.tokens.file.")
            .define(PREFIX + "http.bind.address", Type.STRING, DEFAULTS.httpBindAddress(), Importance.HIGH,
                    "Address the endpoint listens on; loopback unless deliberately exposed.")
            .define(PREFIX + "http.port", Type.INT, DEFAULTS.httpPort(), Allowed.range(0, 65535), Importance.MEDIUM,
                    "Port of the endpoint; 0 picks a free one.")
            .define(PREFIX + "http.tokens", Type.PASSWORD, null, Importance.HIGH,
                    "Accepted bearer tokens, comma-separated " + AgentTokenGrant.SYNTAX + " entries: each token with the"
                            + " agent ids it may speak for. A secret: use ${env:NAME} or ${dir:/run/secrets:name}.")
            .define(PREFIX + "http.tokens.file", Type.STRING, null, Importance.HIGH,
                    "A file of such entries, one per line, # comments; read with http.tokens.")
            .define(PREFIX + "http.max.body.bytes", Type.INT, DEFAULTS.httpMaxBodyBytes(), Allowed.range(256, 64 << 20),
                    Importance.LOW, "Requests with larger bodies get 413 without being read further.")
            .define(PREFIX + "http.max.batch.records", Type.INT, DEFAULTS.httpMaxBatchRecords(), Allowed.range(1, 100_000),
                    Importance.LOW, "Batches with more records get 413.")
            .define(PREFIX + "http.threads", Type.INT, DEFAULTS.httpThreads(), Allowed.range(1, 256), Importance.LOW,
                    "Requests handled concurrently (each holds a thread while reading its request).")
            .define(PREFIX + "http.ack.timeout.ms", Type.INT, (int) DEFAULTS.httpAckTimeoutMs(), Allowed.atLeast(1),
                    Importance.LOW, "How long a request waits for Kafka's acknowledgement before answering 503, in ms.")
            .define(PREFIX + "http.max.clock.skew.ms", Type.INT, (int) DEFAULTS.httpMaxClockSkewMs(),
                    Allowed.of("0..3600000 (milliseconds)", v -> (Integer) v >= 0 && (Integer) v <= 3_600_000), Importance.LOW,
                    "A record's occurred_at may be at most this far ahead of the receive time; later ones get 422.")
            .define(PREFIX + "http.read.timeout.ms", Type.INT, (int) DEFAULTS.httpReadTimeoutMs(),
                    Allowed.of("100..600000 (milliseconds)", v -> (Integer) v >= 100 && (Integer) v <= 600_000), Importance.LOW,
                    "A request's headers and body must arrive within this time of a thread taking it up, or the"
                            + " connection is closed (slow clients cannot hold threads).")
            .define(PREFIX + "http.max.queued", Type.INT, DEFAULTS.httpMaxQueued(), Allowed.range(0, 10_000), Importance.LOW,
                    "Requests waiting for a thread beyond this are dropped (connection closed).");

    /** The agent paths' settings, for {@code Settings.check} and the settings reference. */
    public static final class Definition extends DeclaredSettings {
        public Definition() {
            super("ingest", "Agent actions (table and HTTP)", CONFIG);
        }
    }

    public AgentActionConfig {
        require(inputMaxChars >= 1 && inputMaxChars <= 16 << 20, "input.max.chars", inputMaxChars, "1..16777216");
        // Bounded so an event always fits Kafka's default 1 MiB record limit.
        require(statementMaxChars >= 16 && statementMaxChars <= 100_000, "statement.max.chars", statementMaxChars, "16..100000");
        require(httpBindAddress != null && !httpBindAddress.isBlank(), "http.bind.address", httpBindAddress, "a host or address");
        require(httpPort >= 0 && httpPort < 65536, "http.port", httpPort, "0..65535 (0: any free port)");
        require(httpMaxBodyBytes >= 256 && httpMaxBodyBytes <= 64 << 20, "http.max.body.bytes", httpMaxBodyBytes, "256..67108864");
        require(httpMaxBatchRecords >= 1 && httpMaxBatchRecords <= 100_000, "http.max.batch.records", httpMaxBatchRecords, "1..100000");
        require(httpThreads >= 1 && httpThreads <= 256, "http.threads", httpThreads, "1..256");
        require(httpAckTimeoutMs >= 1, "http.ack.timeout.ms", httpAckTimeoutMs, ">= 1");
        require(httpMaxClockSkewMs >= 0 && httpMaxClockSkewMs <= 3_600_000, "http.max.clock.skew.ms", httpMaxClockSkewMs,
                "0..3600000 (milliseconds)");
        require(httpReadTimeoutMs >= 100 && httpReadTimeoutMs <= 600_000, "http.read.timeout.ms", httpReadTimeoutMs,
                "100..600000 (milliseconds)");
        require(httpMaxQueued >= 0 && httpMaxQueued <= 10_000, "http.max.queued", httpMaxQueued, "0..10000");
        httpGrants = List.copyOf(httpGrants);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (AgentTokenGrant grant : httpGrants) {
            String token = grant.token();
            // the value is never echoed: it is a secret
            require(token.length() >= MIN_TOKEN_CHARS && token.chars().noneMatch(c -> c <= ' ' || c == 0x7f || c == ':' || c == ','),
                    "http.tokens", "<redacted>", "tokens of at least " + MIN_TOKEN_CHARS + " visible characters, without ':' or ','");
            require(seen.add(token), "http.tokens", "<redacted>", "each token once (one token is listed twice; give it "
                    + "every agent pattern in one entry)");
        }
        require(!httpEnabled || !httpGrants.isEmpty(), "http.tokens", "<none>", "at least one token when http.enabled=true: "
                + AgentTokenGrant.SYNTAX);
    }

    /** The accepted tokens (secrets: never log them), in configuration order. */
    public List<String> httpTokens() {
        return httpGrants.stream().map(AgentTokenGrant::token).toList();
    }

    /** Table capture on (and installed), HTTP off: what {@link #fromMap} yields for an empty map. */
    public static AgentActionConfig defaults() {
        return DEFAULTS;
    }

    /** Neither path: the capture behaves as it did before agent actions existed. */
    public static AgentActionConfig disabled() {
        return defaults().withTable(false, false);
    }

    /** A copy with the table path switched. */
    public AgentActionConfig withTable(boolean enabled, boolean install) {
        return new AgentActionConfig(enabled, install, inputMaxChars, statementMaxChars, httpEnabled, httpBindAddress,
                httpPort, httpGrants, httpMaxBodyBytes, httpMaxBatchRecords, httpThreads, httpAckTimeoutMs,
                httpMaxClockSkewMs, httpReadTimeoutMs, httpMaxQueued);
    }

    /** A copy with the HTTP endpoint enabled on {@code bindAddress:port} accepting {@code grants}. */
    public AgentActionConfig withHttp(String bindAddress, int port, List<AgentTokenGrant> grants) {
        return new AgentActionConfig(tableEnabled, tableInstall, inputMaxChars, statementMaxChars, true, bindAddress,
                port, grants, httpMaxBodyBytes, httpMaxBatchRecords, httpThreads, httpAckTimeoutMs,
                httpMaxClockSkewMs, httpReadTimeoutMs, httpMaxQueued);
    }

    /** A copy with other size limits. */
    public AgentActionConfig withLimits(int inputMaxChars, int maxBodyBytes, int maxBatchRecords) {
        return new AgentActionConfig(tableEnabled, tableInstall, inputMaxChars, statementMaxChars, httpEnabled,
                httpBindAddress, httpPort, httpGrants, maxBodyBytes, maxBatchRecords, httpThreads, httpAckTimeoutMs,
                httpMaxClockSkewMs, httpReadTimeoutMs, httpMaxQueued);
    }

    /** A copy with other concurrency and time bounds. */
    public AgentActionConfig withBounds(int threads, int maxQueued, long readTimeoutMs, long maxClockSkewMs) {
        return new AgentActionConfig(tableEnabled, tableInstall, inputMaxChars, statementMaxChars, httpEnabled,
                httpBindAddress, httpPort, httpGrants, httpMaxBodyBytes, httpMaxBatchRecords, threads, httpAckTimeoutMs,
                maxClockSkewMs, readTimeoutMs, maxQueued);
    }

    /**
     * Reads {@code firebreak.ingest.agent.*}: {@code table.enabled} (true), {@code table.install}
     * (true), {@code input.max.chars} (65536), {@code statement.max.chars} (2048),
     * {@code http.enabled} (false), {@code http.bind.address} (127.0.0.1), {@code http.port} (8095),
     * {@code http.tokens} (comma-separated {@code <token>:<agent>[|<agent>...]} entries, see
     * {@link AgentTokenGrant}) and/or {@code http.tokens.file} (one such entry per line, {@code #} comments),
     * {@code http.max.body.bytes} (1048576), {@code http.max.batch.records} (500),
     * {@code http.threads} (16), {@code http.ack.timeout.ms} (30000), {@code http.max.clock.skew.ms} (5000),
     * {@code http.read.timeout.ms} (10000), {@code http.max.queued} (64).
     */
    public static AgentActionConfig fromMap(Map<String, String> map) {
        AbstractConfig c = Typed.parse(CONFIG, map);
        return new AgentActionConfig(
                c.getBoolean(PREFIX + "table.enabled"),
                c.getBoolean(PREFIX + "table.install"),
                c.getInt(PREFIX + "input.max.chars"),
                c.getInt(PREFIX + "statement.max.chars"),
                c.getBoolean(PREFIX + "http.enabled"),
                c.getString(PREFIX + "http.bind.address"),
                c.getInt(PREFIX + "http.port"),
                tokens(c),
                c.getInt(PREFIX + "http.max.body.bytes"),
                c.getInt(PREFIX + "http.max.batch.records"),
                c.getInt(PREFIX + "http.threads"),
                c.getInt(PREFIX + "http.ack.timeout.ms"),
                c.getInt(PREFIX + "http.max.clock.skew.ms"),
                c.getInt(PREFIX + "http.read.timeout.ms"),
                c.getInt(PREFIX + "http.max.queued"));
    }

    @Override
    public String toString() {
        return "AgentActionConfig[table=" + tableEnabled + ", install=" + tableInstall + ", inputMaxChars=" + inputMaxChars
                + ", http=" + httpEnabled + (httpEnabled ? "@" + httpBindAddress + ":" + httpPort : "")
                + ", tokens=" + httpGrants.size() + " (redacted), maxBodyBytes=" + httpMaxBodyBytes
                + ", maxBatchRecords=" + httpMaxBatchRecords + ", threads=" + httpThreads + ", maxQueued=" + httpMaxQueued
                + ", readTimeoutMs=" + httpReadTimeoutMs + ", maxClockSkewMs=" + httpMaxClockSkewMs + "]";
    }

    private static List<AgentTokenGrant> tokens(AbstractConfig c) {
        List<AgentTokenGrant> grants = new ArrayList<>();
        Password secret = c.getPassword(PREFIX + "http.tokens");
        String inline = secret == null ? null : secret.value();
        if (inline != null) {
            List<String> entries = Arrays.stream(inline.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
            for (int i = 0; i < entries.size(); i++) {
                grants.add(grant(entries.get(i), PREFIX + "http.tokens", "entry " + (i + 1)));
            }
        }
        String file = c.getString(PREFIX + "http.tokens.file");
        if (file != null && !file.isBlank()) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of(file.trim()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + PREFIX + "http.tokens.file=" + file, e);
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).trim();
                if (!line.isEmpty() && !line.startsWith("#")) {
                    grants.add(grant(line, PREFIX + "http.tokens.file=" + file.trim(), "line " + (i + 1)));
                }
            }
        }
        return grants;
    }

    private static AgentTokenGrant grant(String entry, String key, String where) {
        try {
            return AgentTokenGrant.parse(entry);
        } catch (IllegalArgumentException e) {
            // The old form (a bare token) is refused rather than read as "every agent": a token must say
            // whom it speaks for, and a default of "nobody" would only turn a deploy into a stream of 403s.
            throw new IllegalArgumentException("invalid " + key + " (" + where + "): " + e.getMessage(), e);
        }
    }

    private static void require(boolean ok, String key, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + PREFIX + key + "=" + value + "; allowed: " + allowed);
        }
    }
}
