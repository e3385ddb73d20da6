package dev.firebreak.ingest.guard;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Settings of the in-database guard, {@code firebreak.ingest.guard.*} and two capture settings the
 * trigger functions read.
 *
 * @param scope              ({@code guard.scope}) who is guarded: {@code all} non-superuser roles,
 *                           {@code members_of:<role>} (default {@code members_of:firebreak_guarded}),
 *                           or {@code none}
 * @param objectsMax         ({@code objects.max}, default 100) objects listed per event; the event
 *                           keeps the total in attribute {@code objects_total}
 * @param dmlImmediateRows   ({@code dml.immediate.rows}, default 100) a DELETE/UPDATE changing at
 *                           least this many rows is emitted at once, before commit; smaller ones at commit
 * @param expectedSuperusers ({@code guard.expected.superusers}, comma-separated) superuser login roles
 *                           that are unguarded on purpose; every other one is warned about at start-up
 * @param integrityIntervalMs ({@code integrity.interval.ms}, default 5000) how often the installed
 *                           capture objects and the slot's retained WAL are checked
 * @param strictStaleAfterMs ({@code guard.strict.stale.after.ms}, default 0 = off) strict mode: once the
 *                           oldest required pipeline heartbeat is older than this, guarded roles are
 *                           refused destructive statements (FB004); 1000..86400000 and at least twice
 *                           {@code heartbeat.interval.ms} when on
 * @param strictComponents   ({@code guard.strict.components}, comma-separated, default {@code capture})
 *                           whose heartbeats strict mode requires: {@code capture}, {@code killswitch}
 * @param heartbeatIntervalMs ({@code heartbeat.interval.ms}, default 2000) how often capture proves its
 *                           round trip (a WAL message back through Debezium, a Kafka write) and beats
 * @param environment        ({@code environment}, default {@code production}) the watched database's
 *                           environment: attribute {@code target_environment} of its events
 * @param blastRunWindowS    ({@code blast.run.window.s}, default 3600) how long a relation counts as
 *                           part of its creator's run (blast attribute {@code blast_created=run})
 */
