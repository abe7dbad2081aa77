package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.evomerge.io.DType;
import dev.evomerge.io.TensorBytes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Merges stay bit-identical: the exact bits of 162 merges (every searchable and fixed method, on
 * float32 and bfloat16 inputs, with several weightings, densities and switches, on a tensor long
 * enough for the vector loops, their tails and several chunk tasks) against
 * {@code merge-hashes.txt}, written by this code before any rewrite of the merge kernels. A change
 * that moves a merge's bits has to say so and regenerate the file on purpose:
 * {@code java -cp ... dev.evomerge.merge.MergeHashesTest lib/src/test/resources/merge-hashes.txt}.
 */
class MergeHashesTest {
    private static final int N = 2 * 16 * 4096 + 77;

    /** name -> (method, parameter variant): the 162 merges. */
    static Map<String, float[]> merges() {
        Map<String, float[]> out = new LinkedHashMap<>();
        String[] methods = {"linear", "task_arithmetic", "ties", "dare_ties", "dare_linear", "breadcrumbs", "breadcrumbs_ties",
            "della", "della_linear"};
        // weights, density, and the globals of each variant
        Object[][] variants = {
            {new double[] {0.6, 0.4, 0.3}, 0.5, Map.of()},
            {new double[] {0.7, -0.3, 0.5}, 0.3, Map.of()},
            {new double[] {1.0, 1.0, 1.0}, 0.9, Map.of("normalize", 0.0)},
            {new double[] {0.2, 0.9, 0.5}, 0.6, Map.of("lambda", 0.75)},
            {new double[] {0.5, 0.5, 0.5}, 0.4, Map.of("rescale", 0.0)},
            {new double[] {1.3, 0.1, 0.4}, 0.2, Map.of("normalize", 1.0, "lambda", 1.5)},
            {new double[] {0.4, 0.6}, 0.7, Map.of()},
            {new double[] {0.9}, 0.5, Map.of()},
            {new double[] {0.3, 0.3, 0.3}, 1.0, Map.of("rescale", 1.0)},
        };
        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
            for (String method : methods) {
                for (int v = 0; v < variants.length; v++) {
                    double[] weights = (double[]) variants[v][0];
                    @SuppressWarnings("unchecked")
                    Map<String, Double> globals = (Map<String, Double>) variants[v][2];
                    out.put(method + " " + dtype + " variant " + v, merge(method, dtype, weights, (double) variants[v][1], globals, v));
                }
            }
        }
        return out;
    }

    private static float[] merge(String method, DType dtype, double[] weights, double density, Map<String, Double> globals, int seed) {
        SplittableRandom r = new SplittableRandom(1000 + seed);
        float[] base = new float[N];
        float[][] xs = new float[weights.length][N];
        for (int i = 0; i < N; i++) {
            base[i] = (float) (0.02 * r.nextGaussian());
            for (float[] x : xs) {
                x[i] = base[i] + (float) (0.002 * r.nextGaussian());
            }
        }
        List<MergeInput.ModelTensor> models = new ArrayList<>();
        for (int m = 0; m < weights.length; m++) {
            Map<String, Double> p = new LinkedHashMap<>(Map.of("weight", weights[m]));
            if (!method.equals("linear") && !method.equals("task_arithmetic")) {
                // DELLA needs density +/- epsilon (0.15) inside (0, 1)
                p.put("density", Math.min(method.startsWith("della") ? 0.8 : 1.0, density + 0.1 * m));
            }
            models.add(MergeInput.ModelTensor.stored(TensorBytes.fromFloats(xs[m], dtype), dtype, N, p));
        }
        MergeInput.ModelTensor storedBase = MergeInput.ModelTensor.stored(TensorBytes.fromFloats(base, dtype), dtype, N, Map.of());
        Map<String, Double> used = new LinkedHashMap<>();
        MergeMethod mm = MergeMethods.byName(method);
        globals.forEach((k, v) -> {
            if (mm.globalParameters().contains(k)) {
                used.put(k, v);
            }
        });
        return mm.merge(new MergeInput("model.layers.3.mlp.up_proj.weight", new long[] {N}, mm.needsBase() ? storedBase : null,
                models, used, 0x5eed + seed));
    }

    static String hash(float[] values) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] bytes = new byte[4 * values.length];
            for (int i = 0; i < values.length; i++) {
                int b = Float.floatToRawIntBits(values[i]);
                bytes[4 * i] = (byte) b;
                bytes[4 * i + 1] = (byte) (b >>> 8);
                bytes[4 * i + 2] = (byte) (b >>> 16);
                bytes[4 * i + 3] = (byte) (b >>> 24);
            }
            return HexFormat.of().formatHex(sha.digest(bytes), 0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> lines() {
        List<String> lines = new ArrayList<>();
        merges().forEach((name, v) -> lines.add(name + " " + hash(v)));
        return lines;
    }

    @Test
    void everyMergeHasTheBitsItHadBeforeTheKernelsWereRewritten() throws IOException {
        List<String> expected;
        try (InputStream in = MergeHashesTest.class.getResourceAsStream("/merge-hashes.txt")) {
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("#")).toList();
        }
        List<String> actual = lines();
        assertEquals(162, actual.size());
        for (int i = 0; i < actual.size(); i++) {
            assertEquals(expected.get(i), actual.get(i));
        }
    }

    /** Writes the golden file (on purpose only: a change of bits must be explained). */
    public static void main(String[] args) throws IOException {
        List<String> out = new ArrayList<>(List.of("# MergeHashesTest: the first 12 bytes of the SHA-256 of each merge's float32 bits",
                "# (name: method, input dtype, variant). Written by MergeHashesTest.main."));
        out.addAll(lines());
        Files.write(Path.of(args[0]), out, StandardCharsets.UTF_8);
    }
}
