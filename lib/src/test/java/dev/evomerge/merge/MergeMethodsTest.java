package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.merge.kernel.KeepMask;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Hand-worked examples per method on tiny tensors, and the properties the methods must have. */
class MergeMethodsTest {

    private static MergeInput.ModelTensor model(float[] v, Object... params) {
        java.util.Map<String, Double> p = new java.util.HashMap<>();
        for (int i = 0; i < params.length; i += 2) {
            p.put((String) params[i], ((Number) params[i + 1]).doubleValue());
        }
        return new MergeInput.ModelTensor(v, p);
    }

    private static float[] merge(String method, float[] base, Map<String, Double> globals, MergeInput.ModelTensor... models) {
        int n = base != null ? base.length : models[0].values().length;
        return MergeMethods.byName(method).merge(new MergeInput("w", new long[] {n}, base, List.of(models), globals, 7));
    }

    @Test
    void linearIsTheNormalizedWeightedAverage() {
        // (1*[1,2] + 3*[3,4]) / 4 = [2.5, 3.5]
        assertArrayEquals(new float[] {2.5f, 3.5f}, merge("linear", null, Map.of(),
                model(new float[] {1, 2}, "weight", 1), model(new float[] {3, 4}, "weight", 3)));
        // normalize: false -> the plain weighted sum [10, 14]
        assertArrayEquals(new float[] {10f, 14f}, merge("linear", null, Map.of("normalize", 0.0),
                model(new float[] {1, 2}, "weight", 1), model(new float[] {3, 4}, "weight", 3)));
        // one model at weight 1 is the identity
        float[] x = {0.1f, -2.5f, 7f};
        assertArrayEquals(x, merge("linear", null, Map.of(), model(x, "weight", 1)));
    }

    @Test
    void taskArithmeticAddsWeightedTaskVectorsScaledByLambda() {
        float[] base = {1, 1};
        // deltas [1, 2] and [-1, 0]; 1*[1,2] + 0.5*[-1,0] = [0.5, 2]; base + that = [1.5, 3]
        assertArrayEquals(new float[] {1.5f, 3f}, merge("task_arithmetic", base, Map.of(),
                model(new float[] {2, 3}, "weight", 1), model(new float[] {0, 1}, "weight", 0.5)));
        // lambda 2 doubles the mixed delta: [1 + 1, 1 + 4]
        assertArrayEquals(new float[] {2f, 5f}, merge("task_arithmetic", base, Map.of("lambda", 2.0),
                model(new float[] {2, 3}, "weight", 1), model(new float[] {0, 1}, "weight", 0.5)));
    }

    @Test
    void tiesKeepsTheLargestDensityShareOfEachDeltaAndTheMajoritySign() {
        float[] base = {0, 0, 0, 0};
        // Model A delta [ 3, -1, 0.5, -2], density 0.5 keeps the two largest: [3, 0, 0, -2]
        // Model B delta [-1,  2, 1,   -4], density 0.5 keeps [0, 2, 0, -4]
        // weights 1 and 1: sums per entry [3, 2, 0, -6] -> majority signs [+, +, + (0 counts as +), -]
        // entry 0: A (+3) agrees, B (0) has sign 0 -> mixed 3, divisor 1 -> 3
        // entry 1: B (+2) agrees -> 2 / 1 = 2
        // entry 2: nobody kept -> 0 / (divisor 0 -> 1) = 0
        // entry 3: A (-2) and B (-4) agree -> -6 / 2 = -3
        float[] got = merge("ties", base, Map.of(),
                model(new float[] {3, -1, 0.5f, -2}, "weight", 1, "density", 0.5),
                model(new float[] {-1, 2, 1, -4}, "weight", 1, "density", 0.5));
        assertArrayEquals(new float[] {3, 2, 0, -3}, got);
    }

    @Test
    void tiesWithDensityOneAndOneModelIsTaskArithmetic() {
        SplittableRandom r = new SplittableRandom(3);
        float[] base = new float[50];
        float[] x = new float[50];
        for (int i = 0; i < 50; i++) {
            base[i] = (float) r.nextGaussian();
            x[i] = (float) r.nextGaussian();
        }
        assertArrayEquals(merge("task_arithmetic", base, Map.of(), model(x, "weight", 1)),
                merge("ties", base, Map.of(), model(x, "weight", 1, "density", 1)), 1e-6f);
    }

