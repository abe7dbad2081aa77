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

    /**
     * A thinned task vector: its kept entries, chunk by chunk (see {@link Chunks#split}; there may
     * be more arrays than chunks, and the last chunk may use a prefix of its array), and the
     * factor that restores its L1 norm (1 without rescale).
     */
    public record Sparse(float[][] chunks, float scale) {
    }

    /**
     * Thins the task vector {@code x - base} of {@code model} into the chunk arrays of
     * {@code slots} (see {@link ChunkPool}; the rank-based methods make their own); the rescale
     * factor is returned, not applied, so the caller folds it into the model's weight and saves a
     * pass over the tensor.
     */
    public Sparse apply(MergeInput.ModelTensor model, float[] base, long[] shape, double density, double gamma, double epsilon,
                        boolean rescale, SplittableRandom rng, float[][] slots) {
        if (this == RANDOM && density < 1) {
            return bernoulli(model, base, density, rescale, rng.nextLong(), slots); // drawn from x - base in one pass
        }
        if (density >= 1) {
            return new Sparse(taskVector(model, base, slots), 1f);
        }
        float[] delta = new float[base.length]; // ranks are over the whole tensor
        Chunks.forEach(base.length, (c, from, to) -> {
            model.read(from, to - from, delta, from);
            for (int i = from; i < to; i++) {
                delta[i] -= base[i];
            }
        });
        return new Sparse(Chunks.split(thin(delta, shape, density, gamma, epsilon, rescale, rng)), 1f);
    }

    /** x - base into the chunk arrays of {@code slots}, x decoded chunk by chunk straight into them (no decoded copy of x is kept). */
    static float[][] taskVector(MergeInput.ModelTensor model, float[] base, float[][] slots) {
        Chunks.forEach(base.length, (c, from, to) -> {
            int len = to - from;
            float[] d = ChunkPool.array(slots, c);
            float[] b = Chunks.scratch(0);
            model.read(from, len, d, 0);
            System.arraycopy(base, from, b, 0, len); // one index for both arrays: the loop vectorizes
            for (int i = 0; i < len; i++) {
                d[i] -= b[i];
            }
        });
        return slots;
    }

    /** Thins {@code delta} by rank (TIES, Breadcrumbs, DELLA), rescale applied; density is below 1. */
    private float[] thin(float[] delta, long[] shape, double density, double gamma, double epsilon, boolean rescale,
                         SplittableRandom rng) {
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

    /**
     * DARE's drop on {@code x - base}: each entry kept with probability {@code density} by
     * {@link KeepMask} (a keyed hash of the entry's index, from {@code seed}), chunk by chunk in
     * parallel; the L1 sums for the rescale are kept per task and combined in task order.
     * Deterministic on any number of threads.
     *
     * <p>Every loop runs over one chunk's arrays from index 0, so the JIT vectorizes all of them,
     * the L1 sums included: Java never vectorizes a float reduction, so each sum is accumulated
     * lane-wise over the chunks of a task ({@code total[i] += |d[i]|}, a vector add) and folded
     * only once per task.
     */
    private static Sparse bernoulli(MergeInput.ModelTensor model, float[] base, double density, boolean rescale, long seed,
                                    float[][] slots) {
        int n = base.length;
        KeepMask mask = new KeepMask(seed, density);
        double[] before = new double[Chunks.tasks(n)];
        double[] after = new double[Chunks.tasks(n)];
        Chunks.forEachTask(n, (task, first, end) -> {
            float[] total = Chunks.scratch(2); // lane-wise sums of |delta| and |kept delta| over this task's chunks
            float[] kept = Chunks.scratch(3);
            Arrays.fill(total, 0f);
            Arrays.fill(kept, 0f);
            for (int c = first; c < end; c++) {
                int from = Chunks.from(c);
                int len = Chunks.to(c, n) - from;
                float[] keep = Chunks.scratch(0);
                float[] b = Chunks.scratch(1);
                mask.fill(keep, from, len);
                float[] values = ChunkPool.array(slots, c); // becomes the chunk of the result
                model.read(from, len, values, 0); // decoded here, chunk by chunk: x is never held whole
                System.arraycopy(base, from, b, 0, len);
                for (int i = 0; i < len; i++) {
                    float d = values[i] - b[i];
                    // A kept entry is multiplied by 1, a dropped one by 0, as torch multiplies by a
                    // Bernoulli mask (-0.0 for a dropped negative entry).
                    float v = d * keep[i];
                    values[i] = v;
                    total[i] += Math.abs(d);
                    kept[i] += Math.abs(v);
                }
            }
            before[task] = sum(total);
            after[task] = sum(kept);
        });
        double total = sum(before);
        double kept = sum(after);
        float scale = rescale && total >= 1e-7 && kept >= 1e-7 ? (float) (total / kept) : 1f;
        return new Sparse(slots, scale);
    }

    /** The sum of {@code lanes}, in double, in index order. */
    private static double sum(float[] lanes) {
        double s = 0;
        for (float x : lanes) {
            s += x;
        }
        return s;
    }

    private static double sum(double[] parts) {
        double s = 0;
        for (double p : parts) {
            s += p;
        }
        return s;
    }

    private static void scaleToL1(float[] out, double before, double after) {
        if (before >= 1e-7 && after >= 1e-7 && before != after) {
            float scale = (float) (before / after);
            Chunks.forEach(out.length, (c, from, to) -> {
                for (int i = from; i < to; i++) {
                    out[i] *= scale;
                }
            });
        }
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
        if (rescale) {
            scaleToL1(out, before, after);
        }
        return out;
    }
}
