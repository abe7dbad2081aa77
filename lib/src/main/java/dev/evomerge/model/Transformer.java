package dev.evomerge.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.io.TensorNames;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder-only transformer of the Llama family (Llama, Mistral, Qwen2) on DJL NDArrays, read
 * top to bottom like llama2.c's run.c:
 *
 * <pre>
 * x = embed[tokens]                                   [B, T, D]
 * for each layer:
 *   h = rmsnorm(x) * input_layernorm
 *   q, k, v = h Wq (+bq), h Wk (+bk), h Wv (+bv)      [B, H|KVH, T, hd]
 *   q, k = rope(q, positions), rope(k, positions)     (Hugging Face rotate_half convention)
 *   k, v = cache.append(k, v)                         [B, KVH, Tk, hd]
 *   a = softmax(q k^T / sqrt(hd) + mask) v            (KV heads shared by H / KVH query heads;
 *                                                      1/sqrt(hd) is folded into Wq and bq at load)
 *   x = x + a Wo
 *   h = rmsnorm(x) * post_attention_layernorm
 *   x = x + (silu(h Wgate) * (h Wup)) Wdown
 * logits = rmsnorm(x) * norm  E^T                     (E = lm_head, or embed when tied)
 * </pre>
 *
 * "For each layer" is a {@link LayerPath}: a list of steps, each a layer (of this model or of
 * another of the same shapes) and a scale applied to x as it enters; a layer may come twice (it
 * keeps a KV cache per visit). A model's own layers in order with unit scales is the plain model.
 *
 * The differences between the families are flags of {@link ModelConfig} (q/k/v biases, a sliding
 * window, tied embeddings), not subclasses. Weights live on the device in FLOAT32 (CPU) or FLOAT16
 * (GPU); DJL cannot hold BFLOAT16. Every operation is differentiable, so the same code trains
 * under DJL's GradientCollector.
 *
 * <p>Memory: the weights live in a {@link LayerStore}, this model's own (from {@code load}) or one
 * shared by the candidates of a data-flow search (a view: closing it leaves the weights). A
 * caller runs each forward inside an {@code NDScope} (see {@link KvCache}), which frees every
 * intermediate array of the step.
 */
public final class Transformer implements CausalLm, AutoCloseable {
    static {
        Djl.init(); // offline before DJL's engine loads
    }

    private final ModelConfig config;
    private final LayerStore store;
    private final boolean ownsStore;
    private final NDManager manager; // this model's own arrays (scales, rope constants); the weights are the store's
    private final DataType dtype;
    private final NDArray embed; // [V, D]
    private final NDArray headT; // [D, V]
    private final NDArray finalNorm; // [D]
    private final Step[] path;
    private final boolean headIsSeparate;
    private final NDArray invFreq; // [hd / 2]
    private final NDArray rotateHalf; // [hd, hd]: x P = [-x2, x1]
    // Scalars as arrays made once: x.add(double) builds a new scalar array on every call (~40 us each).
    private final NDArray rmsEps;

    /** One step of the path: a layer, and the scale of the hidden state entering it (null for 1: no multiply). */
    private record Step(LayerStore.Layer layer, NDArray scale) {
    }

