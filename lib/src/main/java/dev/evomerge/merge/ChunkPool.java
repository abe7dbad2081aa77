package dev.evomerge.merge;

import java.lang.ref.SoftReference;
import java.util.Arrays;

/**
 * Chunk arrays for the task vectors of a merge, kept from one tensor to the next. A merge of a
 * checkpoint goes through hundreds of tensors, each needing a task vector per model; allocated
 * afresh, they survive until the tensor is mixed, so every young collection copied them (about a
 * quarter of dare_ties' time). One pool per merging thread, held softly: the collector may take it
 * back when memory is short, and the next tensor then allocates again.
 *
 * <p>Every array is {@link Chunks#SIZE} long (the last chunk of a tensor uses a prefix) and is
 * fully written before it is read; each slot is filled by the one worker that owns its chunk.
 */
final class ChunkPool {
    private static final ThreadLocal<SoftReference<ChunkPool>> MINE = new ThreadLocal<>();

    private float[][][] models = new float[0][][]; // [model][chunk], arrays made on first use
    private boolean inUse;

    private ChunkPool() {
    }

    /**
     * This thread's pool, for one merge until {@link #release}. A thread that is already merging
     * (a fork-join worker can pick up another merge while it waits for its own chunks) gets a
     * fresh pool instead of the one in use.
     */
    static ChunkPool acquire() {
        SoftReference<ChunkPool> ref = MINE.get();
        ChunkPool pool = ref == null ? null : ref.get();
        if (pool == null) {
            pool = new ChunkPool();
            MINE.set(new SoftReference<>(pool));
        } else if (pool.inUse) {
            pool = new ChunkPool();
        }
        pool.inUse = true;
        return pool;
    }

    void release() {
        inUse = false;
    }

    /** Slots for model {@code m}'s chunks, at least {@code chunks} of them; empty slots are filled by {@link #array}. */
    float[][] slots(int m, int chunks) {
        if (models.length <= m) {
            models = Arrays.copyOf(models, m + 1);
        }
        if (models[m] == null) {
            models[m] = new float[chunks][];
        } else if (models[m].length < chunks) {
            models[m] = Arrays.copyOf(models[m], chunks); // the arrays made so far are kept
        }
        return models[m];
    }

    /** The array in slot {@code c}, made (by the calling worker, which then owns that chunk) if there is none. */
    static float[] array(float[][] slots, int c) {
        float[] a = slots[c];
        if (a == null) {
            a = new float[Chunks.SIZE];
            slots[c] = a;
        }
        return a;
    }
}
