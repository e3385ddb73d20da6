package dev.firebreak.metrics;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
        try {
            int limit = Integer.parseInt(value.trim());
            if (limit >= 0 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // reported below with the allowed range
        }
        throw new IllegalArgumentException("invalid " + PRINCIPAL_LIMIT_KEY + "=" + value + "; allowed: an integer 0.."
                + MAX_LIMIT);
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
