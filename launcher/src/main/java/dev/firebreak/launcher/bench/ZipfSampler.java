package dev.firebreak.launcher.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Ranks 0..n-1 drawn with probability proportional to 1/(rank+1)^exponent: a few principals do most
 * of the work, most do little, as in real audit traffic. Exponent 0 is uniform. Inverse transform
 * over a precomputed cumulative table (8 bytes per rank), so a draw is one binary search.
 */
final class ZipfSampler {
    private final double[] cumulative;

    ZipfSampler(int n, double exponent) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, was " + n);
        }
        if (!(exponent >= 0) || exponent > 10) {
            throw new IllegalArgumentException("exponent must be 0..10, was " + exponent);
        }
        cumulative = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            sum += Math.pow(k + 1, -exponent);
            cumulative[k] = sum;
        }
    }

    int size() {
        return cumulative.length;
    }

    /** The probability of {@code rank}. */
    double probability(int rank) {
        double before = rank == 0 ? 0 : cumulative[rank - 1];
        return (cumulative[rank] - before) / cumulative[cumulative.length - 1];
    }

    int sample(SplittableRandom random) {
        double u = random.nextDouble() * cumulative[cumulative.length - 1];
        int at = Arrays.binarySearch(cumulative, u);
        int rank = at >= 0 ? at : -at - 1;
        return Math.min(rank, cumulative.length - 1);
    }
}
