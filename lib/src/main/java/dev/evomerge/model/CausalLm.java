package dev.evomerge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.evomerge.io.ModelConfig;

/**
 * What generation, likelihood and the evaluator run: a model that continues token sequences from
 * a cached state, one {@link Transformer} or a {@link Composition} of two. Its config is the one
 * whose tokenizer, positions and end tokens the tasks use (a composition's anchor's).
 */
public interface CausalLm {
    ModelConfig config();

    /** The manager a forward's arrays come from (sub-managers of it). */
    NDManager manager();

    /** Token ids [rows, cols] as the model's input, checked against its vocabulary. */
    NDArray tokens(NDManager m, long[][] rows);

    /** What a sequence's forward keeps between calls (keys and values), for {@code batch} sequences of about {@code capacity}. */
    State newState(NDManager m, int batch, long capacity);

    /**
     * Logits [B, T, V] (or [B, 1, V], last position only) of {@code tokens} after what {@code state}
     * holds, which they are appended to; {@code tokenMask} [B, T] is 1 for real tokens.
     */
    NDArray forward(NDArray tokens, NDArray tokenMask, State state, boolean lastPositionOnly);

    /**
     * The training forward: logits [B, T, V] of whole (right-padded) sequences from position 0,
     * no cache, every operation differentiable.
     */
    NDArray forward(NDArray tokens);

    /** As {@link #forward(NDArray, NDArray, State, boolean)} from embeddings [B, T, D] (a VLM's prompt); a model that cannot take them says so. */
    NDArray forwardEmbeddings(NDArray x, NDArray tokenMask, State state, boolean lastPositionOnly);

    /** Logits of one unpadded sequence, row-major [n_tokens, vocab], in FLOAT32. */
    default float[] logits(long[] ids) {
        try (NDManager m = manager().newSubManager(); State state = newState(m, 1, ids.length);
             ai.djl.ndarray.NDScope ignored = new ai.djl.ndarray.NDScope()) {
            long[][] mask = new long[1][ids.length];
            java.util.Arrays.fill(mask[0], 1);
            return forward(tokens(m, new long[][] {ids}), Transformer.longs(m, mask), state, false)
                    .toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        }
    }

    /** A forward's cached state: closed when the sequences are done. */
    interface State extends AutoCloseable {
        @Override
        void close();
    }
}
