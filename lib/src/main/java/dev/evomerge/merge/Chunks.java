package dev.evomerge.merge;

import java.util.stream.IntStream;

/**
 * Element-wise work over a tensor, cut into fixed chunks that run on all cores. The chunks do not
 * depend on the number of threads, and anything random or summed is per chunk (combined in chunk
 * order), so the result is bit-identical on every machine.
 */
final class Chunks {
    static final int SIZE = 1 << 16;

    interface Body {
        void run(int chunk, int from, int to);
    }

    // Per thread, so a chunk's working arrays stay in that core's cache from one chunk to the next.
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][SIZE]);

    private Chunks() {
    }

    /** A chunk-sized array for this thread's use within one chunk's body; its contents are left over. */
    static float[] scratch() {
        return scratch(0);
    }

    /** This thread's k-th chunk-sized array, k in [0, 4), for bodies that need several. */
    static float[] scratch(int k) {
        return SCRATCH.get()[k];
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

    static void forEach(int n, Body body) {
        int chunks = count(n);
        if (chunks == 1) {
            body.run(0, 0, n);
            return;
        }
        IntStream.range(0, chunks).parallel().forEach(c -> body.run(c, c * SIZE, Math.min(n, (c + 1) * SIZE)));
    }
}
