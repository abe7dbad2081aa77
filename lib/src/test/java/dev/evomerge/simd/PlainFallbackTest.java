package dev.evomerge.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.io.DType;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.merge.MergeInput;
import dev.evomerge.merge.MergeMethods;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM without the Vector API merges bit-identically: the same merges run here (on vectors) and
 * in a child JVM started without {@code --add-modules=jdk.incubator.vector} (plain loops).
 */
class PlainFallbackTest {

    @Test
    void aJvmWithoutTheVectorApiMergesTheSameBits() throws Exception {
        assertTrue(Simd.ENABLED, "this JVM runs the vectors");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), PlainFallbackTest.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child JVM finished");
        assertEquals(0, child.exitValue(), out);
        assertTrue(out.contains("jdk.incubator.vector is not enabled"), "the child runs the plain loops and says so: " + out);
        assertEquals(fingerprints(), out.lines().filter(l -> l.startsWith("merge ")).toList());
    }

    /** The child's side: the same merges, one line each. */
    public static void main(String[] args) {
        fingerprints().forEach(System.out::println);
    }

    /** Bit patterns of merges that use every vector kernel: bf16 decoding, DARE's keep loops, a linear bf16 sum. */
    private static List<String> fingerprints() {
        int n = 2 * 16 * 4096 + 77; // two tasks of chunks and a short chunk: vector loops and their plain tails
        SplittableRandom r = new SplittableRandom(4);
        float[] base = new float[n];
        float[][] xs = new float[3][n];
        for (int i = 0; i < n; i++) {
            base[i] = (float) r.nextGaussian();
            for (float[] x : xs) {
                x[i] = base[i] + (float) (0.05 * r.nextGaussian());
            }
        }
        List<String> lines = new ArrayList<>();
        for (String method : new String[] {"dare_ties", "dare_linear", "linear", "ties"}) {
            List<MergeInput.ModelTensor> models = new ArrayList<>();
            for (int m = 0; m < 3; m++) {
                models.add(MergeInput.ModelTensor.stored(TensorBytes.fromFloats(xs[m], DType.BF16), DType.BF16, n,
                        Map.of("weight", m == 1 ? -0.3 : 0.6, "density", 0.4 + 0.2 * m)));
            }
            MergeInput.ModelTensor storedBase = MergeInput.ModelTensor.stored(TensorBytes.fromFloats(base, DType.BF16), DType.BF16, n,
                    Map.of());
            float[] merged = MergeMethods.byName(method).merge(new MergeInput("w", new long[] {n}, storedBase, models, Map.of(), 3));
            int[] bits = new int[n];
            for (int i = 0; i < n; i++) {
                bits[i] = Float.floatToRawIntBits(merged[i]);
            }
            lines.add("merge " + method + " " + Arrays.hashCode(bits));
        }
        return lines;
    }
}
