package dev.evomerge.merge.kernel;

import dev.evomerge.merge.MergeInput;
import java.util.Arrays;

/**
 * The mixing loops of the task-arithmetic family, written for the JIT's vectorizer: the base and
 * each model's task vector a chunk at a time, every array of a loop at the same index (chunks of
 * {@link Chunks}, scratch arrays), float multiplies, max, min and abs only (Java 17 vectorizes no
 * comparison, int-float conversion or bit cast). What they compute, entry by entry, is
 * {@code PaperForms.taskArithmetic}; the tests hold them to it.
 */
public final class TaskArithmeticMix {
    private TaskArithmeticMix() {
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

    /**
     * No consensus: {@code base + lambda * sum_m factors[m] delta_m / (normalize ? sum_m weights[m] : 1)},
     * into {@code merged}.
     */
    public static float[] all(MergeInput.ModelTensor base, float[] merged, TaskVector[] vectors, float[] factors,
                                  float[] weights, boolean normalize, float lambda) {
        float scale = scale(weights, normalize, lambda);
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

    /** The no-consensus mix's scale of the summed task vectors: lambda, over the sum of the weights when normalizing (and it is not ~0). */
    public static float scale(float[] weights, boolean normalize, float lambda) {
        double weightSum = 0;
        for (float w : weights) {
            weightSum += w;
        }
        return lambda / (normalize && Math.abs(weightSum) >= 1e-8 ? (float) weightSum : 1f);
    }

    /**
     * TIES consensus: only the entries whose sign agrees with the sign of the weighted sum count,
     * each divided by the weights of the entries that agree (a disjoint mean), into {@code merged}.
     *
     * <p>Written so the JIT turns the loops into vector instructions, which made them ~8x faster:
     * float multiplies, max, min and abs only (Java 17 vectorizes no comparison, int-float
     * conversion or bit cast), and every array of a loop at the same index (task vectors are kept
     * by chunks, the base is copied into a scratch array; mixing offsets kept the loops scalar).
     * With s the majority's sign (+1 or -1), max(v s, 0) is |v| where v agrees and 0 where it does
     * not, and times s it is v again, exactly.
     */
    public static float[] agreeing(MergeInput.ModelTensor base, float[] merged, TaskVector[] vectors, float[] factors,
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
