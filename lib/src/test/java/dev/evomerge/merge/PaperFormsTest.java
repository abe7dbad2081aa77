package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.io.DType;
import dev.evomerge.io.TensorBytes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The vectorized kernels compute what the papers say: every linear and task-arithmetic method,
 * on random tensors (float32 and bfloat16 inputs, several chunks and a tail), random weights
 * (negative ones too), densities and switches, against {@link PaperForms}: bit for bit, except
 * DARE's rescale (its L1 sums are added lane by lane), within a few float32 ulps.
 */
class PaperFormsTest {
    private static final String[] FAMILY = {"task_arithmetic", "ties", "dare_ties", "dare_linear", "breadcrumbs", "breadcrumbs_ties",
        "della", "della_linear"};

    @Test
    void theKernelsComputeThePapersFormulas() {
        SplittableRandom r = new SplittableRandom(2024);
        int exact = 0;
        for (int trial = 0; trial < 48; trial++) {
            String method = trial % 6 == 5 ? "linear" : FAMILY[trial % FAMILY.length];
            DType dtype = trial % 2 == 0 ? DType.F32 : DType.BF16;
            int cols = 64 + r.nextInt(64);
            int rows = 1 + r.nextInt(200);
            int n = rows * cols;
            int count = 1 + r.nextInt(3);
            // the values the kernels read, exactly: bf16 inputs are rounded first
            float[] base = rounded(randoms(r, n, 0.02, 0), dtype);
            List<PaperForms.Model> plain = new ArrayList<>();
            List<MergeInput.ModelTensor> stored = new ArrayList<>();
            boolean della = method.startsWith("della");
            for (int m = 0; m < count; m++) {
                float[] x = rounded(randoms(r, n, 0.002, base), dtype);
                double weight = r.nextDouble() * 1.4 - (trial % 7 == 0 ? 0.5 : 0);
                double density = della ? 0.2 + 0.6 * r.nextDouble() : r.nextDouble() < 0.1 ? 1.0 : 0.1 + 0.85 * r.nextDouble();
                double gamma = 0.01 + 0.05 * r.nextDouble();
                plain.add(new PaperForms.Model(x, weight, density, gamma, 0.15));
                Map<String, Double> p = new LinkedHashMap<>(Map.of("weight", weight));
                MergeMethod mm = MergeMethods.byName(method);
                if (mm.modelParameters().contains("density")) {
                    p.put("density", density);
                }
                if (mm.modelParameters().contains("gamma")) {
                    p.put("gamma", gamma);
                }
                stored.add(MergeInput.ModelTensor.stored(TensorBytes.fromFloats(x, dtype), dtype, n, p));
            }
            boolean normalize = r.nextBoolean();
            boolean rescale = r.nextBoolean();
            double lambda = r.nextBoolean() ? 1.0 : 0.5 + r.nextDouble();
            long seed = r.nextLong();
            long[] shape = {rows, cols};
            MergeMethod mm = MergeMethods.byName(method);
            Map<String, Double> globals = new LinkedHashMap<>(Map.of("normalize", normalize ? 1.0 : 0.0));
            if (mm instanceof GeneralizedTaskArithmetic) {
                globals.put("rescale", rescale ? 1.0 : 0.0);
                globals.put("lambda", lambda);
            }
            float[] kernel = mm.merge(new MergeInput("model.layers.1.mlp.up_proj.weight", shape,
                    MergeInput.ModelTensor.stored(TensorBytes.fromFloats(base, dtype), dtype, n, Map.of()), stored, globals, seed));
            float[] paper = mm instanceof GeneralizedTaskArithmetic g
                    ? PaperForms.taskArithmetic(g, base, plain, shape, normalize, rescale, lambda, seed)
                    : PaperForms.linear(plain, normalize);
            boolean lanewiseSums = method.startsWith("dare") && rescale;
            for (int i = 0; i < n; i++) {
                if (lanewiseSums) {
                    assertEquals(paper[i], kernel[i], 4 * Math.ulp(Math.abs(paper[i])) + 1e-9f, method + " entry " + i);
                } else {
                    assertEquals(Float.floatToIntBits(paper[i] + 0f), Float.floatToIntBits(kernel[i] + 0f),
                            () -> method + " " + dtype + " differs");
                }
            }
            exact += lanewiseSums ? 0 : 1;
        }
        assertTrue(exact > 30, "most trials are checked bit for bit: " + exact);
    }

    private static float[] randoms(SplittableRandom r, int n, double scale, Object around) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((around instanceof float[] b ? b[i] : 0) + scale * r.nextGaussian());
        }
        return v;
    }

    private static float[] rounded(float[] v, DType dtype) {
        return TensorBytes.toFloats(TensorBytes.fromFloats(v, dtype), dtype, v.length);
    }
}
