package dev.evomerge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.io.ModelConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Composition (CALM: Bansal et al. 2024, "LLM Augmented LLMs"): an anchor model reads an
 * augmenting model's hidden states through a few trained cross-attention layers, both models
 * frozen. For each chosen pair (anchor layer a, augmenting layer b), after the anchor's layer a:
 *
 * <pre>
 * y = proj(H_aug after layer b)                    [B, T, D_anchor]   (W_proj: D_aug -> D_anchor, with a bias)
 * q = x Wq, k = y Wk, v = y Wv                     heads of D_anchor / H each
 * x = x + softmax(q k^T / sqrt(hd) + causal) v Wo  the anchor's residual stream, token t seeing the augmenting states of 0..t
 * </pre>
 *
 * Both models run on the same tokens (a shared tokenizer), so their positions align; the
 * augmenting model runs first, its states taken through {@link Transformer.ResidualHook}. Wo
 * starts at zero, so an untrained composition is the anchor exactly. The new tensors are named
 * {@code composition.{j}.{proj,q_proj,k_proj,v_proj,o_proj}.weight} (and {@code proj.bias}),
 * stored [out, in] as Hugging Face stores linear layers.
 */
public final class Composition implements CausalLm, AutoCloseable {
    /** One cross-attention: after anchor layer {@code anchorLayer}, reading augmenting layer {@code augmentingLayer}'s output. */
    public record Pair(int anchorLayer, int augmentingLayer) {
    }

    private static final String[] WEIGHTS = {"proj.weight", "proj.bias", "q_proj.weight", "k_proj.weight", "v_proj.weight",
        "o_proj.weight"};

    private final Transformer anchor;
    private final Transformer augmenting;
    private final List<Pair> pairs;
    private final int heads;
    private final NDManager manager;
    private final NDArray[][] weights; // per pair, in WEIGHTS order
    // 1 / sqrt(head dim) and the mask's -1e9, made once: an op with a Java number builds a scalar array over a Java
    // buffer each call, and one that autograd keeps for the backward (a divisor) was read after it was freed: NaN at random.
    private final NDArray scale;
    private final NDArray hidden;

    private Composition(Transformer anchor, Transformer augmenting, List<Pair> pairs, int heads, Map<String, float[]> values) {
        ModelConfig a = anchor.config();
        ModelConfig b = augmenting.config();
        for (Pair p : pairs) {
            if (p.anchorLayer() < 0 || p.anchorLayer() >= anchor.depth()) {
                throw new IllegalArgumentException("anchor layer " + p.anchorLayer() + " is outside the anchor's " + anchor.depth() + " layers");
            }
            if (p.augmentingLayer() < 0 || p.augmentingLayer() >= augmenting.depth()) {
                throw new IllegalArgumentException("augmenting layer " + p.augmentingLayer() + " is outside the augmenting model's "
                        + augmenting.depth() + " layers");
            }
        }
        if (heads < 1 || a.hiddenSize() % heads != 0) {
            throw new IllegalArgumentException("cross-attention heads: " + heads + " do not divide the anchor's width " + a.hiddenSize());
        }
        if (a.vocabSize() != b.vocabSize()) {
            throw new IllegalArgumentException("the anchor's vocabulary has " + a.vocabSize() + " tokens, the augmenting model's "
                    + b.vocabSize() + ": CALM reads both models on the same tokens, so they need one tokenizer");
        }
        this.anchor = anchor;
        this.augmenting = augmenting;
        this.pairs = List.copyOf(pairs);
        this.heads = heads;
        this.manager = anchor.manager().newSubManager();
        this.weights = new NDArray[pairs.size()][WEIGHTS.length];
        this.scale = manager.create((float) (1 / Math.sqrt((double) a.hiddenSize() / heads)));
        this.hidden = manager.create(-1e9f);
        for (int j = 0; j < pairs.size(); j++) {
            long[][] shapes = shapes(a.hiddenSize(), b.hiddenSize());
            for (int w = 0; w < WEIGHTS.length; w++) {
                String name = name(j, WEIGHTS[w]);
                float[] v = values.get(name);
                if (v == null || v.length != new Shape(shapes[w]).size()) {
                    throw new IllegalArgumentException("composition tensor '" + name + "': " + (v == null ? "missing"
                            : v.length + " values, expected " + new Shape(shapes[w])));
                }
                weights[j][w] = manager.create(v, new Shape(shapes[w]));
            }
        }
    }

