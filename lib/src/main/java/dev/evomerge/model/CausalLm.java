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

    /** A forward's cached state: closed when the sequences are done. */
    interface State extends AutoCloseable {
        @Override
        void close();
    }
}