public record GuardConfig(String scope, int objectsMax, long dmlImmediateRows, List<String> expectedSuperusers,
                          long integrityIntervalMs, long strictStaleAfterMs, List<String> strictComponents,
                          long heartbeatIntervalMs, String environment, long blastRunWindowS) {
    public static final String PREFIX = "firebreak.ingest.";
    public static final String SCOPE = PREFIX + "guard.scope";
    public static final String OBJECTS_MAX = PREFIX + "objects.max";
    public static final String DML_IMMEDIATE_ROWS = PREFIX + "dml.immediate.rows";
    public static final String EXPECTED_SUPERUSERS = PREFIX + "guard.expected.superusers";
    public static final String INTEGRITY_INTERVAL_MS = PREFIX + "integrity.interval.ms";
    public static final String STRICT_STALE_AFTER_MS = PREFIX + "guard.strict.stale.after.ms";
    public static final String STRICT_COMPONENTS = PREFIX + "guard.strict.components";
    public static final String HEARTBEAT_INTERVAL_MS = PREFIX + "heartbeat.interval.ms";
    public static final String ENVIRONMENT = PREFIX + "environment";
    public static final String BLAST_RUN_WINDOW_S = PREFIX + "blast.run.window.s";
    private static final Pattern ENVIRONMENT_PATTERN = Pattern.compile("[a-z0-9_-]{1,32}");
    /** The pipeline components that beat into {@code firebreak.heartbeat}. */
    public static final List<String> COMPONENTS = List.of("capture", "killswitch");
    public static final String DEFAULT_SCOPE = "members_of:firebreak_guarded";
    private static final Pattern SCOPE_PATTERN = Pattern.compile("all|none|members_of:[^\\s,]{1,63}");

    public GuardConfig {
        if (scope == null || !SCOPE_PATTERN.matcher(scope).matches()) {
            throw new IllegalArgumentException(SCOPE + "=" + scope + " is invalid; allowed: all, none, members_of:<role>");
        }
        if (objectsMax < 1 || objectsMax > 1000) {
            throw new IllegalArgumentException(OBJECTS_MAX + "=" + objectsMax + " is invalid; allowed: 1..1000");
        }
        if (dmlImmediateRows < 1) {
            throw new IllegalArgumentException(DML_IMMEDIATE_ROWS + "=" + dmlImmediateRows + " is invalid; allowed: 1 or more");
        }
        expectedSuperusers = List.copyOf(expectedSuperusers);
        if (integrityIntervalMs < 100 || integrityIntervalMs > 600_000) {
            throw new IllegalArgumentException(INTEGRITY_INTERVAL_MS + "=" + integrityIntervalMs + " is invalid; allowed: 100..600000");
        }
        if (heartbeatIntervalMs < 100 || heartbeatIntervalMs > 60_000) {
            throw new IllegalArgumentException(HEARTBEAT_INTERVAL_MS + "=" + heartbeatIntervalMs + " is invalid; allowed: 100..60000");
        }
        validateStrict(strictStaleAfterMs, heartbeatIntervalMs);
        if (environment == null || !ENVIRONMENT_PATTERN.matcher(environment).matches()) {
            throw new IllegalArgumentException(ENVIRONMENT + "=" + environment + " is invalid; allowed: 1 to 32 of a-z 0-9 _ -");
        }
        if (blastRunWindowS < 0 || blastRunWindowS > 604_800) {
            throw new IllegalArgumentException(BLAST_RUN_WINDOW_S + "=" + blastRunWindowS + " is invalid; allowed: 0..604800");
        }
        strictComponents = List.copyOf(strictComponents);
        if (strictComponents.isEmpty() || !COMPONENTS.containsAll(strictComponents)) {
            throw new IllegalArgumentException(STRICT_COMPONENTS + "=" + String.join(",", strictComponents)
                    + " is invalid; allowed: one or more of " + String.join(", ", COMPONENTS) + ", comma-separated");
        }
    }

    // A threshold below two beats would refuse whenever one beat is a little late on a loaded host.
    private static void validateStrict(long staleAfterMs, long heartbeatIntervalMs) {
        if (staleAfterMs == 0) {
            return;
        }
        if (staleAfterMs < 1_000 || staleAfterMs > 86_400_000) {
            throw new IllegalArgumentException(STRICT_STALE_AFTER_MS + "=" + staleAfterMs
                    + " is invalid; allowed: 0 (off) or 1000..86400000");
        }
        if (staleAfterMs < 2 * heartbeatIntervalMs) {
            throw new IllegalArgumentException(STRICT_STALE_AFTER_MS + "=" + staleAfterMs + " is invalid; allowed: 0 (off) or at least twice "
                    + HEARTBEAT_INTERVAL_MS + " (" + heartbeatIntervalMs + ")");
        }
    }

    /** Whether strict mode is on. */
    public boolean strict() {
        return strictStaleAfterMs > 0;
    }

    /** The defaults: members of firebreak_guarded are guarded. */
    public static GuardConfig defaults() {
        return fromMap(Map.of());
    }

    /** Reads the keys above from a flat map; a bad value fails naming the key and what is allowed. */
    public static GuardConfig fromMap(Map<String, String> map) {
        return new GuardConfig(map.getOrDefault(SCOPE, DEFAULT_SCOPE).trim(),
                number(map, OBJECTS_MAX, "100").intValue(),
                number(map, DML_IMMEDIATE_ROWS, "100"),
                list(map, EXPECTED_SUPERUSERS, ""),
                number(map, INTEGRITY_INTERVAL_MS, "5000"),
                number(map, STRICT_STALE_AFTER_MS, "0"),
                list(map, STRICT_COMPONENTS, "capture"),
                number(map, HEARTBEAT_INTERVAL_MS, "2000"),
                map.getOrDefault(ENVIRONMENT, "production").trim(),
                number(map, BLAST_RUN_WINDOW_S, "3600"));
    }

    private static List<String> list(Map<String, String> map, String key, String fallback) {
        return Arrays.stream(map.getOrDefault(key, fallback).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static Long number(Map<String, String> map, String key, String fallback) {
        String value = map.getOrDefault(key, fallback).trim();
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + value + " is not an integer");
        }
    }
}
