package dev.evomerge.merge;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * How a task vector (a model's difference from the base) is thinned before mixing, with
 * mergekit's semantics. With {@code rescale}, the kept entries are scaled so the vector keeps
 * its L1 norm (mergekit's {@code rescale_norm=l1}; for DARE this is about 1/density).
 */
public enum Sparsification {
    /** TIES (Yadav et al. 2023): keep the {@code density} share of entries largest in magnitude. */
    MAGNITUDE,
    /** DARE (Yu et al. 2023): keep each entry with probability {@code density}. */
    RANDOM,
    /** Model Breadcrumbs (Davari and Belilovsky 2023): drop the {@code gamma} largest and then the smallest, keeping {@code density}. */
    MAGNITUDE_OUTLIERS,
    /** DELLA (Deep et al. 2024): per row, keep with probability rising linearly with magnitude rank, density +/- epsilon. */
    DELLA_MAGPRUNE;

    public float[] apply(float[] delta, long[] shape, double density, double gamma, double epsilon, boolean rescale,
                         SplittableRandom rng) {
        if (density >= 1) {
            return delta.clone();
        }
        int n = delta.length;
        boolean[] keep = new boolean[n];
        switch (this) {
            case MAGNITUDE -> {
                int k = (int) (density * n);
                if (k <= 0) {
                    throw new IllegalArgumentException("density " + density + " keeps no entry of a tensor of " + n);
                }
                // The k largest: ascending ranks [n - k, n), ties broken toward the higher index.
                keepRanks(delta, 0, n, n - k, n, keep);
            }
            case RANDOM -> {
                for (int i = 0; i < n; i++) {
                    keep[i] = rng.nextDouble() < density;
                }
            }
            case MAGNITUDE_OUTLIERS -> {
                int target = (int) (density * n);
                int top = (int) (gamma * n);
                int bottom = n - target - top;
                if (bottom < 0) {
                    top += bottom; // fewer outliers removed so the density can be met
                    bottom = 0;
                }
                // Keep ascending ranks [bottom, n - top). (mergekit slices [bottom:-top], which keeps nothing when top is 0.)
                keepRanks(delta, 0, n, bottom, n - top, keep);
            }
            case DELLA_MAGPRUNE -> {
                if (density <= 0) {
                    return new float[n];
                }
                if (density + epsilon >= 1 || density - epsilon <= 0) {
                    throw new IllegalArgumentException("epsilon " + epsilon + " must keep density +/- epsilon in (0, 1), density "
                            + density);
                }
                int cols = shape.length == 0 ? 1 : (int) shape[shape.length - 1];
                for (int row = 0; row < n / cols; row++) {
                    int from = row * cols;
                    long[] ascending = MagnitudeRanks.ascendingKeys(delta, from, cols);
                    Arrays.sort(ascending);
                    for (int rank = 0; rank < cols; rank++) {
                        double normalized = cols == 1 ? 0 : rank / (double) (cols - 1);
                        double p = (density - epsilon) + normalized * 2 * epsilon;
                        keep[from + MagnitudeRanks.index(ascending[rank])] = rng.nextDouble() < p;
                    }
                }
            }
            default -> throw new IllegalStateException(name());
        }
        return masked(delta, keep, rescale);
    }

    /** Marks the entries whose ascending magnitude rank (ties by index) lies in [fromRank, toRank). */
    private static void keepRanks(float[] x, int from, int count, int fromRank, int toRank, boolean[] keep) {
        if (fromRank >= toRank) {
            return;
        }
        long[] keys = MagnitudeRanks.ascendingKeys(x, from, count);
        long low = fromRank > 0 ? MagnitudeRanks.select(keys, fromRank) : Long.MIN_VALUE;
        long high = toRank < count ? MagnitudeRanks.select(keys, toRank) : Long.MAX_VALUE;
        for (int i = 0; i < count; i++) {
            long key = ((long) Float.floatToIntBits(Math.abs(x[from + i])) << 32) | i;
            keep[from + i] = key >= low && key < high;
        }
    }

    private static float[] masked(float[] x, boolean[] keep, boolean rescale) {
        float[] out = new float[x.length];
        double before = 0;
        double after = 0;
        for (int i = 0; i < x.length; i++) {
            before += Math.abs(x[i]);
            if (keep[i]) {
                out[i] = x[i];
                after += Math.abs(x[i]);
            }
        }
        if (rescale && before >= 1e-7 && after >= 1e-7) {
            float scale = (float) (before / after);
            for (int i = 0; i < out.length; i++) {
                out[i] *= scale;
            }
        }
        return out;
    }
}
