package dev.firebreak.ingest.guard;

import dev.firebreak.config.Allowed;
import dev.firebreak.config.DeclaredSettings;
import dev.firebreak.config.Typed;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

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
 *                           capture objects and the slot's retained WAL are checked, and grown tables
 *                           given the UPDATE gate
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

    /** Every key of the guard, worded as the record's own checks. */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(SCOPE, Type.STRING, DEFAULT_SCOPE, after(Allowed.matching(SCOPE_PATTERN, "all, none, members_of:<role>")),
                    Importance.HIGH, "Who is guarded: all non-superuser roles, the members of a role, or none.")
            .define(OBJECTS_MAX, Type.INT, 100, after(Allowed.range(1, 1000)), Importance.LOW,
                    "Objects listed per event; the event keeps the total in attribute objects_total.")
            .define(DML_IMMEDIATE_ROWS, Type.LONG, 100L, after(Allowed.of("1 or more", v -> (Long) v >= 1)), Importance.MEDIUM,
                    "A DELETE/UPDATE changing at least this many rows is emitted at once, before commit; smaller ones at commit.")
            .define(EXPECTED_SUPERUSERS, Type.LIST, List.of(), Importance.LOW,
                    "Superuser login roles that are unguarded on purpose (comma-separated); every other one is warned"
                            + " about at start-up, since superusers cannot be guarded.")
            .define(INTEGRITY_INTERVAL_MS, Type.LONG, 5000L, after(Allowed.range(100, 600_000)), Importance.LOW,
                    "How often the installed capture objects and the slot's retained WAL are checked, in ms; also how"
                            + " soon a table that grew enough for an UPDATE to be judged gets the UPDATE gate (summary mode).")
            .define(STRICT_STALE_AFTER_MS, Type.LONG, 0L, after(Allowed.of("0 (off) or 1000..86400000",
                            v -> (Long) v == 0 || (Long) v >= 1000 && (Long) v <= 86_400_000)), Importance.MEDIUM,
                    "Strict mode: once the oldest required pipeline heartbeat is older than this (ms), guarded roles are"
                            + " refused destructive statements (FB004). 0: off. At least twice heartbeat.interval.ms when on.")
            .define(STRICT_COMPONENTS, Type.LIST, List.of("capture"), after(Allowed.of("one or more of "
                            + String.join(", ", COMPONENTS) + ", comma-separated", v -> nonBlank(v).findAny().isPresent()
                            && nonBlank(v).allMatch(COMPONENTS::contains))), Importance.LOW,
                    "Whose heartbeats strict mode requires.")
            .define(HEARTBEAT_INTERVAL_MS, Type.LONG, 2000L, after(Allowed.range(100, 60_000)), Importance.LOW,
                    "How often capture proves its round trip (a WAL message back through Debezium, a Kafka write) and beats, in ms.")
            .define(ENVIRONMENT, Type.STRING, "production", after(Allowed.matching(ENVIRONMENT_PATTERN, "1 to 32 of a-z 0-9 _ -")),
                    Importance.MEDIUM, "The watched database's environment: attribute target_environment of its events.")
            .define(BLAST_RUN_WINDOW_S, Type.LONG, 3600L, after(Allowed.range(0, 604_800)), Importance.LOW,
                    "How long a relation counts as part of its creator's run (blast attribute blast_created=run), in seconds.");

    /** The guard's settings, for {@code Settings.check} and the settings reference. */
    public static final class Definition extends DeclaredSettings {
        public Definition() {
            super("ingest", "Guard (in the database)", CONFIG);
        }
    }

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
        AbstractConfig c = Typed.parse(CONFIG, map);
        return new GuardConfig(c.getString(SCOPE), c.getInt(OBJECTS_MAX), c.getLong(DML_IMMEDIATE_ROWS),
                list(c, EXPECTED_SUPERUSERS), c.getLong(INTEGRITY_INTERVAL_MS), c.getLong(STRICT_STALE_AFTER_MS),
                list(c, STRICT_COMPONENTS), c.getLong(HEARTBEAT_INTERVAL_MS), c.getString(ENVIRONMENT),
                c.getLong(BLAST_RUN_WINDOW_S));
    }

    private static List<String> list(AbstractConfig c, String key) {
        return c.getList(key).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static java.util.stream.Stream<String> nonBlank(Object list) {
        return ((List<?>) list).stream().map(e -> e.toString().trim()).filter(e -> !e.isEmpty());
    }

    private static Allowed after(Allowed allowed) {
        return allowed.worded(Allowed.Wording.INVALID_AFTER).whenNotOfType((k, v) -> k + "=" + v + " is not an integer");
    }
}
