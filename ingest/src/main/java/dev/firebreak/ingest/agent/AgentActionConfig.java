package dev.firebreak.ingest.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

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
 * @param httpTokens          accepted bearer tokens (at least one when HTTP is enabled)
 * @param httpMaxBodyBytes    requests with larger bodies get 413 without being read further
 * @param httpMaxBatchRecords batches with more records get 413
 * @param httpThreads         requests handled concurrently
 * @param httpAckTimeoutMs    how long a request waits for Kafka's acknowledgement before answering 503
 */
public record AgentActionConfig(
        boolean tableEnabled,
        boolean tableInstall,
        int inputMaxChars,
        int statementMaxChars,
        boolean httpEnabled,
        String httpBindAddress,
        int httpPort,
        List<String> httpTokens,
        int httpMaxBodyBytes,
        int httpMaxBatchRecords,
        int httpThreads,
        long httpAckTimeoutMs) {

    public static final String PREFIX = "firebreak.ingest.agent.";
    /** Shorter tokens are refused: a bearer token is the endpoint's only protection. */
    public static final int MIN_TOKEN_CHARS = 16;
    public static final int DEFAULT_PORT = 8095;

    public AgentActionConfig {
        require(inputMaxChars >= 1 && inputMaxChars <= 16 << 20, "input.max.chars", inputMaxChars, "1..16777216");
        // Bounded so an event always fits Kafka's default 1 MiB record limit.
        require(statementMaxChars >= 16 && statementMaxChars <= 100_000, "statement.max.chars", statementMaxChars, "16..100000");
        require(httpBindAddress != null && !httpBindAddress.isBlank(), "http.bind.address", httpBindAddress, "a host or address");
        require(httpPort >= 0 && httpPort < 65536, "http.port", httpPort, "0..65535 (0: any free port)");
        require(httpMaxBodyBytes >= 256 && httpMaxBodyBytes <= 64 << 20, "http.max.body.bytes", httpMaxBodyBytes, "256..67108864");
        require(httpMaxBatchRecords >= 1 && httpMaxBatchRecords <= 100_000, "http.max.batch.records", httpMaxBatchRecords, "1..100000");
        require(httpThreads >= 1 && httpThreads <= 64, "http.threads", httpThreads, "1..64");
        require(httpAckTimeoutMs >= 1, "http.ack.timeout.ms", httpAckTimeoutMs, ">= 1");
        httpTokens = List.copyOf(httpTokens);
        for (String token : httpTokens) {
            // the value is never echoed: it is a secret
            require(token.length() >= MIN_TOKEN_CHARS && token.chars().noneMatch(c -> c <= ' ' || c == 0x7f),
                    "http.tokens", "<redacted>", "tokens of at least " + MIN_TOKEN_CHARS + " visible characters");
        }
        require(!httpEnabled || !httpTokens.isEmpty(), "http.tokens", "<none>", "at least one token when http.enabled=true");
    }

    /** Table capture on (and installed), HTTP off: what {@link #fromMap} yields for an empty map. */
    public static AgentActionConfig defaults() {
        return new AgentActionConfig(true, true, AgentActionParser.DEFAULT_INPUT_MAX_CHARS, 2048, false, "127.0.0.1",
                DEFAULT_PORT, List.of(), 1 << 20, 500, 4, 30_000);
    }

    /** Neither path: the capture behaves as it did before agent actions existed. */
    public static AgentActionConfig disabled() {
        return defaults().withTable(false, false);
    }

    /** A copy with the table path switched. */
    public AgentActionConfig withTable(boolean enabled, boolean install) {
        return new AgentActionConfig(enabled, install, inputMaxChars, statementMaxChars, httpEnabled, httpBindAddress,
                httpPort, httpTokens, httpMaxBodyBytes, httpMaxBatchRecords, httpThreads, httpAckTimeoutMs);
    }

    /** A copy with the HTTP endpoint enabled on {@code bindAddress:port} accepting {@code tokens}. */
    public AgentActionConfig withHttp(String bindAddress, int port, List<String> tokens) {
        return new AgentActionConfig(tableEnabled, tableInstall, inputMaxChars, statementMaxChars, true, bindAddress,
                port, tokens, httpMaxBodyBytes, httpMaxBatchRecords, httpThreads, httpAckTimeoutMs);
    }

    /** A copy with other size limits. */
    public AgentActionConfig withLimits(int inputMaxChars, int maxBodyBytes, int maxBatchRecords) {
        return new AgentActionConfig(tableEnabled, tableInstall, inputMaxChars, statementMaxChars, httpEnabled,
                httpBindAddress, httpPort, httpTokens, maxBodyBytes, maxBatchRecords, httpThreads, httpAckTimeoutMs);
    }

    /**
     * Reads {@code firebreak.ingest.agent.*}: {@code table.enabled} (true), {@code table.install}
     * (true), {@code input.max.chars} (65536), {@code statement.max.chars} (2048),
     * {@code http.enabled} (false), {@code http.bind.address} (127.0.0.1), {@code http.port} (8095),
     * {@code http.tokens} (comma-separated) and/or {@code http.tokens.file} (one token per line),
     * {@code http.max.body.bytes} (1048576), {@code http.max.batch.records} (500),
     * {@code http.threads} (4), {@code http.ack.timeout.ms} (30000).
     */
    public static AgentActionConfig fromMap(Map<String, String> map) {
        AgentActionConfig d = defaults();
        return new AgentActionConfig(
                bool(map, "table.enabled", d.tableEnabled()),
                bool(map, "table.install", d.tableInstall()),
                integer(map, "input.max.chars", d.inputMaxChars()),
                integer(map, "statement.max.chars", d.statementMaxChars()),
                bool(map, "http.enabled", d.httpEnabled()),
                map.getOrDefault(PREFIX + "http.bind.address", d.httpBindAddress()),
                integer(map, "http.port", d.httpPort()),
                tokens(map),
                integer(map, "http.max.body.bytes", d.httpMaxBodyBytes()),
                integer(map, "http.max.batch.records", d.httpMaxBatchRecords()),
                integer(map, "http.threads", d.httpThreads()),
                integer(map, "http.ack.timeout.ms", (int) d.httpAckTimeoutMs()));
    }

    @Override
    public String toString() {
        return "AgentActionConfig[table=" + tableEnabled + ", install=" + tableInstall + ", inputMaxChars=" + inputMaxChars
                + ", http=" + httpEnabled + (httpEnabled ? "@" + httpBindAddress + ":" + httpPort : "")
                + ", tokens=" + httpTokens.size() + " (redacted), maxBodyBytes=" + httpMaxBodyBytes
                + ", maxBatchRecords=" + httpMaxBatchRecords + "]";
    }

    private static List<String> tokens(Map<String, String> map) {
        List<String> tokens = new ArrayList<>();
        String inline = map.get(PREFIX + "http.tokens");
        if (inline != null) {
            Arrays.stream(inline.split(",")).map(String::trim).filter(t -> !t.isEmpty()).forEach(tokens::add);
        }
        String file = map.get(PREFIX + "http.tokens.file");
        if (file != null && !file.isBlank()) {
            try {
                Files.readAllLines(Path.of(file.trim())).stream().map(String::trim)
                        .filter(t -> !t.isEmpty() && !t.startsWith("#")).forEach(tokens::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + PREFIX + "http.tokens.file=" + file, e);
            }
        }
        return tokens;
    }

    private static boolean bool(Map<String, String> map, String key, boolean fallback) {
        String value = map.get(PREFIX + key);
        if (value == null) {
            return fallback;
        }
        require(value.trim().equals("true") || value.trim().equals("false"), key, value, "true, false");
        return Boolean.parseBoolean(value.trim());
    }

    private static int integer(Map<String, String> map, String key, int fallback) {
        String value = map.get(PREFIX + key);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + "=" + value + " is not an integer");
        }
    }

    private static void require(boolean ok, String key, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + PREFIX + key + "=" + value + "; allowed: " + allowed);
        }
    }
}