    /** A model over {@code store}'s weights: {@code layers} are the path's steps' layers, in order. */
    Transformer(ModelConfig config, LayerStore store, LayerStore.Ends ends, LayerStore.Layer[] layers, LayerPath path,
                boolean ownsStore) {
        this.config = config;
        this.store = store;
        this.ownsStore = ownsStore;
        this.manager = store.manager().newSubManager();
        this.dtype = store.dataType();
        this.embed = ends.embed();
        this.headT = ends.headT();
        this.headIsSeparate = ends.headIsSeparate();
        this.finalNorm = ends.finalNorm();
        this.path = new Step[layers.length];
        for (int i = 0; i < layers.length; i++) {
            double s = path.steps().get(i).scale();
            this.path[i] = new Step(layers[i], s == 1.0 ? null : manager.create((float) s).toType(dtype, false));
        }
        int half = config.headDim() / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            // inv_freq_i = theta^(-2i / hd), computed in double as transformers computes it in float64 before casting
            inv[i] = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / config.headDim()));
        }
        this.invFreq = manager.create(inv);
        float[] p = new float[config.headDim() * config.headDim()];
        int hd = config.headDim();
        for (int i = 0; i < half; i++) {
            p[(i + half) * hd + i] = -1; // output i takes -x[i + half]
            p[i * hd + i + half] = 1; // output i + half takes x[i]
        }
        this.rotateHalf = manager.create(p, new Shape(hd, hd)).toType(dtype, false);
        this.rmsEps = manager.create((float) config.rmsNormEps()); // the statistics are float32 in any dtype
    }

    /** Loads every weight of {@code checkpoint} onto {@code device} (FLOAT32 on CPU, FLOAT16 on GPU). */
    public static Transformer load(Checkpoint checkpoint, Device device) {
        return load(WeightSource.of(checkpoint), device);
    }

    /** Loads every weight of {@code source} onto {@code device} (FLOAT32 on CPU, FLOAT16 on GPU). */
    public static Transformer load(WeightSource source, Device device) {
        return load(source, device, device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32);
    }

    public static Transformer load(Checkpoint checkpoint, Device device, DataType dtype) {
        return load(WeightSource.of(checkpoint), device, dtype);
    }

    /**
     * Loads every weight of {@code checkpoint} onto {@code device} as {@code dtype}. A checkpoint
     * exported from a scaled layer path ({@code evomerge_layer_scales} in its config.json) runs its
     * layers with those scales.
     */
    public static Transformer load(WeightSource checkpoint, Device device, DataType dtype) {
        return load(List.of(checkpoint), LayerPath.of(checkpoint.config().layerScales(), checkpoint.config().numHiddenLayers()),
                device, dtype);
    }

    /** A model that runs {@code path} through the layers of {@code models} (FLOAT32 on CPU, FLOAT16 on GPU). */
    public static Transformer load(List<WeightSource> models, LayerPath path, Device device) {
        return load(models, path, device, device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32);
    }

    /**
     * A model that runs {@code path} through the layers of {@code models}: the embeddings, final
     * norm and head of model {@code path.embeddingsFrom()}, each layer on the path loaded once
     * (however often it is visited), the models checked to have the same shapes. It owns its
     * weights (a {@link LayerStore} of its own); a data-flow search shares one store instead.
     */
    public static Transformer load(List<WeightSource> models, LayerPath path, Device device, DataType dtype) {
        LayerStore store = LayerStore.open(models, device, dtype);
        try {
            return store.transformer(path, true);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    public ModelConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    public DataType dataType() {
        return dtype;
    }

    /** How many layers a token passes through: the path's length (a layer visited twice counts twice). */
    public int depth() {
        return path.length;
    }

    /** Every weight array, each once (a layer on the path twice is one set of weights), for training or for counting. */
    public List<NDArray> parameters() {
        List<NDArray> all = new ArrayList<>(List.of(embed, finalNorm));
        if (headIsSeparate) {
            all.add(headT);
        }
        java.util.Set<LayerStore.Layer> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Step s : path) {
            if (seen.add(s.layer())) {
                all.addAll(s.layer().all());
            }
        }
        return all;
    }

    /**
     * This model's weights in the Hugging Face layout, named as a checkpoint of {@link #depth()}
     * layers (step i's layer as layer i): what a trained model is written as. New arrays on this
     * model's manager; a scaled path has no such checkpoint and is refused.
     */
    public Map<String, NDArray> checkpointTensors() {
        Map<String, NDArray> out = new LinkedHashMap<>(LayerStore.unload(new LayerStore.Ends(embed, headT, headIsSeparate, finalNorm)));
        for (int i = 0; i < path.length; i++) {
            if (path[i].scale() != null) {
                throw new IllegalStateException("a layer path with scales is written by LayerPathCheckpoint, not as plain weights");
            }
            out.putAll(LayerStore.unload(config, path[i].layer(), i));
        }
        out.values().forEach(a -> a.attach(manager));
        return out;
    }

    /**
     * Runs {@code tokens} [B, T] (int64, from {@link #tokens}) through the model after what {@code cache} already holds,
     * appends their keys and values to it, and returns logits [B, T, V], or [B, 1, V] for the last
     * position only. {@code tokenMask} [B, T] is 1 for real tokens and 0 for padding.
     */
    public NDArray forward(NDArray tokens, NDArray tokenMask, KvCache cache, boolean lastPositionOnly) {
        return forwardEmbeddings(embed(tokens), tokenMask, cache, lastPositionOnly);
    }

    @Override
    public KvCache newState(NDManager m, int batch, long capacity) {
        return new KvCache(m, depth(), batch, capacity);
    }

    @Override
    public NDArray forward(NDArray tokens, NDArray tokenMask, State state, boolean lastPositionOnly) {
        return forward(tokens, tokenMask, (KvCache) state, lastPositionOnly);
    }

    @Override
    public NDArray forwardEmbeddings(NDArray x, NDArray tokenMask, State state, boolean lastPositionOnly) {
        return forwardEmbeddings(x, tokenMask, (KvCache) state, lastPositionOnly);
    }

    /**
     * What a composition (CALM, {@link Composition}) does to the residual stream after each step
     * of the path: reads it (the augmenting model's states), or adds to it (the anchor's
     * cross-attention). Returns the stream the next step takes.
     */
    @FunctionalInterface
    public interface ResidualHook {
        /**
         * @param step  the path's step just run (0-based)
         * @param x     its output [B, T, D]
         * @param keys  which keys each query may see this forward, [B, T, Tk] (causal, padding and window applied)
         */
        NDArray after(int step, NDArray x, NDArray keys);
    }

    /** As {@link #forward(NDArray, NDArray, KvCache, boolean)}, with {@code hook} after every step. */
    public NDArray forward(NDArray tokens, NDArray tokenMask, KvCache cache, boolean lastPositionOnly, ResidualHook hook) {
        return cachedForward(embed(tokens), tokenMask, cache, lastPositionOnly, hook);
    }

    /** The training forward ({@link #forward(NDArray)}) with {@code hook} after every step. */
    public NDArray forward(NDArray tokens, ResidualHook hook) {
        return wholeSequences(trainingEmbed(tokens), hook);
    }

    /**
     * As {@link #forward(NDArray, NDArray, KvCache, boolean)} from embeddings {@code x} [B, T, D]
     * instead of tokens (a VLM's prompt: image features where its image tokens were).
     */
    public NDArray forwardEmbeddings(NDArray x, NDArray tokenMask, KvCache cache, boolean lastPositionOnly) {
        return cachedForward(x, tokenMask, cache, lastPositionOnly, null);
    }

    /** Embeddings after what {@code cache} holds, through the path (with {@code hook}, if any) and the head. */
    private NDArray cachedForward(NDArray x, NDArray tokenMask, KvCache cache, boolean lastPositionOnly, ResidualHook hook) {
        long t = x.getShape().get(1);
        if (cache.length() + t > config.maxPositionEmbeddings() && config.slidingWindow() == null) {
            throw new IllegalArgumentException(cache.length() + t + " positions exceed max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        NDArray positions = cache.advance(tokenMask); // [B, T] position of each token in its own sequence
        // One new token per sequence with no padding anywhere sees every key: no mask to build or add
        // (the common decode step; the mask costs a dozen small operations). A hook is given the keys.
        boolean unmasked = hook == null && t == 1 && !cache.padded()
                && (config.slidingWindow() == null || cache.length() <= config.slidingWindow());
        NDArray keys = unmasked ? null : allowedKeys(cache, t); // [B, T, Tk]
        return layers(x, positions, keys == null ? null : groupedMask(keys, t), cache, lastPositionOnly, hook, keys);
    }

    /** The embedding rows of {@code tokens} [B, T]: [B, T, D]. */
    public NDArray embed(NDArray tokens) {
        return embed.get(tokens.flatten()).reshape(tokens.getShape().get(0), tokens.getShape().get(1), config.hiddenSize());
    }

    /**
     * The training forward: logits [B, T, V] of whole sequences that start at position 0, with
     * no cache. Sequences may be right-padded: causal attention alone keeps every real token from
     * seeing the padding after it, and the loss ignores the padding's own logits.
     */
    @Override
    public NDArray forward(NDArray tokens) {
        // The embedding rows as one-hot rows times the table: PyTorch's backward of a row gather
        // adds into repeated rows in a racing order on CPU (the BOS row's gradient differed in the
        // last bits between runs), a matrix product sums in a fixed one. Training is then
        // deterministic; a forward pays V x D per token, a few percent at the mini world's size.
        return forwardEmbeddings(trainingEmbed(tokens));
    }

    /** Embeddings [B, T, D] of {@code tokens} as the training forward takes them: differentiable, deterministic. */
    public NDArray trainingEmbed(NDArray tokens) {
        long b = tokens.getShape().get(0);
        long t = tokens.getShape().get(1);
        return tokens.flatten().oneHot(config.vocabSize()).toType(dtype, false).matMul(embed).reshape(b, t, config.hiddenSize());
    }

    /**
     * Logits [B, T, V] of whole sequences given as embeddings {@code x} [B, T, D] (the training
     * forward's, or a VLM's prompt: token embeddings with image features in place of its image
     * tokens), from position 0, no cache.
     */
    public NDArray forwardEmbeddings(NDArray x) {
        return wholeSequences(x, null);
    }

    /** Whole sequences' embeddings from position 0, no cache, through the path (with {@code hook}, if any) and the head. */
    private NDArray wholeSequences(NDArray x, ResidualHook hook) {
        long t = x.getShape().get(1);
        if (t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(t + " positions exceed max_position_embeddings " + config.maxPositionEmbeddings());
        }
        NDManager m = x.getManager();
        NDArray positions = m.arange(0, t, 1, DataType.INT64).expandDims(0).repeat(0, x.getShape().get(0));
        NDArray keys = visibleKeys(m, 0, t).expandDims(0); // [1, T, T]: causal, the same for every sequence
        return layers(x, positions, groupedMask(keys, t), null, false, hook, keys);
    }

    /**
     * Runs the embedded tokens {@code x} [B, T, D] through the path (appending to {@code cache}
     * unless it is null) and the head; {@code hook} (if any) after every step, given {@code keys}.
     */
    private NDArray layers(NDArray x, NDArray positions, NDArray mask, KvCache cache, boolean lastPositionOnly,
                           ResidualHook hook, NDArray keys) {
        NDArray[] rope = ropeTables(positions); // cos, sin: [B, T, 1, hd]
        for (int i = 0; i < path.length; i++) {
            // Each layer's intermediates (scores, activations: hundreds of MB at batch 8 x 600 tokens)
            // are freed when the layer is done, not when the forward is: a forward's memory is then
            // one layer's, whatever the depth (a path 30 layers deep measured 9 GB per thread otherwise).
            NDArray in = x;
            try (NDScope ignored = new NDScope()) {
                if (path[i].scale() != null) {
                    x = x.mul(path[i].scale()); // the scale of the hidden state entering this step's layer
                }
                x = block(path[i].layer(), i, x, rope, mask, cache); // i: this step's KV cache (if any)
                NDScope.unregister(x);
            }
            NDScope.register(x); // the layer's output belongs to the caller's scope, as the embeddings do
            if (hook != null) {
                x = hook.after(i, x, keys); // a hook may keep the output: it is freed with the caller's scope
            } else if (i > 0) {
                in.close(); // the previous layer's output, read by this one only
            }
        }
        if (lastPositionOnly && x.getShape().get(1) > 1) {
            x = x.get(":, -1:, :");
        }
        return rmsNorm(x, finalNorm).matMul(headT); // [B, T, V]
    }

    private NDArray block(LayerStore.Layer l, int index, NDArray x, NDArray[] rope, NDArray mask, KvCache cache) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int h = config.numAttentionHeads();
        int kvh = config.numKeyValueHeads();
        int hd = config.headDim();

        NDArray hIn = rmsNorm(x, l.inputNorm());
        NDList qkAndV = project(hIn, l.wQkv(), l.bQkv()).reshape(b, t, h + 2L * kvh, hd) // [B, T, H+2KVH, hd]
                .split(new long[] {h + kvh}, 2);
        NDList qAndK = applyRope(qkAndV.get(0), rope).transpose(0, 2, 1, 3).split(new long[] {h}, 1);
        NDArray q = qAndK.get(0); // [B, H, T, hd]
        NDArray k = qAndK.get(1); // [B, KVH, T, hd]
        NDArray v = qkAndV.get(1).transpose(0, 2, 1, 3); // [B, KVH, T, hd]
        NDArray[] kv = cache == null ? new NDArray[] {k, v} : cache.append(index, k, v); // [B, KVH, Tk, hd]

        // Grouped-query attention without copying keys: the g = H / KVH query heads that share a
        // KV head are stacked along the rows, [B, KVH, g*T, hd], against that head's [B, KVH, Tk, hd].
        int g = h / kvh;
        NDArray grouped = q.reshape(b, kvh, g * t, hd);
        NDArray scores = grouped.matMul(kv[0].transpose(0, 1, 3, 2)); // [B, KVH, g*T, Tk], scaled through Wq
        if (mask != null) {
            scores = scores.add(mask); // mask rows are already repeated per group: [B, 1, g*T, Tk]
        }
        // softmax in float32 whatever the weights' dtype, as transformers computes it (a no-op in float32)
        NDArray attended = scores.toType(DataType.FLOAT32, false).softmax(-1).toType(dtype, false).matMul(kv[1]); // [B, KVH, g*T, hd]
        // One token per sequence (a decode step): [B, KVH, g, hd] already is [B, 1, H * hd] in memory.
        NDArray merged = t == 1 ? attended.reshape(b, 1, (long) h * hd)
                : attended.reshape(b, h, t, hd).transpose(0, 2, 1, 3).reshape(b, t, (long) h * hd);
        x = x.add(merged.matMul(l.wo()));

        NDList gateUp = rmsNorm(x, l.postNorm()).matMul(l.wGateUp()).split(2, 2); // [B, T, I] twice
        NDArray gate = gateUp.get(0);
        NDArray swiglu = gate.mul(Activation.sigmoid(gate)).mul(gateUp.get(1)); // silu(gate) * up
        return x.add(swiglu.matMul(l.wDown()));
    }

    private static NDArray project(NDArray x, NDArray wT, NDArray bias) {
        NDArray y = x.matMul(wT);
        return bias == null ? y : y.add(bias);
    }

    /**
     * RMSNorm with its statistics in float32, as transformers' LlamaRMSNorm upcasts: in float16,
     * x^2 overflows once |x| > 256, and real 7B models carry residual-stream activations in the
     * thousands. In float32 the casts are no-ops and the arithmetic is unchanged.
     */
    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray x32 = x.toType(DataType.FLOAT32, false);
        NDArray variance = x32.square().mean(new int[] {-1}, true);
        return x32.div(variance.add(rmsEps).sqrt()).toType(dtype, false).mul(weight);
    }

    /** cos and sin of position * inv_freq, duplicated over both halves: [B, T, 1, hd] (broadcast over heads). */
    private NDArray[] ropeTables(NDArray positions) {
        NDArray freqs = positions.toType(DataType.FLOAT32, false).expandDims(-1).mul(invFreq); // [B, T, hd/2]
        NDArray angles = freqs.concat(freqs, -1).expandDims(2); // [B, T, 1, hd]
        return new NDArray[] {angles.cos().toType(dtype, false), angles.sin().toType(dtype, false)};
    }

    /** x * cos + rotate_half(x) * sin; rotate_half(x) = [-x2, x1] is the fixed signed permutation x P. */
    private NDArray applyRope(NDArray x, NDArray[] rope) {
        return x.mul(rope[0]).add(x.matMul(rotateHalf).mul(rope[1]));
    }

    /** Which cached keys the last {@code t} queries see: causal, real tokens only, within the window [B, T, Tk]. */
    private NDArray allowedKeys(KvCache cache, long t) {
        NDManager m = cache.keyMask().getManager();
        long tk = cache.length();
        return visibleKeys(m, tk - t, tk).expandDims(0).logicalAnd(cache.keyMask().gt(0).expandDims(1));
    }

    /** Which of keys 0..tk-1 the queries at positions past..tk-1 see: causal, and within the sliding window if any [T, Tk]. */
    private NDArray visibleKeys(NDManager m, long past, long tk) {
        NDArray qIdx = m.arange(past, tk, 1, DataType.INT64).expandDims(1); // [T, 1]
        NDArray kIdx = m.arange(0, tk, 1, DataType.INT64).expandDims(0); // [1, Tk]
        NDArray allowed = kIdx.lte(qIdx);
        if (config.slidingWindow() != null) {
            allowed = allowed.logicalAnd(qIdx.sub(kIdx).lt(config.slidingWindow()));
        }
        return allowed;
    }

    /**
     * {@code allowed} [B, T, Tk] as the additive mask [B, 1, g*T, Tk] (g = H / KVH): 0 where a query
     * may see a key, a large negative number elsewhere, in the grouped-attention row order, built
     * once per forward so each layer adds it in one operation.
     */
    private NDArray groupedMask(NDArray allowed, long t) {
        float negative = dtype == DataType.FLOAT16 ? -65504f : -1e9f;
        NDArray additive = allowed.toType(dtype, false).sub(1).mul(-negative); // (allowed - 1) * |negative|, [B, T, Tk]
        int g = config.numAttentionHeads() / config.numKeyValueHeads();
        long b = additive.getShape().get(0);
        return additive.expandDims(1).repeat(1, g).reshape(b, 1, g * t, additive.getShape().get(2));
    }

    /** Frees this model's own arrays, and its weights when it owns them (not when it is a view of a shared store). */
    @Override
    public void close() {
        manager.close();
        if (ownsStore) {
            store.close();
        }
    }

    /**
     * Token ids [rows, cols] as an int64 array for {@link #forward}, checked against the
     * vocabulary here, in Java, rather than on the device in every step.
     */
    public NDArray tokens(NDManager m, long[][] rows) {
        for (long[] row : rows) {
            for (long id : row) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " is out of range [0, " + config.vocabSize() + ")");
                }
            }
        }
        return longs(m, rows);
    }

    /** Builds an int64 [rows, cols] array. */
    public static NDArray longs(NDManager m, long[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        long[] flat = new long[rows.length * cols];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, flat, r * cols, cols);
        }
        return m.create(flat, new Shape(rows.length, cols));
    }
}
