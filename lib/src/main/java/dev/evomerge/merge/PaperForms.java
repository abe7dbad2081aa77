package dev.evomerge.merge;

import dev.evomerge.merge.kernel.KeepMask;
import dev.evomerge.merge.kernel.Sparsification;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The linear and task-arithmetic merges entry by entry, as their papers state them: what a reader
 * checks against a paper in one screen per method, and what the tests hold the vectorized kernels
 * of {@code merge.kernel} to, on random tensors. Floats are added in the kernels' order (model by
 * model, from zero), so the two agree bit for bit, except DARE's rescale, whose L1 sums the
 * kernels add lane by lane (last-bit differences).
 */
public final class PaperForms {
    private PaperForms() {
    }

    /** One model's tensor and its numbers for this tensor. */
    public record Model(float[] x, double weight, double density, double gamma, double epsilon) {
    }

    /** Linear (Wortsman et al. 2022, "Model soups"): sum_i w_i x_i, divided by sum_i w_i with normalize. */
    public static float[] linear(List<Model> models, boolean normalize) {
        double weightSum = models.stream().mapToDouble(Model::weight).sum();
        double norm = normalize && Math.abs(weightSum) > 1e-8 ? 1 / weightSum : 1;
        float[] out = new float[models.get(0).x().length];
        for (Model m : models) {
            float w = (float) (m.weight() * norm);
            for (int i = 0; i < out.length; i++) {
                out[i] += w * m.x()[i];
            }
        }
        return out;
    }

    /**
     * The task-arithmetic family (Ilharco et al. 2023; mergekit's generalized task arithmetic):
     * <pre>merged = base + lambda * sum_i w_i m_i delta_i / (normalize ? sum_i w_i m_i : 1),  delta_i = x_i - base</pre>
     * with m_i the sparsification's keep mask (and rescale) and, under TIES consensus, only the
     * entries whose sign agrees with the elected sign counted (in the sum and in the divisor).
     */
    public static float[] taskArithmetic(GeneralizedTaskArithmetic method, float[] base, List<Model> models, long[] shape,
                                         boolean normalize, boolean rescale, double lambda, long seed) {
        int n = base.length;
        SplittableRandom root = new SplittableRandom(seed);
        float[][] deltas = new float[models.size()][];
        float[] factors = new float[models.size()];
        for (int m = 0; m < models.size(); m++) {
            Model model = models.get(m);
            SplittableRandom rng = root.split(); // one stream per model, in model order
            float[] delta = new float[n];
            for (int i = 0; i < n; i++) {
                delta[i] = model.x()[i] - base[i];
            }
            float restore = 1;
            if (method.sparsification() != null && model.density() < 1) {
                boolean[] keep = switch (method.sparsification()) {
                    case MAGNITUDE -> trim(delta, model.density());
                    case RANDOM -> dare(n, model.density(), rng);
                    case MAGNITUDE_OUTLIERS -> breadcrumbs(delta, model.density(), model.gamma());
                    case DELLA_MAGPRUNE -> della(delta, shape, model.density(), model.epsilon(), rng);
                };
                float[] kept = new float[n];
                for (int i = 0; i < n; i++) {
                    kept[i] = keep[i] ? delta[i] : 0f;
                }
                if (rescale) { // the kept entries scaled back to the L1 norm of the whole delta (DARE's 1/density, as mergekit does it)
                    double before = l1(delta);
                    double after = l1(kept);
                    if (before >= 1e-7 && after >= 1e-7) {
                        if (method.sparsification() == Sparsification.RANDOM) {
                            restore = (float) (before / after);
                        } else if (before != after) {
                            float s = (float) (before / after);
                            for (int i = 0; i < n; i++) {
                                kept[i] *= s;
                            }
                        }
                    }
                }
                delta = kept;
            }
            deltas[m] = delta;
            factors[m] = restore * (float) model.weight();
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = method.consensus() == GeneralizedTaskArithmetic.Consensus.SUM
                    ? base[i] + (float) lambda * disjointMean(deltas, factors, models, i, normalize)
                    : base[i] + allScale(models, normalize, lambda) * weightedSum(deltas, factors, i);
        }
        return out;
    }

