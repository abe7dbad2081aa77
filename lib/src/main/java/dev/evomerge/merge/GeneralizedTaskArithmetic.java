package dev.evomerge.merge;

import java.util.ArrayList;
import java.util.List;
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
        return Set.of("weight", "density", "gamma", "epsilon");
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
        List<float[]> weighted = new ArrayList<>();
        double[] weights = new double[in.models().size()];
        for (int m = 0; m < in.models().size(); m++) {
            MergeInput.ModelTensor model = in.models().get(m);
            SplittableRandom rng = root.split(); // one stream per model, in model order
            float[] delta = new float[n];
            for (int i = 0; i < n; i++) {
                delta[i] = model.values()[i] - base[i];
            }
            if (sparsification != null) {
                delta = sparsification.apply(delta, in.shape(), model.param("density", 1.0), model.param("gamma", 0.01),
                        model.param("epsilon", 0.15), rescale, rng);
            }
            weights[m] = model.required(in.tensorName(), "weight");
            for (int i = 0; i < n; i++) {
                delta[i] *= (float) weights[m];
            }
            weighted.add(delta);
        }
        boolean normalize = in.flag("normalize", defaultNormalize);
        double lambda = in.global("lambda", 1.0);
        double weightSum = 0;
        for (double w : weights) {
            weightSum += w;
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double majority = majoritySign(weighted, i);
            double mixed = 0;
            double divisor = 0;
            for (int m = 0; m < weighted.size(); m++) {
                float v = weighted.get(m)[i];
                if (consensus == Consensus.NONE || Math.signum(v) == majority) {
                    mixed += v;
                    divisor += weights[m];
                }
            }
            if (consensus == Consensus.NONE) {
                divisor = Math.abs(weightSum) < 1e-8 ? 1 : weightSum;
            } else if (divisor == 0) {
                divisor = 1;
            }
            if (normalize) {
                mixed /= divisor;
            }
            out[i] = (float) (base[i] + lambda * mixed);
        }
        return out;
    }

    /** +1 or -1: the sign of the sum of weighted deltas (TIES), or of the count of signs. */
    private double majoritySign(List<float[]> weighted, int i) {
        if (consensus == Consensus.NONE) {
            return 0;
        }
        double s = 0;
        for (float[] w : weighted) {
            s += consensus == Consensus.SUM ? w[i] : Math.signum(w[i]);
        }
        return s >= 0 ? 1 : -1;
    }
}
