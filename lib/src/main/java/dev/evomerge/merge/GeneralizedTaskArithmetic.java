package dev.evomerge.merge;

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

    public enum Consensus { NONE, SUM, COUNT }

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
        float[] base = in.base();
        int n = base.length;
        if (in.models().isEmpty()) {
            return base.clone();
        }
        boolean rescale = in.flag("rescale", defaultRescale);
        SplittableRandom root = new SplittableRandom(in.seed());
        int count = in.models().size();
        float[][] deltas = new float[count][]; // thinned, not yet weighted: weighted = factor * delta
        float[] factors = new float[count];
        float[] weights = new float[count];
        for (int m = 0; m < count; m++) {
            MergeInput.ModelTensor model = in.models().get(m);
            SplittableRandom rng = root.split(); // one stream per model, in model order
            weights[m] = (float) model.required(in.tensorName(), "weight");
            if (sparsification != null) {
                Sparsification.Sparse sparse = sparsification.apply(model.values(), base, in.shape(), model.param("density", 1.0),
                        model.param("gamma", 0.01), model.param("epsilon", 0.15), rescale, rng);
                deltas[m] = sparse.values();
                factors[m] = weights[m] * sparse.scale(); // the rescale folds into the weight: no pass of its own
            } else {
                float[] x = model.values();
                float[] d = new float[n];
                Chunks.forEach(n, (c, from, to) -> {
                    for (int i = from; i < to; i++) {
                        d[i] = x[i] - base[i];
                    }
                });
                deltas[m] = d;
                factors[m] = weights[m];
            }
        }
        boolean normalize = in.flag("normalize", defaultNormalize);
        float lambda = (float) in.global("lambda", 1.0);
        return consensus == Consensus.NONE ? mixAll(base, deltas, factors, weights, normalize, lambda)
                : mixAgreeing(base, deltas, factors, weights, normalize, lambda);
    }

    /** No consensus: every weighted delta counts; the divisor is the sum of all weights. */
    private static float[] mixAll(float[] base, float[][] deltas, float[] factors, float[] weights, boolean normalize,
                                  float lambda) {
        double weightSum = 0;
        for (float w : weights) {
            weightSum += w;
        }
        float scale = lambda / (normalize && Math.abs(weightSum) >= 1e-8 ? (float) weightSum : 1f);
        float[] mixed = new float[base.length];
        Chunks.forEach(base.length, (c, from, to) -> {
            for (int m = 0; m < deltas.length; m++) {
                float[] d = deltas[m];
                float f = factors[m];
                for (int i = from; i < to; i++) {
                    mixed[i] += f * d[i];
                }
            }
            for (int i = from; i < to; i++) {
                mixed[i] = base[i] + scale * mixed[i];
            }
        });
        return mixed;
    }

    /** TIES consensus: only deltas whose sign matches the majority count, divided by their weights. */
    private float[] mixAgreeing(float[] base, float[][] deltas, float[] factors, float[] weights, boolean normalize,
                                float lambda) {
        int n = base.length;
        boolean bySum = consensus == Consensus.SUM;
        float[] mixed = new float[n];
        Chunks.forEach(n, (c, from, to) -> {
            int len = to - from;
            float[] majority = new float[len]; // the sign of the sum (or of the sign count); 0 counts as +
            for (int m = 0; m < deltas.length; m++) {
                float[] d = deltas[m];
                float f = factors[m];
                if (bySum) {
                    for (int i = 0; i < len; i++) {
                        majority[i] += f * d[from + i];
                    }
                } else {
                    for (int i = 0; i < len; i++) {
                        majority[i] += Math.signum(f * d[from + i]);
                    }
                }
            }
            int[] majorityNegative = new int[len]; // 1 where the majority sign is -, 0 where + (a zero sum counts as +)
            for (int i = 0; i < len; i++) {
                majorityNegative[i] = majority[i] < 0 ? 1 : 0;
            }
            float[] divisor = new float[len];
            for (int m = 0; m < deltas.length; m++) {
                float[] d = deltas[m];
                float f = factors[m];
                float w = weights[m];
                for (int i = 0; i < len; i++) {
                    // Agreement in integer arithmetic on the sign bit (no branch, so the loop vectorizes):
                    // v is nonzero and its sign bit equals the majority's.
                    float v = f * d[from + i];
                    int bits = Float.floatToRawIntBits(v);
                    int nonzero = ((bits & 0x7fffffff) + 0x7fffffff) >>> 31;
                    int agrees = (~((bits >>> 31) ^ majorityNegative[i]) & 1) & nonzero;
                    mixed[from + i] += agrees * v;
                    divisor[i] += agrees * w;
                }
            }
            for (int i = 0; i < len; i++) {
                float div = normalize && divisor[i] != 0 ? divisor[i] : 1;
                mixed[from + i] = base[from + i] + lambda * (mixed[from + i] / div);
            }
        });
        return mixed;
    }
}