    /** TIES' elect and disjoint merge (Yadav et al. 2023, Alg. 1): the sign of the weighted sum, then the mean of the entries that agree with it. */
    private static float disjointMean(float[][] deltas, float[] factors, List<Model> models, int i, boolean normalize) {
        float total = 0;
        for (int m = 0; m < deltas.length; m++) {
            total += factors[m] * deltas[m][i];
        }
        float sign = total < 0 ? -1 : 1; // a zero sum elects +
        float sum = 0;
        float divisor = 0;
        for (int m = 0; m < deltas.length; m++) {
            float v = factors[m] * deltas[m][i];
            if (v != 0 && (v < 0) == (sign < 0)) {
                sum += v;
                divisor += (float) models.get(m).weight();
            }
        }
        return normalize ? sum / (divisor == 0 ? 1 : divisor) : sum;
    }

    private static float weightedSum(float[][] deltas, float[] factors, int i) {
        float sum = 0;
        for (int m = 0; m < deltas.length; m++) {
            sum += factors[m] * deltas[m][i];
        }
        return sum;
    }

    /** lambda / sum_i w_i with normalize (unless the weights sum to zero), else lambda; the weights as the float factors hold them. */
    private static float allScale(List<Model> models, boolean normalize, double lambda) {
        double weightSum = 0;
        for (Model m : models) {
            weightSum += (float) m.weight();
        }
        return (float) lambda / (normalize && Math.abs(weightSum) >= 1e-8 ? (float) weightSum : 1f);
    }

    /** TIES' trim: keep the density share of entries largest in magnitude (ties: the higher index wins). */
    static boolean[] trim(float[] delta, double density) {
        return keepRanks(delta, delta.length - (int) (density * delta.length), delta.length);
    }

    /** DARE (Yu et al. 2024): keep each entry with probability density, decided by a keyed hash of its index. */
    static boolean[] dare(int n, double density, SplittableRandom rng) {
        KeepMask mask = new KeepMask(rng.nextLong(), density);
        boolean[] keep = new boolean[n];
        for (int i = 0; i < n; i++) {
            keep[i] = mask.kept(i);
        }
        return keep;
    }

    /** Model Breadcrumbs (Davari and Belilovsky 2023): drop the gamma share largest and then the smallest, keeping density. */
    static boolean[] breadcrumbs(float[] delta, double density, double gamma) {
        int n = delta.length;
        int top = (int) (gamma * n);
        int bottom = n - (int) (density * n) - top;
        if (bottom < 0) {
            top += bottom;
            bottom = 0;
        }
        return keepRanks(delta, bottom, n - top);
    }

    /** DELLA's MagPrune (Deep et al. 2024): per row, keep with probability rising linearly with magnitude rank, density -/+ epsilon. */
    static boolean[] della(float[] delta, long[] shape, double density, double epsilon, SplittableRandom rng) {
        int cols = shape.length == 0 ? 1 : (int) shape[shape.length - 1];
        boolean[] keep = new boolean[delta.length];
        for (int from = 0; from < delta.length; from += cols) {
            Integer[] ascending = byMagnitude(delta, from, cols);
            for (int rank = 0; rank < cols; rank++) {
                double p = density - epsilon + (cols == 1 ? 0 : rank / (double) (cols - 1)) * 2 * epsilon;
                keep[from + ascending[rank]] = rng.nextDouble() < p;
            }
        }
        return keep;
    }

    /** Keeps the entries whose rank by ascending magnitude (ties: by index) lies in [fromRank, toRank). */
    private static boolean[] keepRanks(float[] delta, int fromRank, int toRank) {
        Integer[] ascending = byMagnitude(delta, 0, delta.length);
        boolean[] keep = new boolean[delta.length];
        for (int rank = Math.max(0, fromRank); rank < toRank; rank++) {
            keep[ascending[rank]] = true;
        }
        return keep;
    }

    /** Offsets 0 .. count-1 of delta[from ..] sorted by |delta| ascending, ties by offset. */
    private static Integer[] byMagnitude(float[] delta, int from, int count) {
        Integer[] order = IntStream.range(0, count).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> Math.abs(delta[from + i])).thenComparingInt(i -> i));
        return order;
    }

    private static double l1(float[] v) {
        double s = 0;
        for (float x : v) {
            s += Math.abs(x);
        }
        return s;
    }
}