    private static long[][] shapes(long anchorWidth, long augmentingWidth) {
        return new long[][] {{anchorWidth, augmentingWidth}, {anchorWidth}, {anchorWidth, anchorWidth}, {anchorWidth, anchorWidth},
            {anchorWidth, anchorWidth}, {anchorWidth, anchorWidth}};
    }

    /**
     * CALM's choice: every k-th layer of the anchor (layers k-1, 2k-1, ...), each paired with the
     * augmenting layer at the same relative depth (the same layer when the depths agree).
     */
    public static List<Pair> everyKth(int anchorDepth, int augmentingDepth, int k) {
        if (k < 1 || k > anchorDepth) {
            throw new IllegalArgumentException("every " + k + "th layer: the anchor has " + anchorDepth + " layers");
        }
        int n = anchorDepth / k;
        List<Pair> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int b = (int) Math.round((i + 1) * (double) augmentingDepth / n) - 1;
            out.add(new Pair((i + 1) * k - 1, Math.max(0, b)));
        }
        return out;
    }

    static String name(int pair, String weight) {
        return "composition." + pair + "." + weight;
    }

    /**
     * A new composition: projections and Wq, Wk, Wv drawn from N(0, 1/fan_in) with {@code seed},
     * Wo and the projection's bias zero (the anchor, exactly, until trained).
     */
    public static Composition create(Transformer anchor, Transformer augmenting, List<Pair> pairs, int heads, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[][] shapes = shapes(anchor.config().hiddenSize(), augmenting.config().hiddenSize());
        Map<String, float[]> values = new LinkedHashMap<>();
        for (int j = 0; j < pairs.size(); j++) {
            for (int w = 0; w < WEIGHTS.length; w++) {
                float[] v = new float[(int) new Shape(shapes[w]).size()];
                if (!WEIGHTS[w].equals("o_proj.weight") && !WEIGHTS[w].equals("proj.bias")) {
                    double std = 1 / Math.sqrt(shapes[w][1]);
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (gaussian(random) * std);
                    }
                }
                values.put(name(j, WEIGHTS[w]), v);
            }
        }
        return new Composition(anchor, augmenting, pairs, heads, values);
    }

    /** A composition with these weights (named as {@link #tensors} names them). */
    public static Composition of(Transformer anchor, Transformer augmenting, List<Pair> pairs, int heads, Map<String, float[]> values) {
        return new Composition(anchor, augmenting, pairs, heads, values);
    }

    private static double gaussian(SplittableRandom r) { // Box-Muller: reproducible on every JVM
        double u = 1 - r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    public Transformer anchor() {
        return anchor;
    }

    public Transformer augmenting() {
        return augmenting;
    }

    public List<Pair> pairs() {
        return pairs;
    }

    public int heads() {
        return heads;
    }

    /** The new parameters, the only ones a composition trains. */
    public List<NDArray> parameters() {
        List<NDArray> out = new ArrayList<>();
        for (NDArray[] w : weights) {
            out.addAll(List.of(w));
        }
        return out;
    }

    /** The new parameters by name, as the composition's weight file holds them. */
    public Map<String, NDArray> tensors() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int j = 0; j < weights.length; j++) {
            for (int w = 0; w < WEIGHTS.length; w++) {
                out.put(name(j, WEIGHTS[w]), weights[j][w]);
            }
        }
        return out;
    }

    /** The training forward: logits [B, T, V] of whole sequences from position 0 (no cache). */
    @Override
    public NDArray forward(NDArray tokens) {
        NDArray[] states = new NDArray[pairs.size()];
        augmenting.forward(tokens, capture(states));
        return anchor.forward(tokens, crossAttend(states, null));
    }

    /** A cache for {@link #forward(NDArray, NDArray, State, boolean)}: both models' and the cross-attentions' keys. */
    @Override
    public Cache newState(NDManager m, int batch, long capacity) {
        return new Cache(new KvCache(m, anchor.depth(), batch, capacity), new KvCache(m, augmenting.depth(), batch, capacity),
                new KvCache(m, pairs.size(), batch, capacity));
    }

    /** Keys and values of a composed model: the anchor's, the augmenting model's, and each cross-attention's. */
    public record Cache(KvCache anchor, KvCache augmenting, KvCache cross) implements CausalLm.State {
        @Override
        public void close() {
            anchor.close();
            augmenting.close();
            cross.close();
        }
    }

    /**
     * Logits [B, T, V] (or [B, 1, V]) of {@code tokens} after what {@code cache} holds: both models
     * advance their caches together, each cross-attention its keys and values.
     */
    @Override
    public NDArray forward(NDArray tokens, NDArray tokenMask, State state, boolean lastPositionOnly) {
        Cache cache = (Cache) state;
        NDArray[] states = new NDArray[pairs.size()];
        augmenting.forward(tokens, tokenMask, cache.augmenting(), false, capture(states));
        cache.cross().advance(tokenMask);
        return anchor.forward(tokens, tokenMask, cache.anchor(), lastPositionOnly, crossAttend(states, cache.cross()));
    }

    /** A hook that keeps the augmenting model's output after each pair's layer. */
    private Transformer.ResidualHook capture(NDArray[] states) {
        return (step, x, keys) -> {
            for (int j = 0; j < pairs.size(); j++) {
                if (pairs.get(j).augmentingLayer() == step) {
                    states[j] = x;
                }
            }
            return x;
        };
    }

    /** A hook that adds each pair's cross-attention to the anchor's stream after its layer. */
    private Transformer.ResidualHook crossAttend(NDArray[] states, KvCache cross) {
        return (step, x, keys) -> {
            for (int j = 0; j < pairs.size(); j++) {
                if (pairs.get(j).anchorLayer() == step) {
                    x = x.add(crossAttention(j, x, states[j], keys, cross));
                }
            }
            return x;
        };
    }

    private NDArray crossAttention(int j, NDArray x, NDArray augmentingStates, NDArray keys, KvCache cross) {
        NDArray[] w = weights[j];
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        long d = x.getShape().get(2);
        long hd = d / heads;
        NDArray y = augmentingStates.toType(x.getDataType(), false).matMul(w[0].transpose()).add(w[1]); // [B, T, D]
        NDArray q = x.matMul(w[2].transpose()).reshape(b, t, heads, hd).transpose(0, 2, 1, 3); // [B, H, T, hd]
        NDArray k = y.matMul(w[3].transpose()).reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
        NDArray v = y.matMul(w[4].transpose()).reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
        if (cross != null) {
            NDArray[] all = cross.append(j, k, v); // [B, H, Tk, hd]
            k = all[0];
            v = all[1];
        }
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale); // [B, H, T, Tk]
        NDArray additive = keys.expandDims(1).logicalNot().toType(DataType.FLOAT32, false).mul(hidden); // 0 where seen, -1e9 elsewhere
        NDArray attended = scores.toType(DataType.FLOAT32, false).add(additive).softmax(-1).toType(x.getDataType(), false).matMul(v);
        return attended.transpose(0, 2, 1, 3).reshape(b, t, d).matMul(w[5].transpose());
    }

    @Override
    public ModelConfig config() {
        return anchor.config();
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public NDArray tokens(NDManager m, long[][] rows) {
        return anchor.tokens(m, rows);
    }

    @Override
    public NDArray forwardEmbeddings(NDArray x, NDArray tokenMask, State state, boolean lastPositionOnly) {
        throw new UnsupportedOperationException("a composition reads tokens (both models embed them), not embeddings");
    }

    /** Frees the new parameters; the two models belong to the caller. */
    @Override
    public void close() {
        manager.close();
    }
}
