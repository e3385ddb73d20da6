package dev.firebreak.launcher.bench;

import java.util.Collection;
import java.util.List;

/** Nearest-rank percentiles of a set of values, in their unit (here milliseconds). */
record Percentiles(int count, double p50, double p90, double p99, double max) {

    /** Null for no values. */
    static Percentiles of(Collection<Double> values) {
        if (values.isEmpty()) {
            return null;
        }
        List<Double> sorted = values.stream().sorted().toList();
        return new Percentiles(sorted.size(), rank(sorted, 50), rank(sorted, 90), rank(sorted, 99), sorted.get(sorted.size() - 1));
    }

    private static double rank(List<Double> sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
