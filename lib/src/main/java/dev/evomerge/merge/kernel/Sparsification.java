package dev.evomerge.merge.kernel;

import dev.evomerge.merge.MergeInput;
import java.util.Arrays;
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

    /**
     * The task vector {@code x - base} of {@code model}, thinned. DARE's and the unthinned one
     * are computed chunk by chunk while mixing (see {@link TaskVector}); the rank-based ones are
     * thinned whole here, rescaled if asked. DARE's rescale is left to {@link #l1Restoring}, for
     * all models in one pass.
     */
    public TaskVector apply(MergeInput.ModelTensor model, MergeInput.ModelTensor base, long[] shape, double density, double gamma,
                            double epsilon, boolean rescale, SplittableRandom rng) {
        if (this == RANDOM && density < 1) {
            return new TaskVector.Dropped(model, new KeepMask(rng.nextLong(), density));
        }
        if (density >= 1) {
            return TaskVector.dense(model);
        }
        float[] delta = new float[base.size()]; // ranks are over the whole tensor
        Chunks.forEach(base.size(), (c, from, to) -> {
            float[] b = Chunks.scratch(0);
            base.read(from, to - from, b, 0);
            model.read(from, to - from, delta, from);
            for (int i = from; i < to; i++) {
                delta[i] -= b[i - from];
            }
        });
        return TaskVector.held(Chunks.split(thin(delta, shape, density, gamma, epsilon, rescale, rng)));
    }

    /** Thins {@code delta} by rank (TIES, Breadcrumbs, DELLA), rescale applied; density is below 1. */
    private float[] thin(float[] delta, long[] shape, double density, double gamma, double epsilon, boolean rescale,
                         SplittableRandom rng) {
        int n = delta.length;
        boolean[] keep = new boolean[n];
        switch (this) {
            case MAGNITUDE, MAGNITUDE_OUTLIERS -> {
                int[] ranks = keptRanks(n, density, gamma);
                keepRanks(delta, 0, n, ranks[0], ranks[1], keep);
            }
            case DELLA_MAGPRUNE -> {
                if (density <= 0) {
                    return new float[n];
                }
                checkDella(density, epsilon);
                int cols = shape.length == 0 ? 1 : (int) shape[shape.length - 1];
                boolean[] byRank = dellaDraws(n, cols, density, epsilon, rng);
                for (int row = 0; row < n / cols; row++) {
                    int from = row * cols;
                    long[] ascending = MagnitudeRanks.ascendingKeys(delta, from, cols);
                    Arrays.sort(ascending);
                    for (int rank = 0; rank < cols; rank++) {
                        keep[from + MagnitudeRanks.index(ascending[rank])] = byRank[from + rank];
                    }
                }
            }
            default -> throw new IllegalStateException(name());
        }
        return masked(delta, keep, rescale);
    }

    /**
     * The ascending magnitude ranks (ties by index) that TIES and Breadcrumbs keep of a tensor of n
     * entries, as [from, to).
     */
    public int[] keptRanks(int n, double density, double gamma) {
        if (this == MAGNITUDE) {
            int k = (int) (density * n);
            if (k <= 0) {
                throw new IllegalArgumentException("density " + density + " keeps no entry of a tensor of " + n);
            }
            return new int[] {n - k, n}; // the k largest, ties broken toward the higher index
        }
        if (this != MAGNITUDE_OUTLIERS) {
            throw new IllegalStateException(name() + " keeps no rank range");
        }
        int target = (int) (density * n);
        int top = (int) (gamma * n);
        int bottom = n - target - top;
        if (bottom < 0) {
            top += bottom; // fewer outliers removed so the density can be met
            bottom = 0;
        }
        // (mergekit slices [bottom:-top], which keeps nothing when top is 0.)
        return new int[] {bottom, n - top};
    }

    /**
     * DELLA's keep decisions by position: entry {@code row * cols + rank} says whether the entry of
     * that row with that ascending magnitude rank (ties by index) is kept, with probability rising
     * linearly from density - epsilon (smallest) to density + epsilon (largest). They depend on the
     * random stream alone, not on the values, so a device that ranks the entries itself can take
     * them as they are.
     */
    public static boolean[] dellaDraws(int n, int cols, double density, double epsilon, SplittableRandom rng) {
        boolean[] byRank = new boolean[n];
        for (int from = 0; from < n; from += cols) {
            for (int rank = 0; rank < cols; rank++) {
                double normalized = cols == 1 ? 0 : rank / (double) (cols - 1);
                double p = (density - epsilon) + normalized * 2 * epsilon;
                byRank[from + rank] = rng.nextDouble() < p;
            }
        }
        return byRank;
    }

    /** DELLA's density and epsilon, checked as the Java merge checks them: density +/- epsilon within (0, 1). */
    public static void checkDella(double density, double epsilon) {
        if (density + epsilon >= 1 || density - epsilon <= 0) {
            throw new IllegalArgumentException("epsilon " + epsilon + " must keep density +/- epsilon in (0, 1), density "
                    + density);
        }
    }

    /**
     * For each task vector, the factor that gives it the L1 norm of the unthinned one: for DARE's
     * ({@link TaskVector.Dropped}) one pass over the tensor for all of them (the base is read
     * once), chunk by chunk in parallel, computing the kept entries as the mixing will but
     * keeping only their sums; 1 for the others. Deterministic on any number of threads: the sums
     * are kept per task and combined in task order.
     *
     * <p>Java never vectorizes a float reduction, so each sum is accumulated lane-wise over the
     * chunks of a task ({@code total[i] += |d[i]|}, a vector add) and folded only once per task.
     */
    public static float[] l1Restoring(MergeInput.ModelTensor base, TaskVector[] vectors, Runnable alongside) {
        int n = base.size();
        int count = vectors.length;
        float[] factors = new float[count];
        Arrays.fill(factors, 1f);
        int[] which = IntStream.range(0, count).filter(m -> vectors[m] instanceof TaskVector.Dropped).toArray();
        if (which.length == 0) {
            alongside.run();
            return factors; // no pass over the tensor for nothing
        }
        double[][] before = new double[which.length][Chunks.tasks(n)];
        double[][] after = new double[which.length][Chunks.tasks(n)];
        Chunks.forEachTask(n, (task, first, end) -> {
            // Per dropped task vector k, lane-wise sums of |delta| and |kept delta| over this task's chunks.
            for (int s = 2; s < 2 + 2 * which.length; s++) {
                Arrays.fill(Chunks.scratch(s), 0f);
            }
            for (int c = first; c < end; c++) {
                int from = Chunks.from(c);
                int len = Chunks.to(c, n) - from;
                float[] b = Chunks.scratch(1);
                base.read(from, len, b, 0); // to index 0 like every array of the loops: they vectorize
                for (int k = 0; k < which.length; k++) {
                    TaskVector.Dropped dropped = (TaskVector.Dropped) vectors[which[k]];
                    float[] x = Chunks.scratch(0);
                    dropped.model().read(from, len, x, 0);
                    // |x - b| and |kept x - b|, as the mix will keep them
                    dropped.mask().addSums(x, b, Chunks.scratch(2 + 2 * k), Chunks.scratch(3 + 2 * k), from, len);
                }
            }
            for (int k = 0; k < which.length; k++) {
                before[k][task] = sum(Chunks.scratch(2 + 2 * k));
                after[k][task] = sum(Chunks.scratch(3 + 2 * k));
            }
        }, alongside);
        for (int k = 0; k < which.length; k++) {
            factors[which[k]] = l1Factor(sum(before[k]), sum(after[k]));
        }
        return factors;
    }

    /**
     * The factor that gives a thinned task vector the L1 norm of the whole one: {@code before /
     * after}, or 1 when either sum is too small to divide by.
     */
    public static float l1Factor(double before, double after) {
        return before >= 1e-7 && after >= 1e-7 ? (float) (before / after) : 1f;
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
        float scale = l1Factor(before, after);
        if (scale != 1f) { // a factor of 1 changes no entry
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
