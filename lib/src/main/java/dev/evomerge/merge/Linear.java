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
        int n = in.size();
        double weightSum = 0;
        for (MergeInput.ModelTensor m : in.models()) {
            weightSum += m.required(in.tensorName(), "weight");
        }
        double norm = in.flag("normalize", true) && Math.abs(weightSum) > 1e-8 ? 1 / weightSum : 1;
        float[] weights = new float[in.models().size()];
        for (int m = 0; m < weights.length; m++) {
            weights[m] = (float) (in.models().get(m).required(in.tensorName(), "weight") * norm);
        }
        return WeightedSum.of(in.models(), weights, n);
    }
}
