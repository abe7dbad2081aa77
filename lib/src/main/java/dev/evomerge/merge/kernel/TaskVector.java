package dev.evomerge.merge.kernel;

import dev.evomerge.merge.MergeInput;

/**
 * One model's task vector (its difference from the base), thinned or not, as the mixing loop
 * reads it: a chunk at a time (see {@link Chunks}).
 *
 * <p>The element-wise kinds (the plain difference, and DARE's random drop) are computed while
 * mixing, from the stored bytes and the base chunk already in cache: held whole, a task vector
 * is written to memory and read back once per model, and allocated afresh for every tensor
 * (zeroed, then copied by every young collection). The kinds that rank entries over a whole
 * tensor (TIES, Breadcrumbs, DELLA) are held whole.
 */
@FunctionalInterface
public interface TaskVector {

    /**
     * Chunk {@code c} ({@code len} entries, from index 0 of the array returned): {@code dst}
     * filled, or an array this task vector holds. {@code b} holds the base's values of the chunk.
     */
    float[] chunk(int c, int len, float[] b, float[] dst);

    /** x - base, with no thinning: x decoded straight into {@code dst}, then one loop at one index (vectorized). */
    static TaskVector dense(MergeInput.ModelTensor model) {
        return (c, len, b, dst) -> {
            model.read(Chunks.from(c), len, dst, 0);
            for (int i = 0; i < len; i++) {
                dst[i] -= b[i];
            }
            return dst;
        };
    }

    /** A task vector thinned whole, kept as chunk arrays ({@link Chunks#split}). */
    static TaskVector held(float[][] chunks) {
        return (c, len, b, dst) -> chunks[c];
    }

    /** x - base with each entry kept or zeroed by {@code mask}: DARE's drop (its rescale is {@link Sparsification#l1Restoring}). */
    record Dropped(MergeInput.ModelTensor model, KeepMask mask) implements TaskVector {
        @Override
        public float[] chunk(int c, int len, float[] b, float[] dst) {
            model.read(Chunks.from(c), len, dst, 0);
            mask.applyToDifference(dst, b, Chunks.from(c), len);
            return dst;
        }
    }
}