    @Test
    void dareKeepsAboutDensityOfTheDeltaAndIsReproducibleFromItsSeed() {
        int n = 20_000;
        float[] base = new float[n];
        float[] x = new float[n];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < n; i++) {
            x[i] = (float) (1 + r.nextDouble()); // all deltas positive, nonzero
        }
        float[] a = merge("dare_linear", base, Map.of("rescale", 0.0), model(x, "weight", 1, "density", 0.3));
        float[] b = merge("dare_linear", base, Map.of("rescale", 0.0), model(x, "weight", 1, "density", 0.3));
        assertArrayEquals(a, b, "same seed, same mask");
        long kept = 0;
        for (int i = 0; i < n; i++) {
            if (a[i] != 0) {
                kept++;
                assertEquals(x[i], a[i], "a kept entry is unchanged without rescale");
            }
        }
        double share = kept / (double) n;
        assertTrue(Math.abs(share - 0.3) < 0.02, "kept share " + share); // 6 sigma is 0.02 at n = 20000
        // With rescale (the default for DARE) the kept entries are scaled to preserve the L1 norm.
        float[] rescaled = merge("dare_linear", base, Map.of(), model(x, "weight", 1, "density", 0.3));
        double before = 0;
        double after = 0;
        for (int i = 0; i < n; i++) {
            before += Math.abs(x[i]);
            after += Math.abs(rescaled[i]);
        }
        assertEquals(before, after, before * 1e-5);
        float[] otherSeed = MergeMethods.byName("dare_linear").merge(new MergeInput("w", new long[] {n}, base,
                List.of(model(x, "weight", 1, "density", 0.3)), Map.of("rescale", 0.0), 8));
        assertTrue(!java.util.Arrays.equals(a, otherSeed), "another seed draws another mask");
    }

    @Test
    void dareTiesOnStoredBf16TensorsMatchesAPlainPerEntryComputation() {
        // Several tasks of chunks and a short last chunk; every input (the base too) stored as bf16
        // bytes, decoded chunk by chunk as the merger hands them over; weights of both signs.
        int n = 3 * 16 * 4096 + 123; // Chunks.PER_TASK * Chunks.SIZE entries a task
        SplittableRandom r = new SplittableRandom(21);
        float[] base = new float[n];
        float[][] xs = new float[3][n];
        for (int i = 0; i < n; i++) {
            base[i] = bf16((float) r.nextGaussian());
            for (float[] x : xs) {
                x[i] = bf16(base[i] + (float) (0.1 * r.nextGaussian()));
            }
        }
        double[] weights = {0.7, -0.4, 0.5};
        double[] densities = {0.3, 0.5, 0.9};
        List<MergeInput.ModelTensor> stored = new ArrayList<>();
        for (int m = 0; m < 3; m++) {
            stored.add(MergeInput.ModelTensor.stored(bf16Bytes(xs[m]), dev.evomerge.io.DType.BF16, n,
                    Map.of("weight", weights[m], "density", densities[m])));
        }
        long seed = 99;
        MergeInput.ModelTensor storedBase = MergeInput.ModelTensor.stored(bf16Bytes(base), dev.evomerge.io.DType.BF16, n, Map.of());
        Map<String, Double> normalize = Map.of("normalize", 1.0); // dare_ties' default is off, as in mergekit: the divisor tested too
        float[] got = MergeMethods.byName("dare_ties").merge(new MergeInput("w", new long[] {n}, storedBase, stored, normalize, seed));
        float[] fromValues = MergeMethods.byName("dare_ties").merge(new MergeInput("w", new long[] {n}, base.clone(), stored, normalize,
                seed));
        assertArrayEquals(fromValues, got, "the base as stored bytes or as values: the same merge");

        // The plain form: mask each delta (KeepMask.kept, the keys drawn as the method draws them),
        // rescale to its L1 norm, elect the sign of the weighted sum, average the agreeing deltas.
        SplittableRandom root = new SplittableRandom(seed);
        double[][] kept = new double[3][n];
        double[] rescale = new double[3];
        for (int m = 0; m < 3; m++) {
            KeepMask mask = new KeepMask(root.split().nextLong(), densities[m]);
            double before = 0;
            double after = 0;
            for (int i = 0; i < n; i++) {
                double d = xs[m][i] - base[i];
                kept[m][i] = mask.kept(i) ? d : 0;
                before += Math.abs(d);
                after += Math.abs(kept[m][i]);
            }
            rescale[m] = before / after;
        }
        for (int i = 0; i < n; i++) {
            double total = 0;
            for (int m = 0; m < 3; m++) {
                total += weights[m] * rescale[m] * kept[m][i];
            }
            double sign = total < 0 ? -1 : 1;
            double sum = 0;
            double divisor = 0;
            for (int m = 0; m < 3; m++) {
                double v = weights[m] * rescale[m] * kept[m][i];
                if (v * sign > 0) {
                    sum += v;
                    divisor += weights[m];
                }
            }
            double expected = base[i] + (divisor == 0 ? sum : sum / divisor);
            assertEquals(expected, got[i], 1e-5 * (1 + Math.abs(expected)), "entry " + i);
        }
    }

    private static float bf16(float x) {
        return dev.evomerge.io.HalfFloats.bf16ToF32(dev.evomerge.io.HalfFloats.f32ToBf16(x));
    }

    private static java.nio.ByteBuffer bf16Bytes(float[] values) {
        return dev.evomerge.io.TensorBytes.fromFloats(values, dev.evomerge.io.DType.BF16);
    }

    @Test
    void breadcrumbsDropsTheLargestOutliersThenTheSmallest() {
        // 10 entries |delta| = 1..10; density 0.5 keeps 5; gamma 0.2 drops the 2 largest (10, 9);
        // then the 3 smallest (1, 2, 3) go: kept 4, 5, 6, 7, 8.
        float[] delta = {5, -1, 9, 2, -8, 3, 10, 4, -7, 6};
        float[] got = merge("breadcrumbs", new float[10], Map.of(), model(delta, "weight", 1, "density", 0.5, "gamma", 0.2));
        assertArrayEquals(new float[] {5, 0, 0, 0, -8, 0, 0, 4, -7, 6}, got);
    }

    @Test
    void dellaKeepsLargeEntriesMoreOftenThanSmallOnes() {
        int rows = 4000;
        int cols = 4;
        float[] delta = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                delta[r * cols + c] = c + 1; // ranks 0..3 within each row
            }
        }
        float[] got = MergeMethods.byName("della_linear").merge(new MergeInput("w", new long[] {rows, cols}, new float[rows * cols],
                List.of(model(delta, "weight", 1, "density", 0.5, "epsilon", 0.3)), Map.of("rescale", 0.0), 1));
        // keep probabilities by rank: 0.2, 0.4, 0.6, 0.8 (density - eps + rank/(cols-1) * 2 eps)
        double[] expected = {0.2, 0.4, 0.6, 0.8};
        for (int c = 0; c < cols; c++) {
            int kept = 0;
            for (int r = 0; r < rows; r++) {
                kept += got[r * cols + c] != 0 ? 1 : 0;
            }
            assertEquals(expected[c], kept / (double) rows, 0.04, "rank " + c);
        }
        assertThrows(IllegalArgumentException.class, () -> MergeMethods.byName("della").merge(new MergeInput("w",
                new long[] {4}, new float[4], List.of(model(new float[] {1, 2, 3, 4}, "weight", 1, "density", 0.5, "epsilon", 0.5)),
                Map.of(), 1)));
    }

    @Test
    void slerpFollowsTheGreatCircleFromTheBaseToTheOtherModel() {
        float[] base = {1, 0};
        float[] other = {0, 1};
        float s = (float) Math.sqrt(0.5);
        assertArrayEquals(new float[] {s, s}, merge("slerp", base, Map.of("t", 0.5), model(other)), 1e-6f);
        assertArrayEquals(base, merge("slerp", base, Map.of("t", 0.0), model(other)), 1e-7f);
        assertArrayEquals(other, merge("slerp", base, Map.of("t", 1.0), model(other)), 1e-7f);
        // t = 1/3 of a right angle: (cos 30 deg, sin 30 deg)
        assertArrayEquals(new float[] {(float) Math.cos(Math.PI / 6), 0.5f}, merge("slerp", base, Map.of("t", 1.0 / 3), model(other)), 1e-6f);
        // Colinear vectors are interpolated linearly: [1,2] and [2,4] at t = 0.5 give [1.5, 3].
        assertArrayEquals(new float[] {1.5f, 3f}, merge("slerp", new float[] {1, 2}, Map.of("t", 0.5), model(new float[] {2, 4})), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> merge("slerp", base, Map.of("t", 0.5), model(other), model(other)));
    }

    @Test
    void nuslerpWeighsTwoModelsPerRowOrWhole() {
        // Whole tensor, weights 1 and 1: t = 0.5 between orthogonal [1,0,0,0] and [0,0,0,1]-like vectors.
        float[] a = {1, 0, 0, 0};
        float[] b = {0, 0, 0, 1};
        float s = (float) Math.sqrt(0.5);
        MergeMethod nu = MergeMethods.byName("nuslerp");
        float[] whole = nu.merge(new MergeInput("w", new long[] {2, 2}, (float[]) null, List.of(model(a, "weight", 1), model(b, "weight", 1)),
                Map.of(), 0));
        assertArrayEquals(new float[] {s, 0, 0, s}, whole, 1e-6f);
        // Per row (nuslerp_flatten false): row 0 is [1,0] vs [0,0] (a zero vector: cos 0, sin formula), row 1 [0,0] vs [0,1].
        float[] rows = nu.merge(new MergeInput("w", new long[] {2, 2}, (float[]) null, List.of(model(a, "weight", 3), model(b, "weight", 1)),
                Map.of("nuslerp_flatten", 0.0), 0));
        // t = 1/4; with one side zero each row is sin((1-t) pi/2) v0 + sin(t pi/2) v1
        assertArrayEquals(new float[] {(float) Math.sin(0.75 * Math.PI / 2), 0, 0, (float) Math.sin(0.25 * Math.PI / 2)}, rows, 1e-6f);
        // With a base: the task vectors are slerped and added back.
        float[] base = {1, 1, 1, 1};
        float[] withBase = nu.merge(new MergeInput("w", new long[] {4}, base,
                List.of(model(new float[] {2, 1, 1, 1}, "weight", 1), model(new float[] {1, 1, 1, 2}, "weight", 1)), Map.of(), 0));
        assertArrayEquals(new float[] {1 + s, 1, 1, 1 + s}, withBase, 1e-6f);
    }

    @Test
    void modelStockPullsTheAverageTowardTheBaseByAgreement() {
        float[] base = {0, 0};
        // Orthogonal task vectors: cos 0 -> t 0 -> the base.
        assertArrayEquals(base, merge("model_stock", base, Map.of(), model(new float[] {1, 0}), model(new float[] {0, 1})), 1e-7f);
        // Identical task vectors: cos 1 -> t = 2/2 = 1 -> their average.
        assertArrayEquals(new float[] {1, 1}, merge("model_stock", base, Map.of(), model(new float[] {1, 1}), model(new float[] {1, 1})), 1e-6f);
        // [2,0] and [1,1]: cos = 2 / (2 sqrt 2) = 0.70711; t = 2 cos / (1 + cos) = 0.82843; avg [1.5, 0.5].
        double t = 2 * Math.sqrt(0.5) / (1 + Math.sqrt(0.5));
        assertArrayEquals(new float[] {(float) (1.5 * t), (float) (0.5 * t)},
                merge("model_stock", base, Map.of(), model(new float[] {2, 0}), model(new float[] {1, 1})), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> merge("model_stock", base, Map.of(), model(new float[] {1, 0})));
    }

    @Test
    void dareTiesSeedsComeFromRecipeSeedAndTensorName() {
        assertEquals(TensorSeeds.of(1, "model.layers.0.mlp.up_proj.weight"), TensorSeeds.of(1, "model.layers.0.mlp.up_proj.weight"));
        assertTrue(TensorSeeds.of(1, "a") != TensorSeeds.of(1, "b"));
        assertTrue(TensorSeeds.of(1, "a") != TensorSeeds.of(2, "a"));
    }

    @Test
    void unknownMethodsAndMissingWeightsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MergeMethods.byName("frankenmerge"));
        assertTrue(e.getMessage().startsWith("unknown merge method 'frankenmerge' (known: linear, slerp, nuslerp, model_stock, passthrough, task_arithmetic, ties"),
                e.getMessage());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> merge("task_arithmetic", new float[] {0}, Map.of(), model(new float[] {1})));
        assertEquals("tensor 'w': parameter 'weight' is required", w.getMessage());
        List<String> names = new ArrayList<>();
        MergeMethods.names().forEach(names::add);
        assertEquals(13, names.size());
    }
}
