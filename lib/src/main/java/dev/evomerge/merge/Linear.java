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
        double weightSum = 0;
        for (MergeInput.ModelTensor m : in.models()) {
            weightSum += m.required(in.tensorName(), "weight");
        }
        double norm = in.flag("normalize", true) && Math.abs(weightSum) > 1e-8 ? 1 / weightSum : 1;
        float[] weights = new float[in.models().size()];
        for (int m = 0; m < weights.length; m++) {
            weights[m] = (float) (in.models().get(m).required(in.tensorName(), "weight") * norm);
        }
        // Accumulated in float32 model by model, as PyTorch (and so mergekit) computes an F32 merge,
        // one chunk at a time on all cores: each model's chunk is decoded (bf16 widened on the fly,
        // other dtypes through a cache-resident scratch array) and added at once, so the stored bytes
        // are read once and the output written once (decoding whole tensors first measured ~2x the
        // memory traffic).
        float[] out = new float[n];
        Chunks.forEach(n, (c, from, to) -> {
            float[] scratch = Chunks.scratch();
            for (int m = 0; m < weights.length; m++) {
                in.models().get(m).addScaled(from, to - from, weights[m], out, from, scratch);
            }
        });
        return out;
    }
}
