package dev.evomerge.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.SyntheticCheckpoints;
import dev.evomerge.io.DType;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.merge.MergeInput;
import dev.evomerge.merge.MergeMethod;
import dev.evomerge.merge.MergeMethods;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code scripts/bench merge}: merge throughput in GB/s of input weights read (decode from the
 * stored bytes + the method's arithmetic) for linear and dare_ties over three models, at 7B
 * shapes (4096 x 4096 and 14336 x 4096) with F32 and BF16 inputs, next to this machine's memory
 * bandwidth measured in the same run (a large array copy). Also linear on DJL NDArrays, to
 * choose where the arithmetic runs on a CPU.
 */
public final class MergeBenchmark {
    private MergeBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("peer")) {
            peer(args.length > 1 ? java.nio.file.Path.of(args[1]) : java.nio.file.Path.of(System.getProperty("java.io.tmpdir")));
            return;
        }
        if (args.length > 0 && args[0].equals("process")) {
            wholeProcess(args.length > 1 ? java.nio.file.Path.of(args[1]) : java.nio.file.Path.of(System.getProperty("java.io.tmpdir")));
            return;
        }
        CopyBaseline copy = new CopyBaseline();
        System.out.printf(Locale.ROOT, "memory bandwidth (System.arraycopy of 512 MiB, bytes read): %.2f GB/s at the start;"
                + " each figure below is a ratio to copies timed between its merges%n", copy.best() / 1e9);
        for (long[] shape : new long[][] {{4096, 4096}, {14336, 4096}}) {
            for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
                int n = (int) (shape[0] * shape[1]);
                List<ByteBuffer> inputs = new ArrayList<>();
                SplittableRandom r = new SplittableRandom(1);
                for (int m = 0; m < 4; m++) { // base + three models
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = (float) (r.nextGaussian() * 0.02);
                    }
                    ByteBuffer b = ByteBuffer.allocateDirect(n * dtype.size()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    b.put(TensorBytes.fromFloats(v, dtype)).flip();
                    inputs.add(b);
                }
                for (String method : new String[] {"linear", "dare_ties"}) {
                    Throughput t = throughput(method, shape, dtype, inputs, copy);
                    System.out.printf(Locale.ROOT, "%-9s %-13s %-4s  %6.2f GB/s of input read, copy %5.2f GB/s beside it"
                                    + "  = %3.0f%% of copy bandwidth (goal %s)%n", method, Arrays.toString(shape), dtype,
                            t.rate() / 1e9, t.copy() / 1e9, 100 * t.ratio(), method.equals("linear") ? ">= 50%" : ">= 25%");
                }
                if (dtype == DType.F32) {
                    double djl = linearOnDjl(shape, inputs);
                    System.out.printf(Locale.ROOT, "linear    %-13s F32   %6.2f GB/s on DJL NDArrays (CPU), for comparison%n",
                            Arrays.toString(shape), djl / 1e9);
                }
            }
        }
    }

    /** Medians over the timed runs: merge rate, copy rate, and the ratio of each run's merge to the copy timed just before it. */
    private record Throughput(double rate, double copy, double ratio) {
    }

    /**
     * Merges as {@link dev.evomerge.merge.Merger} does: every input (the base too) handed over as
     * its stored bytes, decoded by the method, whole or chunk by chunk; bytes read per second, 7
     * runs after 3 untimed ones (the JIT compiles a method's loops in its first runs). Each run is
     * preceded by one timed copy: on a shared machine the load drifts within a minute, so a merge
     * is compared with the bandwidth of the same moment, not with one figure from the start.
     */
    private static Throughput throughput(String methodName, long[] shape, DType dtype, List<ByteBuffer> inputs,
                                         CopyBaseline copy) {
        MergeMethod method = MergeMethods.byName(methodName);
        int n = (int) (shape[0] * shape[1]);
        boolean usesBase = method.needsBase();
        int warmUp = 3;
        double[] rates = new double[7];
        double[] copies = new double[rates.length];
        double[] ratios = new double[rates.length];
        long bytes = 0;
        for (int rep = -warmUp; rep < rates.length; rep++) {
            double copyRate = copy.once();
            long t0 = System.nanoTime();
            bytes = 0;
            MergeInput.ModelTensor base = null;
            if (usesBase) {
                base = MergeInput.ModelTensor.stored(inputs.get(0), dtype, n, Map.of());
                bytes += inputs.get(0).remaining();
            }
            List<MergeInput.ModelTensor> models = new ArrayList<>();
            for (int m = 1; m < 4; m++) {
                models.add(MergeInput.ModelTensor.stored(inputs.get(m), dtype, n, Map.of("weight", 1.0 / 3, "density", 0.5)));
                bytes += inputs.get(m).remaining();
            }
            float[] out = method.merge(new MergeInput("w", shape, base, models, Map.of(), 7));
            if (out.length != n) {
                throw new AssertionError();
            }
            if (rep >= 0) {
                rates[rep] = bytes / ((System.nanoTime() - t0) / 1e9);
                copies[rep] = copyRate;
                ratios[rep] = rates[rep] / copyRate;
            }
        }
        return new Throughput(median(rates), median(copies), median(ratios));
    }

    private static double median(double[] xs) {
        double[] sorted = xs.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double linearOnDjl(long[] shape, List<ByteBuffer> inputs) {
        int n = (int) (shape[0] * shape[1]);
        double[] times = new double[5];
        try (NDManager m = NDManager.newBaseManager()) {
            for (int rep = 0; rep < times.length; rep++) {
                try (NDScope ignored = new NDScope()) {
                    long t0 = System.nanoTime();
                    NDArray acc = null;
                    for (int i = 1; i < 4; i++) {
                        NDArray x = m.create(inputs.get(i).duplicate(), new Shape(shape), DataType.FLOAT32).mul(1.0 / 3);
                        acc = acc == null ? x : acc.add(x);
                    }
                    float[] out = acc.toFloatArray();
                    if (out.length != n) {
                        throw new AssertionError();
                    }
                    times[rep] = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        Arrays.sort(times);
        return 3.0 * n * 4 / times[times.length / 2];
    }

    /**
     * scripts/merge as a user runs it, in its own JVM under /usr/bin/time: dare_ties over three
     * synthetic checkpoints of about 1 GB each (Llama-shaped: hidden 4096, MLP 14336, 1 layer,
     * vocab 8192, F32). Prints wall time and peak resident memory.
     */
    private static void wholeProcess(java.nio.file.Path dir) throws Exception {
        java.nio.file.Path root = java.nio.file.Files.createTempDirectory(dir, "evomerge-merge-bench");
        try {
            List<String> names = List.of("base", "a", "b");
            long bytes = 0;
            for (int k = 0; k < names.size(); k++) {
                bytes += SyntheticCheckpoints.write(root.resolve(names.get(k)),
                        new SyntheticCheckpoints.Spec("llama", 4096, 32, 8, 1, 14336, 8192, false, null), k, 0.02, 0);
            }
            String[] measured = timedMerge(root, "dare_ties", List.of("a", "b"), "weight: 0.5, density: 0.5", "-Xmx6g");
            System.out.printf(Locale.ROOT, "scripts/merge dare_ties over 3 checkpoints of %.2f GB each (%.2f GB in):%n  %s%n  %s%n",
                    bytes / 3 / 1e9, bytes / 1e9, measured[0], measured[1]);
        } finally {
            dev.evomerge.io.AtomicDirectory.deleteRecursively(root);
        }
    }

    /**
     * {@code scripts/bench merge peer [DIR]}: the shapes of issue 23's comparison with mergekit: a
     * base and three fine-tunes of 483M parameters each, Llama layout, bfloat16 (hidden 1024, 32
     * layers, MLP 2816, vocab 35000, untied head); {@code scripts/merge} with ties, dare_ties and
     * linear over them, wall time and peak resident memory of each whole process.
     */
    private static void peer(java.nio.file.Path dir) throws Exception {
        java.nio.file.Path root = java.nio.file.Files.createTempDirectory(dir, "evomerge-merge-peer");
        try {
            List<String> names = List.of("base", "a", "b", "c");
            SyntheticCheckpoints.Spec spec = new SyntheticCheckpoints.Spec("llama", 1024, 16, 16, 32, 2816, 35000, false, null);
            long bytes = 0;
            for (int k = 0; k < names.size(); k++) {
                bytes += SyntheticCheckpoints.write(root.resolve(names.get(k)), spec, k, 0.02, 0.01, dev.evomerge.io.DType.BF16);
            }
            System.out.printf(Locale.ROOT, "4 checkpoints of %.0fM parameters (%.2f GB each, bfloat16)%n", bytes / 4 / 2 / 1e6, bytes / 4 / 1e9);
            for (String[] m : new String[][] {{"ties", "weight: 0.33, density: 0.5"}, {"dare_ties", "weight: 0.33, density: 0.5"},
                                              {"linear", "weight: 0.33"}}) {
                String[] measured = timedMerge(root, m[0], List.of("a", "b", "c"), m[1], "-Xmx6g");
                System.out.printf(Locale.ROOT, "%-10s %s | %s%n", m[0], measured[0], measured[1]);
                dev.evomerge.io.AtomicDirectory.deleteRecursively(root.resolve("out"));
            }
        } finally {
            dev.evomerge.io.AtomicDirectory.deleteRecursively(root);
        }
    }

    /** scripts/merge of {@code models} over {@code root/base} with {@code method} under /usr/bin/time -v: wall time and peak RSS lines. */
    static String[] timedMerge(java.nio.file.Path root, String method, List<String> models, String parameters, String heap)
            throws Exception {
        StringBuilder recipe = new StringBuilder("merge_method: " + method + "\n");
        if (!method.equals("linear")) {
            recipe.append("base_model: ").append(root.resolve("base")).append('\n');
        }
        recipe.append("models:\n");
        for (String m : models) {
            recipe.append("  - model: ").append(root.resolve(m)).append("\n    parameters: {").append(parameters).append("}\n");
        }
        recipe.append("seed: 1\n");
        java.nio.file.Path cfg = root.resolve("recipe.yaml");
        java.nio.file.Files.writeString(cfg, recipe);
        String cp = System.getProperty("java.class.path");
        Process p = new ProcessBuilder("/usr/bin/time", "-v", "java", heap, "-Dai.djl.offline=true",
                "--add-modules=jdk.incubator.vector", "-cp", cp,
                "dev.evomerge.cli.Merge", cfg.toString(), root.resolve("out").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("merge failed:\n" + out);
        }
        String wall = out.lines().filter(l -> l.contains("Elapsed (wall clock)")).findFirst().orElse("?").strip();
        String rss = out.lines().filter(l -> l.contains("Maximum resident set size")).findFirst().orElse("?").strip();
        return new String[] {wall, rss};
    }

    /** This machine's memory bandwidth: a copy of 512 MiB between two arrays, bytes read per second (one thread). */
    static final class CopyBaseline {
        private final float[] src = new float[128 << 20];
        private final float[] dst = new float[src.length];

        CopyBaseline() {
            Arrays.fill(src, 1f);
        }

        double once() {
            long t0 = System.nanoTime();
            System.arraycopy(src, 0, dst, 0, src.length);
            return src.length * 4.0 / ((System.nanoTime() - t0) / 1e9);
        }

        double best() {
            double best = 0;
            for (int rep = 0; rep < 7; rep++) {
                best = Math.max(best, once());
            }
            return best;
        }
    }
}
