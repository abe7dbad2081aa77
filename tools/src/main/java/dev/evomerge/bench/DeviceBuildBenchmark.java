package dev.evomerge.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.driver.Evolution;
import dev.evomerge.driver.Genome;
import dev.evomerge.driver.RunConfig;
import dev.evomerge.executor.CandidateSpec;
import dev.evomerge.executor.EvalTask;
import dev.evomerge.executor.ShardResult;
import dev.evomerge.executor.Worker;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.kernel.KeepMask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Candidates built on the device from resident parents ({@code candidate_build: device}) against
 * the Java merge ({@code java}), in one {@link Worker} each, on this CPU: the same DJL calls a GPU
 * executor makes, here on PyTorch's CPU kernels; the device build also in units of one float32 copy
 * of the parameters on DJL's CPU device, and the packing of DARE's keep decisions in Java, both
 * measured in the same run. The GPU's cost model ({@code DeviceMerge.trafficPerParameter}) and its
 * projection to 7B are in BENCHMARKS.md until a GPU is lent to measure them.
 */
public final class DeviceBuildBenchmark {
    /** ~200M parameters: big enough that per-operation overheads vanish, small enough for resident float32 parents here. */
    static final RehearsalBenchmark.LlamaShape SHAPE = new RehearsalBenchmark.LlamaShape(1024, 12, 16, 4, 2816, 32000);
    static final int BUILDS = 3;

    private DeviceBuildBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path root = (args.length > 0 ? Path.of(args[0]) : Path.of(System.getProperty("java.io.tmpdir"))).resolve("evomerge-200m");
        String device = args.length > 1 ? args[1] : "cpu"; // gpu on a GPU machine: the measurement the cost model waits for
        RehearsalBenchmark.family(root, SHAPE);
        long params = SHAPE.parameters();
        System.out.printf(Locale.ROOT, "family: base + 3 variants of %,d parameters (bf16) in %s%n", params, root);
        double copy = djlCopyBandwidth(device.startsWith("gpu") ? Device.gpu() : Device.cpu());
        double javaCopy = new MergeBenchmark.CopyBaseline().best();
        double pack = packRate();
        System.out.printf(Locale.ROOT, "baselines: DJL " + device + " copy %.2f GB/s (read + write), Java arraycopy %.2f GB/s, "
                + "keep bits packed in Java %.0f M entries/s (all cores)%n", copy / 1e9, javaCopy / 1e9, pack / 1e6);
        System.out.println("method             java build   device build   device / java   device / one DJL copy of the parameters");
        for (String method : List.of("task_arithmetic", "dare_ties", "ties")) {
            double java = medianBuild(root, method, "java", device);
            double onDevice = medianBuild(root, method, "device", device);
            System.out.printf(Locale.ROOT, "%-16s %10.2f s %12.2f s %15.2f %18.1f%n", method, java, onDevice, onDevice / java,
                    onDevice * copy / (params * 8.0));
        }
    }

    /** The median build time of {@link #BUILDS} candidates after a first (which opens the parents and makes them resident). */
    static double medianBuild(Path root, String method, String build, String device) {
        Path config = root.resolve("device-" + method + "-" + build + ".yaml");
        try {
            Files.writeString(config, """
                    run_id: device-build
                    out: runs/device-build
                    merge:
                      method: %s
                      base_model: base
                      models: [a, b, c]
                    genome: {layer_granularity: 4}
                    optimizer: {population: 4, generations: 1, seed: 1}
                    fitness:
                      batch_size: 1
                      tasks: [{name: en, task: likelihood, data: %s, split: "range:0:1"}]
                    device: %s
                    candidate_cache: 1
                    candidate_build: %s
                    """.formatted(method, Path.of(System.getProperty("evomerge.root", ".")).toAbsolutePath()
                    .resolve("data/mgsm/mgsm_en.tsv"), device, build));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        RunConfig run = RunConfig.read(config);
        Storage storage = Storage.withDefaults();
        Genome genome = Evolution.genome(run, storage);
        double[] seconds = new double[BUILDS];
        try (Worker worker = new Worker(run.workerSpec(), storage, new CheckpointCache(storage, root.resolve("cache")))) {
            for (int c = 0; c <= BUILDS; c++) {
                double[] x = genome.initial();
                for (int i = 0; i < x.length; i++) {
                    x[i] = 0.3 + 0.4 * ((i * (c + 2)) % 7) / 6.0; // every candidate another: every tensor merged again
                }
                ShardResult r = worker.run(new EvalTask(1, c, 0, new CandidateSpec("candidate " + c, genome.decode(x)), false));
                if (r.error() != null) {
                    throw new IllegalStateException(r.error());
                }
                if (c > 0) {
                    seconds[c - 1] = r.buildSeconds();
                }
            }
        }
        Arrays.sort(seconds);
        return seconds[BUILDS / 2];
    }

    /** Bytes read and written per second by a float32 copy on {@code device} (64M entries), best of 5. */
    static double djlCopyBandwidth(Device device) {
        try (NDManager m = NDManager.newBaseManager(device)) {
            NDArray a = m.ones(new Shape(64L << 20), DataType.FLOAT32);
            double best = 0;
            for (int rep = 0; rep < 5; rep++) {
                long t0 = System.nanoTime();
                NDArray b = a.duplicate(); // a clone: toType(FLOAT32, true) of a float32 array copies nothing
                double s = (System.nanoTime() - t0) / 1e9;
                b.close();
                best = Math.max(best, a.size() * 8.0 / s);
            }
            return best;
        }
    }

    /** DARE's keep decisions packed as bits, in entries per second (64M entries, all cores), best of 5. */
    static double packRate() {
        KeepMask mask = new KeepMask(42, 0.5);
        int n = 64 << 20;
        double best = 0;
        for (int rep = 0; rep < 5; rep++) {
            long t0 = System.nanoTime();
            byte[] bits = mask.packedBits(n);
            double s = (System.nanoTime() - t0) / 1e9;
            if (bits.length != n / 8) {
                throw new IllegalStateException("packed " + bits.length);
            }
            best = Math.max(best, n / s);
        }
        return best;
    }
}
