package dev.evomerge.bench;

import dev.evomerge.io.DType;
import dev.evomerge.io.HalfFloats;
import dev.evomerge.io.SafetensorsFile;
import dev.evomerge.io.SafetensorsWriter;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.io.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code scripts/bench io [DIR] [MB]}: the checkpoint reader and writer against plain
 * FileChannel I/O on the same bytes, measured in the same run (absolute speeds drift on a
 * shared machine; the ratios are the result). Also bf16 -> f32 widening in GB/s.
 */
public final class IoBenchmark {
    private static final int TENSOR_ROWS = 4096;
    private static final int TENSOR_COLS = 1024; // 16 MiB per F32 tensor, a 7B model's typical slice size
    private static final int ROUNDS = 5;

    private IoBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"));
        int megabytes = args.length > 1 ? Integer.parseInt(args[1]) : 1200;
        int tensorBytes = TENSOR_ROWS * TENSOR_COLS * 4;
        int count = Math.max(1, (int) ((long) megabytes * (1 << 20) / tensorBytes));
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            specs.add(new TensorSpec("model.layers." + i + ".mlp.up_proj.weight", DType.F32,
                    new long[] {TENSOR_ROWS, TENSOR_COLS}));
        }
        ByteBuffer payload = ByteBuffer.allocateDirect(tensorBytes).order(ByteOrder.LITTLE_ENDIAN);
        SplittableRandom rnd = new SplittableRandom(1);
        while (payload.hasRemaining()) {
            payload.putFloat((float) rnd.nextGaussian());
        }
        payload.flip();
        long totalBytes = (long) count * tensorBytes;
        Path st = dir.resolve("evomerge-bench.safetensors");
        Path plain = dir.resolve("evomerge-bench.plain");
        System.out.printf(Locale.ROOT, "io benchmark: %d tensors x %d MiB = %.2f GB in %s, %d rounds, median%n",
                count, tensorBytes >> 20, totalBytes / 1e9, dir, ROUNDS);
        try {
            double[] writeOurs = new double[ROUNDS];
            double[] writePlain = new double[ROUNDS];
            double[] readOurs = new double[ROUNDS];
            double[] readAllocating = new double[ROUNDS];
            double[] readPlain = new double[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                // Alternate which goes first, so page-cache writeback from one does not always slow the other.
                if (r % 2 == 0) {
                    writePlain[r] = timed(() -> writePlain(plain, payload, count));
                    writeOurs[r] = timed(() -> writeSafetensors(st, specs, payload));
                } else {
                    writeOurs[r] = timed(() -> writeSafetensors(st, specs, payload));
                    writePlain[r] = timed(() -> writePlain(plain, payload, count));
                }
                readPlain(st); // warm the page cache
                readPlain[r] = timed(() -> readPlain(st));
                readOurs[r] = timed(() -> readThroughReader(st, true));
                readAllocating[r] = timed(() -> readThroughReader(st, false));
            }
            System.out.println("(reader: each tensor mapped and decoded into a reused float[]; plain: FileChannel.read into a direct buffer)");
            report("write", totalBytes, median(writeOurs), median(writePlain), 0.7);
            report("read ", totalBytes, median(readOurs), median(readPlain), 0.8);
            System.out.printf(Locale.ROOT, "read into a new float[] per tensor (floats(name)): %.2f GB/s, ratio %.2f%n",
                    totalBytes / median(readAllocating) / 1e9, median(readPlain) / median(readAllocating));
        } finally {
            Files.deleteIfExists(st);
            Files.deleteIfExists(plain);
        }
        widening();
    }

    private static void report(String what, long bytes, double ours, double plain, double goal) {
        double ratio = plain / ours;
        System.out.printf(Locale.ROOT, "%s  reader/writer %6.2f GB/s   plain FileChannel %6.2f GB/s   ratio %.2f (goal >= %.1f)%n",
                what, bytes / ours / 1e9, bytes / plain / 1e9, ratio, goal);
    }

    private static void widening() {
        int n = 64 << 20; // 64 Mi bf16 values = 128 MiB in, 256 MiB out
        ByteBuffer src = ByteBuffer.allocateDirect(n * 2).order(ByteOrder.LITTLE_ENDIAN);
        SplittableRandom rnd = new SplittableRandom(2);
        for (int i = 0; i < n; i++) {
            src.putShort(HalfFloats.f32ToBf16((float) rnd.nextGaussian()));
        }
        src.flip();
        float[] dst = new float[n];
        double[] times = new double[ROUNDS];
        double[] copy = new double[ROUNDS];
        float[] copyDst = new float[n];
        for (int r = 0; r < ROUNDS; r++) {
            times[r] = timed(() -> HalfFloats.bf16ToF32(src, 0, dst, 0, n));
            copy[r] = timed(() -> src.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(copyDst, 0, n / 2));
        }
        double t = median(times);
        System.out.printf(Locale.ROOT, "bf16 -> f32 widening  %.2f GB/s of bf16 in (%.2f GB/s f32 out); "
                        + "plain f32 copy of the same input bytes %.2f GB/s; ratio %.2f%n",
                n * 2 / t / 1e9, n * 4 / t / 1e9, n * 2 / median(copy) / 1e9, median(copy) / t);
        if (dst[n - 1] != HalfFloats.bf16ToF32(src.getShort((n - 1) * 2))) {
            throw new AssertionError("widening produced a wrong value");
        }
        // The way back, as a merged tensor is written (or goes to a GPU as f16): f32 -> bf16, rounded.
        double[] narrowing = new double[ROUNDS];
        ByteBuffer[] encoded = new ByteBuffer[1];
        for (int r = 0; r < ROUNDS; r++) {
            narrowing[r] = timed(() -> encoded[0] = TensorBytes.fromFloats(dst, DType.BF16));
        }
        double tn = median(narrowing);
        System.out.printf(Locale.ROOT, "f32 -> bf16 narrowing %.2f GB/s of f32 in (%.2f GB/s bf16 out), into a new buffer; "
                + "plain f32 copy %.2f GB/s; ratio %.2f%n", n * 4 / tn / 1e9, n * 2 / tn / 1e9, n * 2 / median(copy) / 1e9,
                2 * median(copy) / tn);
        if (!encoded[0].equals(src.duplicate().order(ByteOrder.LITTLE_ENDIAN))) {
            throw new AssertionError("narrowing did not give back the bf16 bytes it was widened from");
        }
    }

    private static void writePlain(Path file, ByteBuffer payload, int count) {
        try {
            Files.deleteIfExists(file); // both writers start from a new file
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int i = 0; i < count; i++) {
                ByteBuffer b = payload.duplicate();
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static void writeSafetensors(Path file, List<TensorSpec> specs, ByteBuffer payload) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs)) {
            for (TensorSpec s : specs) {
                w.write(s.name(), payload);
            }
            w.finish();
        }
    }

    private static long sink;

    private static void readPlain(Path file) {
        ByteBuffer buf = ByteBuffer.allocateDirect(TENSOR_ROWS * TENSOR_COLS * 4);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long total = 0;
            int n;
            while ((n = ch.read(buf)) > 0) {
                total += n;
                buf.clear();
            }
            sink += total;
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** What a streaming consumer does: every tensor, mapped and decoded into a float[]. */
    private static void readThroughReader(Path file, boolean reuseDestination) {
        float[] reused = new float[TENSOR_ROWS * TENSOR_COLS];
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo t : f.tensors()) {
                float[] v = reuseDestination ? reused : f.floats(t.name());
                if (reuseDestination) {
                    f.readFloats(t.name(), v);
                }
                sink += v.length + Float.floatToRawIntBits(v[v.length - 1]);
            }
        }
    }

    private static double timed(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
