package dev.evomerge.merge;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

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
                Integer[] order = byMagnitude(delta, false);
                for (int i = 0; i < k; i++) {
                    keep[order[i]] = true;
                }
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
                Integer[] ascending = byMagnitude(delta, true);
                // Keep ranks [bottom, n - top). (mergekit slices [bottom:-top], which keeps nothing when top is 0.)
                for (int i = bottom; i < n - top; i++) {
                    keep[ascending[i]] = true;
                }
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
                    Integer[] ascending = IntStream.range(0, cols).boxed()
                            .sorted(Comparator.<Integer>comparingDouble(j -> Math.abs(delta[from + j])).thenComparingInt(j -> j))
                            .toArray(Integer[]::new);
                    for (int rank = 0; rank < cols; rank++) {
                        double normalized = cols == 1 ? 0 : rank / (double) (cols - 1);
                        double p = (density - epsilon) + normalized * 2 * epsilon;
                        keep[from + ascending[rank]] = rng.nextDouble() < p;
                    }
                }
            }
            default -> throw new IllegalStateException(name());
        }
        return masked(delta, keep, rescale);
    }

    /** Indices sorted by |x| (ties by index, so the order is deterministic). */
    private static Integer[] byMagnitude(float[] x, boolean ascending) {
        Comparator<Integer> c = Comparator.comparingDouble(i -> Math.abs(x[i]));
        if (!ascending) {
            c = c.reversed();
        }
        Integer[] idx = IntStream.range(0, x.length).boxed().toArray(Integer[]::new);
        Arrays.sort(idx, c.thenComparingInt(i -> i));
        return idx;
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
