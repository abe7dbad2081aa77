package dev.evomerge.merge.kernel;

import dev.evomerge.merge.MergeInput;
import java.util.List;

/** sum_m weights[m] x_m over stored tensors: the linear merge's loop. */
public final class WeightedSum {
    private WeightedSum() {
    }

    /**
     * Accumulated in float32 model by model, as PyTorch (and so mergekit) computes an F32 merge,
     * one chunk at a time on all cores: each model's chunk is decoded (bf16 widened on the fly,
     * other dtypes through a cache-resident scratch array) and added at once, so the stored bytes
     * are read once and the output written once (decoding whole tensors first measured ~2x the
     * memory traffic).
     */
    public static float[] of(List<MergeInput.ModelTensor> models, float[] weights, int n) {
        float[] out = new float[n];
        Chunks.forEach(n, (c, from, to) -> {
            float[] scratch = Chunks.scratch();
            for (int m = 0; m < weights.length; m++) {
                models.get(m).addScaled(from, to - from, weights[m], out, from, scratch);
            }
        });
        return out;
    }
}
