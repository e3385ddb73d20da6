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
 */
public record GuardConfig(String scope, int objectsMax, long dmlImmediateRows, List<String> expectedSuperusers,
                          long integrityIntervalMs) {
    public static final String PREFIX = "firebreak.ingest.";
    public static final String SCOPE = PREFIX + "guard.scope";
    public static final String OBJECTS_MAX = PREFIX + "objects.max";
    public static final String DML_IMMEDIATE_ROWS = PREFIX + "dml.immediate.rows";
    public static final String EXPECTED_SUPERUSERS = PREFIX + "guard.expected.superusers";
    public static final String INTEGRITY_INTERVAL_MS = PREFIX + "integrity.interval.ms";
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
                Arrays.stream(map.getOrDefault(EXPECTED_SUPERUSERS, "").split(","))
                        .map(String::trim).filter(s -> !s.isEmpty()).toList(),
                number(map, INTEGRITY_INTERVAL_MS, "5000"));
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
