package dev.evomerge.driver;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.io.DType;
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
 * (a local run, or {@code device: cpu}) they are {@link #measure measured} here in about a second:
 * the Java merge with the run's own method and inputs, then the copy into DJL; DJL's float32
 * matmul; its copy bandwidth; the packing of keep decisions. For GPU executors the device's figures
 * are {@link #assumedGpu stated assumptions} (an H100-class card) that a run config's
 * {@code estimate:} section replaces.
 *
 * @param source           where the figures come from, for the plan's text
 * @param javaBuildSeconds seconds per output parameter of the Java build (merge + copy onto the device)
 * @param flops            sustained FLOP/s of a forward pass on the device
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
     * Measures this machine: the Java build of 4M entries with {@code method} over a base and
     * {@code models} inputs stored as {@code dtype} (weights 1/models, density 0.5 where read) and
     * their copy into a DJL float32 array and its transpose (as the model stores weights); a
     * [512, 2048] x [2048, 2048] matmul; a float32 copy; packing keep decisions. Best of three each.
     */
    static Throughput measure(MergeMethod method, int models, DType dtype) {
        Djl.init();
        int rows = 2048;
        int cols = 2048;
        int n = rows * cols;
        SplittableRandom rnd = new SplittableRandom(1);
        List<ByteBuffer> stored = new ArrayList<>();
        for (int m = 0; m <= models; m++) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (0.02 * rnd.nextGaussian());
            }
            stored.add(TensorBytes.fromFloats(v, dtype.isFloatingPoint() ? dtype : DType.BF16));
        }
        DType inputType = dtype.isFloatingPoint() ? dtype : DType.BF16;
        Map<String, Double> params = method.parametersRead().contains("density") ? Map.of("weight", 1.0 / models, "density", 0.5)
                : Map.of("weight", 1.0 / models);
        double build = Double.MAX_VALUE;
        double flops = 0;
        double bandwidth = 0;
        double pack = 0;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = manager.ones(new Shape(512, cols), DataType.FLOAT32);
            NDArray b = manager.ones(new Shape(cols, rows), DataType.FLOAT32);
            NDArray big = manager.ones(new Shape(16L << 20), DataType.FLOAT32);
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime();
                List<MergeInput.ModelTensor> inputs = new ArrayList<>();
                for (int m = 1; m <= models; m++) {
                    inputs.add(MergeInput.ModelTensor.stored(stored.get(m).duplicate(), inputType, n, params));
                }
                MergeInput.ModelTensor base = method.needsBase() ? MergeInput.ModelTensor.stored(stored.get(0).duplicate(), inputType, n,
                        Map.of()) : null;
                float[] merged = method.merge(new MergeInput("calibration", new long[] {rows, cols}, base, inputs, Map.of(), 7));
                try (NDArray onDevice = manager.create(merged, new Shape(rows, cols)); NDArray t = onDevice.transpose().duplicate()) {
                    build = Math.min(build, (System.nanoTime() - t0) / 1e9 / n);
                }
                t0 = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    flops = Math.max(flops, 2.0 * 512 * cols * rows / ((System.nanoTime() - t0) / 1e9));
                }
                t0 = System.nanoTime();
                try (NDArray c = big.duplicate()) {
                    bandwidth = Math.max(bandwidth, big.size() * 8.0 / ((System.nanoTime() - t0) / 1e9));
                }
                t0 = System.nanoTime();
                new KeepMask(rep, 0.5).packedBits(n);
                pack = Math.max(pack, n / ((System.nanoTime() - t0) / 1e9));
            }
        }
        return new Throughput("measured on this machine", build, PREFILL_OF_PEAK * flops, bandwidth, 0, pack);
    }
}
