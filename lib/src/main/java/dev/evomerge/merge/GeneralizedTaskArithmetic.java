package dev.evomerge.merge;

import dev.evomerge.merge.kernel.Sparsification;
import dev.evomerge.merge.kernel.TaskArithmeticMix;
import dev.evomerge.merge.kernel.TaskVector;
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
 * This is the method as its papers state it, step by step; the steps run on the vectorized
 * kernels of {@code merge.kernel}, and {@link PaperForms#taskArithmetic} is the same arithmetic
 * entry by entry, which the tests hold the kernels to.
 */
public record GeneralizedTaskArithmetic(String name, Consensus consensus, Sparsification sparsification,
                                        boolean defaultNormalize, boolean defaultRescale) implements MergeMethod {

    public enum Consensus { NONE, SUM }

    @Override
    public boolean needsBase() {
        return true;
    }

    /** As mergekit declares them: every method of the family takes a density, read only by those that sparsify. */
    @Override
    public Set<String> modelParameters() {
        if (sparsification == null) {
            return Set.of("weight", "density");
        }
        return switch (sparsification) {
            case MAGNITUDE_OUTLIERS -> Set.of("weight", "density", "gamma");
            case DELLA_MAGPRUNE -> Set.of("weight", "density", "epsilon");
            default -> Set.of("weight", "density");
        };
    }

    @Override
    public Set<String> parametersRead() {
        return sparsification == null ? Set.of("weight") : modelParameters();
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
        // 1. Each model's task vector, sparsified: one random stream per model, in model order.
        SplittableRandom root = new SplittableRandom(in.seed());
        TaskVector[] deltas = new TaskVector[count];
        float[] weights = new float[count];
        for (int m = 0; m < count; m++) {
            MergeInput.ModelTensor model = in.models().get(m);
            SplittableRandom rng = root.split();
            weights[m] = (float) model.required(in.tensorName(), "weight");
            deltas[m] = sparsification == null ? TaskVector.dense(model)
                    : sparsification.apply(model, base, in.shape(), model.param("density", 1.0), model.param("gamma", 0.01),
                            model.param("epsilon", 0.15), rescale, rng);
        }
        // 2. Weights, with DARE's rescale (each kept delta scaled back to its L1 norm) folded in.
        float[] factors = weights.clone();
        float[][] merged = new float[1][];
        Runnable allocate = () -> merged[0] = new float[base.size()];
        if (rescale) {
            // One thread zeroes the output array while the other cores compute the sums.
            float[] restoring = Sparsification.l1Restoring(base, deltas, allocate);
            for (int m = 0; m < count; m++) {
                factors[m] = restoring[m] * weights[m];
            }
        }
        if (merged[0] == null) {
            allocate.run();
        }
        // 3. Mixed, all of them or (TIES) those that agree with the elected sign, and added to the base.
        boolean normalize = in.flag("normalize", defaultNormalize);
        float lambda = (float) in.global("lambda", 1.0);
        return consensus == Consensus.NONE ? TaskArithmeticMix.all(base, merged[0], deltas, factors, weights, normalize, lambda)
                : TaskArithmeticMix.agreeing(base, merged[0], deltas, factors, weights, normalize, lambda);
    }
}
