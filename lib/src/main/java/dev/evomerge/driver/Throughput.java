package dev.evomerge.driver;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.io.DType;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.merge.MergeInput;
import dev.evomerge.merge.MergeMethod;
import dev.evomerge.model.Djl;
import dev.evomerge.merge.kernel.KeepMask;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The throughput figures a time estimate rests on, per executor. For executors like this machine
 * (a local run, or {@code device: cpu}) they are {@link #measure measured} here in a few seconds:
 * the Java build with the run's own method and inputs; the matmuls of the run's model shapes; DJL's
 * copy bandwidth; the packing of keep decisions. For GPU executors the device's figures
 * are {@link #assumedGpu stated assumptions} (an H100-class card) that a run config's
 * {@code estimate:} section replaces.
 *
 * @param source           where the figures come from, for the plan's text
 * @param javaBuildSeconds seconds per output parameter of the Java build (merge + copy onto the device)
 * @param flops            sustained FLOP/s of a forward pass on the device (2 per parameter per token)
 * @param bandwidth        device memory bytes read + written per second
 * @param hostToDevice     bytes per second from host to device (0: the device is the host)
 * @param packRate         keep decisions packed per second in Java (DARE, for a device build)
 */
public record Throughput(String source, double javaBuildSeconds, double flops, double bandwidth, double hostToDevice,
                         double packRate) {

    /**
     * Our prefill runs at 72-77% of DJL's matmul peak on a CPU, and a decode step costs 1.36-1.46x
     * its matmuls alone (BENCHMARKS.md, "inference"): the measured peak is scaled by these.
     */
    static final double PREFILL_OF_PEAK = 0.75;
    static final double DECODE_OVER_MATMULS = 1.4;

    /**
     * A GPU executor as assumed until one is measured: 200 TFLOP/s sustained in float16 on batched
     * forward passes (a fifth of an H100's dense peak), 80% of its 3.35 TB/s memory bandwidth,
     * 25 GB/s from the host (PCIe 4/5 in practice), and this machine's Java figures for what the
     * host does.
     */
    static Throughput assumedGpu(Throughput host) {
        return new Throughput("assumed GPU: 200 TFLOP/s, 2.68 TB/s, 25 GB/s from the host; Java figures measured here",
                host.javaBuildSeconds, 200e12, 2.68e12, 25e9, host.packRate);
    }

    /** The same figures with the run config's {@code estimate:} values in place of those it gives (null: kept). */
    Throughput with(Double tflops, Double bandwidthGbps, Double hostToDeviceGbps) {
        if (tflops == null && bandwidthGbps == null && hostToDeviceGbps == null) {
            return this;
        }
        return new Throughput(source + "; the run config's estimate: section", javaBuildSeconds,
                tflops == null ? flops : tflops * 1e12, bandwidthGbps == null ? bandwidth : bandwidthGbps * 1e9,
                hostToDeviceGbps == null ? hostToDevice : hostToDeviceGbps * 1e9, packRate);
    }

    /**
     * Measures this machine, each figure the best of two runs after a first:
     * <ul>
     * <li>the Java build of a tensor of the model's MLP shape as an executor builds one: {@code method} over a
     * base and {@code models} inputs stored as {@code dtype} (weights 1/models, density 0.5 where
     * read), the non-finite scan, the copy into DJL in two parts fused into one, transposed; plus
     * first touching the float32 weights the model keeps (fresh pages: on a VM each costs
     * microseconds);
     * <li>the forward: the matmuls of one layer of {@code config} and of its head, over
     * {@code rows} rows (a padded batch; at most 512), in float32, scaled by our prefill's measured
     * share of matmul time ({@link #PREFILL_OF_PEAK});
     * <li>a float32 copy on DJL's CPU device; packing keep decisions.
     * </ul>
     */
    static Throughput measure(MergeMethod method, int models, DType dtype, ModelConfig config, long rows) {
        Djl.init();
        // a tensor of the model's own MLP shape (at most 64M entries): allocations of that size behave as the build's do
        int rowsOfTensor = (int) Math.min(config.intermediateSize(), (64 << 20) / Math.max(1, config.hiddenSize()));
        int cols = config.hiddenSize();
        int n = rowsOfTensor * cols;
        DType inputType = dtype.isFloatingPoint() ? dtype : DType.BF16;
        // the inputs in a file, mapped for each build and unmapped after, as an executor reads its parents' tensors
        java.nio.file.Path file;
        try {
            file = java.nio.file.Files.createTempFile("evomerge-calibration", ".bin");
            file.toFile().deleteOnExit();
            try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                SplittableRandom rnd = new SplittableRandom(1);
                for (int m = 0; m <= models; m++) {
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = (float) (0.02 * rnd.nextGaussian());
                    }
                    ByteBuffer bytes = TensorBytes.fromFloats(v, inputType);
                    while (bytes.hasRemaining()) {
                        out.write(bytes);
                    }
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        long tensorBytes = (long) n * inputType.size();
        Map<String, Double> params = method.parametersRead().contains("density") ? Map.of("weight", 1.0 / models, "density", 0.5)
                : Map.of("weight", 1.0 / models);
        int m = (int) Math.min(512, Math.max(1, rows));
        long d = config.hiddenSize();
        long qDim = (long) config.numAttentionHeads() * config.headDim();
        long[][] shapes = { // [in, out] of a layer's fused matmuls, then the head
            {d, qDim + 2L * config.kvDim()}, {qDim, d}, {d, 2L * config.intermediateSize()}, {config.intermediateSize(), d},
            {d, config.vocabSize()}};
        double build = Double.MAX_VALUE;
        double forward = Double.MAX_VALUE;
        double bandwidth = 0;
        double pack = 0;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray big = manager.ones(new Shape(16L << 20), DataType.FLOAT32);
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime();
                List<ByteBuffer> stored = map(file, models + 1, tensorBytes);
                List<MergeInput.ModelTensor> inputs = new ArrayList<>();
                for (int k = 1; k <= models; k++) {
                    inputs.add(MergeInput.ModelTensor.stored(stored.get(k), inputType, n, params));
                }
                MergeInput.ModelTensor base = method.needsBase() ? MergeInput.ModelTensor.stored(stored.get(0), inputType, n, Map.of())
                        : null;
                float[] merged = method.merge(new MergeInput("calibration", new long[] {rowsOfTensor, cols}, base, inputs, Map.of(), 7));
                stored.forEach(dev.evomerge.io.MappedBuffers::unmap);
                for (float v : merged) {
                    if (!Float.isFinite(v)) {
                        throw new IllegalStateException("calibration merged a non-finite value");
                    }
                }
                int half = rowsOfTensor / 2 * cols;
                try (NDArray a = manager.create(java.util.Arrays.copyOfRange(merged, 0, half), new Shape(rowsOfTensor / 2, cols));
                     NDArray b = manager.create(java.util.Arrays.copyOfRange(merged, half, n), new Shape(rowsOfTensor - rowsOfTensor / 2, cols));
                     NDArray fused = a.concat(b, 0); NDArray view = fused.transpose(); NDArray flat = view.flatten()) {
                    flat.getFloat(0);
                }
                double seconds = (System.nanoTime() - t0) / 1e9 / n;
                double layer = 0;
                double head = 0;
                for (int k = 0; k < shapes.length; k++) {
                    try (NDArray x = manager.ones(new Shape(m, shapes[k][0]), DataType.FLOAT32);
                         NDArray w = manager.ones(new Shape(shapes[k][0], shapes[k][1]), DataType.FLOAT32)) {
                        t0 = System.nanoTime();
                        try (NDArray y = x.matMul(w)) {
                            y.getFloat(0, 0);
                        }
                        double s = (System.nanoTime() - t0) / 1e9;
                        if (k < shapes.length - 1) {
                            layer += s;
                        } else {
                            head = s;
                        }
                    }
                }
                // seconds per parameter per token of a whole forward: the layers' matmuls and the head's, over their FLOPs
                long layerParams = d * (qDim + 2L * config.kvDim()) + qDim * d + 3 * d * config.intermediateSize();
                double perParameterToken = (config.numHiddenLayers() * layer + head)
                        / ((double) m * (config.numHiddenLayers() * layerParams + d * config.vocabSize()));
                t0 = System.nanoTime();
                try (NDArray c = big.duplicate()) {
                    c.getFloat(0);
                }
                double copy = big.size() * 8.0 / ((System.nanoTime() - t0) / 1e9);
                t0 = System.nanoTime();
                new KeepMask(rep, 0.5).packedBits(n);
                double packed = n / ((System.nanoTime() - t0) / 1e9);
                if (rep > 0) { // the first run warms the JIT and the allocator
                    build = Math.min(build, seconds);
                    forward = Math.min(forward, perParameterToken);
                    bandwidth = Math.max(bandwidth, copy);
                    pack = Math.max(pack, packed);
                }
            }
        }
        // the built model's own weights are fresh memory, kept: 4 bytes a parameter in float32, first touched here
        double firstTouch;
        try (NDManager kept = NDManager.newBaseManager(Device.cpu())) {
            long t0 = System.nanoTime();
            for (int k = 0; k < 4; k++) {
                kept.ones(new Shape(16L << 20), DataType.FLOAT32).getFloat(0);
            }
            firstTouch = (System.nanoTime() - t0) / 1e9 / (4 * (16L << 20));
        }
        build += firstTouch;
        try {
            java.nio.file.Files.deleteIfExists(file);
        } catch (java.io.IOException e) {
            // a temporary file: deleted on exit otherwise
        }
        return new Throughput("measured on this machine", build, PREFILL_OF_PEAK * 2 / forward, bandwidth, 0, pack);
    }

    /** {@code count} tensors of {@code bytes} each, mapped from {@code file}, little-endian. */
    private static List<ByteBuffer> map(java.nio.file.Path file, int count, long bytes) {
        try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            List<ByteBuffer> mapped = new ArrayList<>();
            for (int k = 0; k < count; k++) {
                mapped.add(in.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, k * bytes, bytes)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN));
            }
            return mapped;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
