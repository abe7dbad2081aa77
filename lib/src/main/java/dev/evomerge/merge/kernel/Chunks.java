package dev.evomerge.merge.kernel;

import java.util.stream.IntStream;

/**
 * Element-wise work over a tensor, cut into fixed chunks that run on all cores. The chunks do not
 * depend on the number of threads, and anything random or summed is per chunk or per task (a fixed
 * run of chunks, combined in order), so the result is bit-identical on every machine.
 *
 * <p>A chunk is small (16 KiB of floats) so that the handful of arrays a loop touches stay in the
 * core's L1 and L2 caches; the thread pool is handed tasks of {@link #PER_TASK} chunks, enough work
 * to pay for the handoff. Loops over a chunk's arrays all run from index 0, the form Java 17's
 * JIT turns into vector instructions.
 */
public final class Chunks {
    static final int SIZE = 1 << 12;
    static final int PER_TASK = 16;

    public interface Body {
        void run(int chunk, int from, int to);
    }

    interface TaskBody {
        void run(int task, int firstChunk, int endChunk);
    }

    // Per thread, so a chunk's working arrays stay in that core's cache from one chunk to the next.
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[0][]);

    private Chunks() {
    }

    /** A chunk-sized array for this thread's use within one chunk's body; its contents are left over. */
    public static float[] scratch() {
        return scratch(0);
    }

    /** This thread's k-th chunk-sized array, for bodies that need several (made on first use). */
    static float[] scratch(int k) {
        float[][] mine = SCRATCH.get();
        if (k >= mine.length) {
            mine = java.util.Arrays.copyOf(mine, k + 1);
            SCRATCH.set(mine);
        }
        if (mine[k] == null) {
            mine[k] = new float[SIZE];
        }
        return mine[k];
    }

    /**
     * A whole tensor as chunk arrays, chunk c holding [c SIZE, (c + 1) SIZE). Element-wise work over
     * several tensors kept this way runs at one index in every array, which the JIT vectorizes, and
     * each chunk is allocated and zeroed by the thread that fills it (a whole array is zeroed by one).
     */
    static float[][] split(float[] whole) {
        float[][] chunks = new float[count(whole.length)][];
        forEach(whole.length, (c, from, to) -> chunks[c] = java.util.Arrays.copyOfRange(whole, from, to));
        return chunks;
    }

    static int count(int n) {
        return (n + SIZE - 1) / SIZE;
    }

    static int from(int chunk) {
        return chunk * SIZE;
    }

    static int to(int chunk, int n) {
        return Math.min(n, (chunk + 1) * SIZE);
    }

    static int tasks(int n) {
        return (count(n) + PER_TASK - 1) / PER_TASK;
    }

    /** Runs {@code body} on every chunk, in parallel. */
    public static void forEach(int n, Body body) {
        forEachTask(n, (task, first, end) -> {
            for (int c = first; c < end; c++) {
                body.run(c, from(c), to(c, n));
            }
        });
    }

    /** Runs {@code body} on every task (chunks [first, end), in order within it), tasks in parallel. */
    static void forEachTask(int n, TaskBody body) {
        forEachTask(n, body, () -> { });
    }

    /**
     * As {@link #forEachTask(int, TaskBody)}, with {@code alongside} run once as one more task:
     * work that one thread must do (allocating, and so zeroing, a large array) is done while the
     * other cores run chunks, instead of while they wait.
     */
    static void forEachTask(int n, TaskBody body, Runnable alongside) {
        int chunks = count(n);
        int tasks = tasks(n);
        if (tasks == 1) {
            alongside.run();
            body.run(0, 0, chunks);
            return;
        }
        IntStream.range(-1, tasks).parallel().forEach(t -> {
            if (t < 0) {
                alongside.run();
            } else {
                body.run(t, t * PER_TASK, Math.min(chunks, (t + 1) * PER_TASK));
            }
        });
    }
}
