package dev.evomerge.merge;

import java.util.List;
import java.util.Set;

/**
 * Model Stock (Jang et al. 2024, arXiv:2403.19522; mergekit's model_stock): the average of the
 * fine-tunes pulled toward the base by how much their task vectors agree. With cos the mean
 * pairwise cosine of the task vectors and N models, t = N cos / (1 + (N - 1) cos) and
 * merged = t avg + (1 - t) base; over the whole tensor, or per row ({@code filter_wise}).
 */
public final class ModelStock implements MergeMethod {
    @Override
    public String name() {
        return "model_stock";
    }

    @Override
    public boolean needsBase() {
        return true;
    }

    @Override
    public Set<String> globalParameters() {
        return Set.of("filter_wise");
    }

    @Override
    public String checkModelCount(int count) {
        return count < 2 ? "model_stock needs the base plus at least two models, got " + count + " besides the base" : null;
    }

    @Override
    public float[] merge(MergeInput in) {
        if (in.models().size() < 2) {
            throw new IllegalArgumentException("model_stock needs the base plus at least two models, got "
                    + in.models().size() + " besides the base");
        }
        float[] base = in.baseValues();
        float[] out = new float[base.length];
        long[] shape = in.shape();
        if (in.flag("filter_wise", false) && shape.length >= 2) {
            int cols = (int) shape[shape.length - 1];
            for (int r = 0; r < base.length / cols; r++) {
                stock(in.models(), base, r * cols, cols, out);
            }
        } else {
            stock(in.models(), base, 0, base.length, out);
        }
        return out;
    }

    private static void stock(List<MergeInput.ModelTensor> models, float[] base, int from, int count, float[] out) {
        int n = models.size();
        double cosSum = 0;
        int pairs = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                float[] a = models.get(i).values();
                float[] b = models.get(j).values();
                double dot = 0;
                double na = 0;
                double nb = 0;
                for (int k = from; k < from + count; k++) {
                    double da = a[k] - base[k];
                    double db = b[k] - base[k];
                    dot += da * db;
                    na += da * da;
                    nb += db * db;
                }
                double cos = dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), 1e-6);
                cosSum += Math.max(-1, Math.min(1, cos));
                pairs++;
            }
        }
        double cos = cosSum / pairs;
        double t = n * cos / (1 + (n - 1) * cos);
        for (int k = from; k < from + count; k++) {
            double avg = 0;
            for (MergeInput.ModelTensor m : models) {
                avg += m.values()[k];
            }
            avg /= n;
            out[k] = (float) (t * avg + (1 - t) * base[k]);
        }
    }
}
