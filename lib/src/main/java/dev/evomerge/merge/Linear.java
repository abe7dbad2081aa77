package dev.evomerge.merge;

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
        double[] acc = new double[n];
        double weightSum = 0;
        for (MergeInput.ModelTensor m : in.models()) {
            double w = m.required(in.tensorName(), "weight");
            weightSum += w;
            float[] v = m.values();
            for (int i = 0; i < n; i++) {
                acc[i] += w * v[i];
            }
        }
        double scale = in.flag("normalize", true) && Math.abs(weightSum) > 1e-8 ? 1 / weightSum : 1;
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (acc[i] * scale);
        }
        return out;
    }
}
