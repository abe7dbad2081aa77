package dev.evomerge.merge;

import java.util.Arrays;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The task-arithmetic family (Ilharco et al. 2023), mergekit's generalized task arithmetic: each
 * model's task vector delta_i = x_i - base is optionally sparsified (TIES, DARE, Breadcrumbs,
 * DELLA), weighted, optionally filtered by sign consensus (TIES: entries disagreeing with the
 * sign of the weighted sum are dropped), summed, optionally divided by the sum of the weights that
 * survived, scaled by lambda, and added to the base:
 *
 * <pre>merged = base + lambda * sum_i w_i m_i sparsify(delta_i) / (normalize ? sum_i w_i m_i : 1)</pre>
 *
 * One class serves eight registered methods, which differ only in these switches and defaults.
 */
public record GeneralizedTaskArithmetic(String name, Consensus consensus, Sparsification sparsification,
                                        boolean defaultNormalize, boolean defaultRescale) implements MergeMethod {

    public enum Consensus { NONE, SUM }

    @Override
    public boolean needsBase() {
        return true;
    }

    @Override
    public Set<String> modelParameters() {
        // Only what this method reads, as mergekit declares it: a density without sparsification is an error, not a no-op.
        if (sparsification == null) {
            return Set.of("weight");
        }
        return switch (sparsification) {
            case MAGNITUDE_OUTLIERS -> Set.of("weight", "density", "gamma");
            case DELLA_MAGPRUNE -> Set.of("weight", "density", "epsilon");
            default -> Set.of("weight", "density");
        };
    }

    @Override
    public Set<String> globalParameters() {
        return Set.of("normalize", "rescale", "lambda", "int8_mask");
    }

    @Override
    public float[] merge(MergeInput in) {
        if (in.models().isEmpty()) {
            return in.baseValues().clone();
        }
        MergeInput.ModelTensor base = in.base();
        int count = in.models().size();
        boolean rescale = in.flag("rescale", defaultRescale);
        SplittableRandom root = new SplittableRandom(in.seed());
        TaskVector[] vectors = new TaskVector[count];
        float[] weights = new float[count];
        for (int m = 0; m < count; m++) {
            MergeInput.ModelTensor model = in.models().get(m);
            SplittableRandom rng = root.split(); // one stream per model, in model order
            weights[m] = (float) model.required(in.tensorName(), "weight");
            vectors[m] = sparsification == null ? TaskVector.dense(model)
                    : sparsification.apply(model, base, in.shape(), model.param("density", 1.0), model.param("gamma", 0.01),
                            model.param("epsilon", 0.15), rescale, rng);
        }
        // weighted delta = factor * delta: DARE's rescale folds into the weight, no pass of its own
        float[] factors = weights.clone();
        float[][] merged = new float[1][];
        Runnable allocate = () -> merged[0] = new float[base.size()];
        if (rescale) {
            // One thread zeroes the output array while the other cores compute the sums.
            float[] restoring = Sparsification.l1Restoring(base, vectors, allocate);
            for (int m = 0; m < count; m++) {
                factors[m] = restoring[m] * weights[m];
            }
        }
        if (merged[0] == null) {
            allocate.run();
        }
        boolean normalize = in.flag("normalize", defaultNormalize);
        float lambda = (float) in.global("lambda", 1.0);
        return consensus == Consensus.NONE ? mixAll(base, merged[0], vectors, factors, weights, normalize, lambda)
                : mixAgreeing(base, merged[0], vectors, factors, weights, normalize, lambda);
    }

    /**
     * Runs {@code mix} on every chunk with the base's values in {@code b} (this thread's scratch
     * array 0) and each model's task vector in {@code deltas[m]} (computed into scratch arrays
     * from 4 on, or held), leaving scratch arrays 1 to 3 to the mix; the mix overwrites {@code b}
     * with the merged chunk, which is copied out.
     */
    private static float[] mixChunks(MergeInput.ModelTensor base, float[] merged, TaskVector[] vectors, ChunkMix mix) {
        Chunks.forEach(base.size(), (c, from, to) -> {
            int len = to - from;
            float[] b = Chunks.scratch(0);
            base.read(from, len, b, 0); // decoded chunk by chunk, to index 0 like every array of the loops: they vectorize
            float[][] deltas = new float[vectors.length][];
            for (int m = 0; m < vectors.length; m++) {
                deltas[m] = vectors[m].chunk(c, len, b, Chunks.scratch(4 + m));
            }
            mix.run(b, deltas, len);
            System.arraycopy(b, 0, merged, from, len);
        });
        return merged;
    }

    private interface ChunkMix {
        void run(float[] b, float[][] deltas, int len);
    }

    /** No consensus: every weighted delta counts; the divisor is the sum of all weights. */
    private static float[] mixAll(MergeInput.ModelTensor base, float[] merged, TaskVector[] vectors, float[] factors,
                                  float[] weights, boolean normalize, float lambda) {
        double weightSum = 0;
        for (float w : weights) {
            weightSum += w;
        }
        float scale = lambda / (normalize && Math.abs(weightSum) >= 1e-8 ? (float) weightSum : 1f);
        return mixChunks(base, merged, vectors, (b, deltas, len) -> {
            float[] sum = Chunks.scratch(1);
            Arrays.fill(sum, 0, len, 0f);
            for (int m = 0; m < deltas.length; m++) {
                float[] d = deltas[m];
                float f = factors[m];
                for (int i = 0; i < len; i++) {
                    sum[i] += f * d[i];
                }
            }
            for (int i = 0; i < len; i++) {
                b[i] = b[i] + scale * sum[i];
            }
        });
    }

    /**
     * TIES consensus: only deltas whose sign matches the majority count, divided by their weights.
     *
     * <p>Written so the JIT turns the loops into vector instructions, which made them ~8x faster:
     * float multiplies, max, min and abs only (Java 17 vectorizes no comparison, int-float
     * conversion or bit cast), and every array of a loop at the same index (task vectors are kept
     * by chunks, the base is copied into a scratch array; mixing offsets kept the loops scalar).
     * With s the majority's sign (+1 or -1), max(v s, 0) is |v| where v agrees and 0 where it does
     * not, and times s it is v again, exactly.
     */
    private static float[] mixAgreeing(MergeInput.ModelTensor base, float[] merged, TaskVector[] vectors, float[] factors,
                                       float[] weights, boolean normalize, float lambda) {
        return mixChunks(base, merged, vectors, (b, deltas, len) -> {
            float[] sign = Chunks.scratch(1); // the sign of the weighted sum, +1 or -1; 0 counts as +
            float[] divisor = Chunks.scratch(2);
            float[] sum = Chunks.scratch(3);
            int last = deltas.length - 1;
            for (int m = 0; m < last; m++) {
                float f = factors[m];
                float[] d = deltas[m];
                if (m == 0) {
                    for (int i = 0; i < len; i++) {
                        sign[i] = f * d[i]; // only its sign is read: 0 + x and x differ only in the sign of a zero
                    }
                } else {
                    for (int i = 0; i < len; i++) {
                        sign[i] += f * d[i];
                    }
                }
            }
            float fLast = factors[last];
            float[] dLast = deltas[last];
            if (last == 0) {
                for (int i = 0; i < len; i++) {
                    sign[i] = signOf(fLast * dLast[i]);
                }
            } else {
                for (int i = 0; i < len; i++) {
                    sign[i] = signOf(sign[i] + fLast * dLast[i]);
                }
            }
            for (int m = 0; m < deltas.length; m++) {
                float f = factors[m];
                float w = weights[m];
                float[] d = deltas[m];
                // agreeing >= 0 (or NaN), so |unitStep(agreeing)| is min(agreeing 2^254, 1): w where it agrees (and is not 0)
                if (m == 0) {
                    for (int i = 0; i < len; i++) {
                        float s = sign[i];
                        float agreeing = Math.max(f * d[i] * s, 0f);
                        sum[i] = 0f + agreeing * s; // 0 + x, as when summing from 0 (x may be -0.0)
                        divisor[i] = 0f + Math.min(agreeing * HUGE * HUGE, 1f) * w;
                    }
                } else {
                    for (int i = 0; i < len; i++) {
                        float s = sign[i];
                        float agreeing = Math.max(f * d[i] * s, 0f);
                        sum[i] += agreeing * s;
                        divisor[i] += Math.min(agreeing * HUGE * HUGE, 1f) * w;
                    }
                }
            }
            if (normalize) {
                for (int i = 0; i < len; i++) {
                    float d = divisor[i] + (1f - Math.abs(unitStep(divisor[i]))); // a zero divisor divides by 1
                    b[i] = b[i] + lambda * (sum[i] / d);
                }
            } else {
                for (int i = 0; i < len; i++) {
                    b[i] = b[i] + lambda * sum[i];
                }
            }
        });
    }

    private static final float HUGE = 0x1p127f;

    /** -1 where x is negative, else +1 (0 counts as +), NaN for NaN: the TIES election. */
    private static float signOf(float x) {
        float t = unitStep(x);
        return t + (1f - Math.abs(t)); // -1, 0, +1 -> -1, +1, +1
    }

    /**
     * -1, 0 or +1 as x is negative, zero or positive (Math.signum, in operations that vectorize):
     * times 2^254 even the smallest subnormal exceeds 1 in magnitude.
     */
    private static float unitStep(float x) {
        return Math.min(Math.max(x * HUGE * HUGE, -1f), 1f);
    }
}
