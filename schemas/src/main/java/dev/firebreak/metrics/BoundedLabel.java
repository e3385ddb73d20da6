package dev.firebreak.metrics;

import dev.firebreak.config.Allowed;
import dev.firebreak.config.DeclaredSettings;
import dev.firebreak.config.Typed;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Keeps a metric label's cardinality bounded: the first {@code limit} distinct values keep their
 * own label value, every later one becomes {@value #OTHER}. Used for the {@code principal} label,
 * the only label that carries an identity: a flood of fresh principals (an attacker minting tokens)
 * must not blow up the metrics store. Thread-safe; a value once admitted stays admitted.
 */
public final class BoundedLabel {
    /** The label value every value beyond the limit shares. */
    public static final String OTHER = "_other";
    /** Setting: how many distinct principals keep their own label value. */
    public static final String PRINCIPAL_LIMIT_KEY = "firebreak.metrics.principal.label.limit";
    public static final int DEFAULT_PRINCIPAL_LIMIT = 200;
    /** Far above what a dashboard can show, far below what hurts Prometheus. */
    public static final int MAX_LIMIT = 10_000;

    /** The metrics keys every stage reads. */
    public static final ConfigDef CONFIG = new ConfigDef().define(PRINCIPAL_LIMIT_KEY, ConfigDef.Type.INT,
            DEFAULT_PRINCIPAL_LIMIT, Allowed.of("an integer 0.." + MAX_LIMIT, v -> (Integer) v >= 0 && (Integer) v <= MAX_LIMIT),
            ConfigDef.Importance.LOW, "How many distinct principals keep their own value of the principal metric label;"
                    + " every later one shares " + OTHER + ", so that a flood of fresh principals (an attacker minting"
                    + " tokens) cannot blow up the metrics store. Far above what a dashboard shows, far below what hurts"
                    + " Prometheus.");

    /** The metrics settings, shared by every stage. */
    public static final class Definition extends DeclaredSettings {
        public Definition() {
            super("shared", "Metrics", CONFIG);
        }
    }

    private final int limit;
    private final Set<String> admitted = ConcurrentHashMap.newKeySet();

    /** @param limit distinct values that keep their own label value, 0..{@value #MAX_LIMIT} */
    public BoundedLabel(int limit) {
        if (limit < 0 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("label limit " + limit + " is invalid; allowed: 0.." + MAX_LIMIT);
        }
        this.limit = limit;
    }

    /** The bound for principals read from {@value #PRINCIPAL_LIMIT_KEY} (default {@value #DEFAULT_PRINCIPAL_LIMIT}). */
    public static BoundedLabel principals(Map<String, String> settings) {
        return new BoundedLabel(principalLimit(settings));
    }

    /** The validated value of {@value #PRINCIPAL_LIMIT_KEY}, or the default when unset or blank. */
    public static int principalLimit(Map<String, String> settings) {
        String value = settings == null ? null : settings.get(PRINCIPAL_LIMIT_KEY);
        if (value == null || value.isBlank()) {
            return DEFAULT_PRINCIPAL_LIMIT;
        }
        return Typed.parse(CONFIG, Map.of(PRINCIPAL_LIMIT_KEY, value)).getInt(PRINCIPAL_LIMIT_KEY);
    }

    /** The label value for {@code value}: itself while admitted or room is left, else {@value #OTHER}. */
    public String of(String value) {
        if (value == null) {
            return OTHER;
        }
        if (admitted.contains(value)) {
            return value;
        }
        // Racing threads may briefly admit one more than the limit; synchronizing keeps the bound exact.
        synchronized (admitted) {
            if (admitted.size() < limit) {
                admitted.add(value);
                return value;
            }
            return admitted.contains(value) ? value : OTHER;
        }
    }

    public int limit() {
        return limit;
    }
}
