package dev.evomerge.merge;

import dev.evomerge.merge.kernel.WeightedSum;
import java.util.Set;

/**
 * Linear: a weighted average of the models' tensors (Wortsman et al., "Model soups", 2022).
 * With {@code normalize} (default true) the weights are divided by their sum.
 */
public final class Linear implements MergeMethod {
    @Override
    public String name() {
        return "linear";
    }

    @Override
    public boolean needsBase() {
        return false;
    }

    @Override
    public Set<String> modelParameters() {
        return Set.of("weight");
    }

    @Override
    public Set<String> globalParameters() {
        return Set.of("normalize");
    }

    @Override
    public float[] merge(MergeInput in) {
        double[] weights = in.models().stream().mapToDouble(m -> m.required(in.tensorName(), "weight")).toArray();
        return WeightedSum.of(in.models(), weights(weights, in.flag("normalize", true)), in.size());
    }

    /** The weights each model's tensor is multiplied by: as given, or divided by their sum when normalizing (and it is not ~0). */
    public static float[] weights(double[] given, boolean normalize) {
        double weightSum = 0;
        for (double w : given) {
            weightSum += w;
        }
        double norm = normalize && Math.abs(weightSum) > 1e-8 ? 1 / weightSum : 1;
        float[] weights = new float[given.length];
        for (int m = 0; m < weights.length; m++) {
            weights[m] = (float) (given[m] * norm);
        }
        return weights;
    }
}
