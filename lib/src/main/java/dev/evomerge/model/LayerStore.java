package dev.evomerge.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.io.TensorNames;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights of one or more models on one device, each part loaded the first time a path asks
 * for it and kept: a model's ends (embeddings, final norm, head) and its layers. A data-flow
 * merge's executor holds one for the whole run, so a candidate (a {@link LayerPath} through the
 * pool) is a {@link #transformer view} that shares these weights: building it copies nothing.
 * Safe for concurrent use: loads are serialized, reads of loaded weights are not.
 */
public final class LayerStore implements AutoCloseable {
    static {
        Djl.init(); // offline before DJL's engine loads
    }

    /** A model's embeddings [V, D], its head transposed [D, V] (the embeddings' copy when tied), its final norm [D]. */
    record Ends(NDArray embed, NDArray headT, boolean headIsSeparate, NDArray finalNorm) {
    }

    /**
     * One block's weights, stored transposed ([in, out]) so x W needs no per-call transpose, and
     * fused: q|k|v in one matrix and gate|up in another, so a decode step issues one matmul where
     * it would issue three (or two): at small batch the per-operation overhead, not the arithmetic,
     * is what a step costs.
     */
    record Layer(NDArray inputNorm, NDArray wQkv, NDArray bQkv, NDArray wo, NDArray postNorm, NDArray wGateUp,
                 NDArray wDown) {
        NDList all() {
            NDList l = new NDList(inputNorm, wQkv, wo, postNorm, wGateUp, wDown);
            if (bQkv != null) {
                l.add(bQkv);
            }
            return l;
        }
    }

    private final List<WeightSource> models;
    private final NDManager manager;
    private final DataType dtype;
    private final Map<Integer, Ends> ends = new HashMap<>();
    private final Map<List<Integer>, Layer> layers = new HashMap<>();

    private LayerStore(List<WeightSource> models, NDManager manager, DataType dtype) {
        this.models = List.copyOf(models);
        this.manager = manager;
        this.dtype = dtype;
    }

    /** A store over {@code models} on {@code device}: nothing is loaded until a path needs it. */
    public static LayerStore open(List<WeightSource> models, Device device, DataType dtype) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("a layer store needs at least one model");
        }
        return new LayerStore(models, NDManager.newBaseManager(device), dtype);
    }

    /** As {@link #open(List, Device, DataType)}, FLOAT32 on CPU and FLOAT16 on GPU. */
    public static LayerStore open(List<WeightSource> models, Device device) {
        return open(models, device, device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32);
    }

    public List<WeightSource> models() {
        return models;
    }

    public DataType dataType() {
        return dtype;
    }

    NDManager manager() {
        return manager;
    }

    /** How many distinct layers are on the device (a benchmark and the tests watch that a view loads nothing new). */
    public synchronized int loadedLayers() {
        return layers.size();
    }

    /**
     * A model that runs {@code path} over this store's weights, loading what it has not loaded
     * yet. Closing the model frees only its own small arrays; the weights stay for the next path.
     */
    public Transformer transformer(LayerPath path) {
        return transformer(path, false);
    }

    /** As {@link #transformer(LayerPath)}; a model that {@code ownsStore} closes this store with itself. */
    Transformer transformer(LayerPath path, boolean ownsStore) {
        check(path);
        Ends e;
        LayerStore.Layer[] steps = new LayerStore.Layer[path.depth()];
        synchronized (this) {
            e = ends(path.embeddingsFrom());
            for (int i = 0; i < steps.length; i++) {
                steps[i] = layer(path.steps().get(i).model(), path.steps().get(i).layer());
            }
        }
        return new Transformer(models.get(path.embeddingsFrom()).config(), this, e, steps, path, ownsStore);
    }

    /** A path may join layers of several models only if their widths and attention agree, and every step names a layer that exists. */
    private void check(LayerPath path) {
        if (path.embeddingsFrom() >= models.size()) {
            throw new IllegalArgumentException("layer path takes its embeddings from model " + path.embeddingsFrom() + " of "
                    + models.size());
        }
        WeightSource anchor = models.get(path.embeddingsFrom());
        for (LayerPath.Step step : path.steps()) {
            if (step.model() >= models.size()) {
                throw new IllegalArgumentException("layer path step names model " + step.model() + " of " + models.size());
            }
            WeightSource m = models.get(step.model());
            anchor.config().requireSame(anchor.name(), m.config(), m.name(),
                    " (a layer path joins layers of models of the same shapes)", "hidden_size", "num_attention_heads",
                    "num_key_value_heads", "head_dim", "rope_theta", "rms_norm_eps", "sliding_window");
            if (step.layer() >= m.config().numHiddenLayers()) {
                throw new CheckpointException(m.name(), "layer path step names layer " + step.layer() + " of "
                        + m.config().numHiddenLayers());
            }
        }
    }

    private Ends ends(int model) {
        Ends e = ends.get(model);
        if (e == null) {
            WeightSource source = models.get(model);
            ModelConfig c = source.config();
            Weights w = new Weights(source, manager, dtype);
            NDArray embed = w.load(TensorNames.EMBEDDINGS, c.vocabSize(), c.hiddenSize());
            boolean separate = !c.tieWordEmbeddings() || source.contains(TensorNames.HEAD);
            NDArray headT = separate ? Weights.transposed(w.load(TensorNames.HEAD, c.vocabSize(), c.hiddenSize()))
                    : Weights.transposedCopy(embed);
            e = new Ends(embed, headT, separate, w.load(TensorNames.FINAL_NORM, c.hiddenSize()));
            ends.put(model, e);
        }
        return e;
    }

    private Layer layer(int model, int layer) {
        return layers.computeIfAbsent(List.of(model, layer), k -> loadLayer(new Weights(models.get(model), manager, dtype), layer));
    }

    /** Layer {@code i} of a model, onto the device: q|k|v and gate|up fused, every matrix transposed to [in, out]. */
    private static Layer loadLayer(Weights w, int i) {
        ModelConfig c = w.source().config();
        int d = c.hiddenSize();
        int qDim = c.numAttentionHeads() * c.headDim();
        // q scaled by 1/sqrt(hd) here (rope is linear, so before it is as good as after) saves a
        // multiply of the scores in every layer of every step.
        double scale = 1 / Math.sqrt(c.headDim());
        NDArray qkv = w.fuse(Weights.scaled(w.load(TensorNames.layer(i, TensorNames.Q + ".weight"), qDim, d), scale),
                w.load(TensorNames.layer(i, TensorNames.K + ".weight"), c.kvDim(), d),
                w.load(TensorNames.layer(i, TensorNames.V + ".weight"), c.kvDim(), d));
        NDArray qkvBias = c.attentionBias() ? w.fuse(Weights.scaled(w.load(TensorNames.layer(i, TensorNames.Q + ".bias"), qDim), scale),
                w.load(TensorNames.layer(i, TensorNames.K + ".bias"), c.kvDim()),
                w.load(TensorNames.layer(i, TensorNames.V + ".bias"), c.kvDim())) : null;
        NDArray gateUp = w.fuse(w.load(TensorNames.layer(i, TensorNames.GATE + ".weight"), c.intermediateSize(), d),
                w.load(TensorNames.layer(i, TensorNames.UP + ".weight"), c.intermediateSize(), d));
        return new Layer(
                w.load(TensorNames.layer(i, TensorNames.INPUT_NORM), d),
                Weights.transposed(qkv),
                qkvBias,
                Weights.transposed(w.load(TensorNames.layer(i, TensorNames.O + ".weight"), d, qDim)),
                w.load(TensorNames.layer(i, TensorNames.POST_ATTENTION_NORM), d),
                Weights.transposed(gateUp),
                Weights.transposed(w.load(TensorNames.layer(i, TensorNames.DOWN + ".weight"), d, c.intermediateSize())));
    }

    /**
     * The inverse of {@link #loadLayer}: layer {@code l}'s weights in the Hugging Face layout
     * ([out, in] matrices, q|k|v and gate|up apart, q's 1/sqrt(hd) taken out again), named as
     * layer {@code i}; new arrays, in the checkpoint's tensor order.
     */
    static Map<String, NDArray> unload(ModelConfig c, Layer l, int i) {
        int qDim = c.numAttentionHeads() * c.headDim();
        double unscale = Math.sqrt(c.headDim());
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put(TensorNames.layer(i, TensorNames.INPUT_NORM), l.inputNorm().duplicate());
        NDList qkv = Weights.transposedCopy(l.wQkv()).split(new long[] {qDim, qDim + c.kvDim()}, 0);
        out.put(TensorNames.layer(i, TensorNames.Q + ".weight"), qkv.get(0).mul(unscale));
        out.put(TensorNames.layer(i, TensorNames.K + ".weight"), qkv.get(1));
        out.put(TensorNames.layer(i, TensorNames.V + ".weight"), qkv.get(2));
        if (l.bQkv() != null) {
            NDList b = l.bQkv().split(new long[] {qDim, qDim + c.kvDim()}, 0);
            out.put(TensorNames.layer(i, TensorNames.Q + ".bias"), b.get(0).mul(unscale));
            out.put(TensorNames.layer(i, TensorNames.K + ".bias"), b.get(1));
            out.put(TensorNames.layer(i, TensorNames.V + ".bias"), b.get(2));
        }
        out.put(TensorNames.layer(i, TensorNames.O + ".weight"), Weights.transposedCopy(l.wo()));
        out.put(TensorNames.layer(i, TensorNames.POST_ATTENTION_NORM), l.postNorm().duplicate());
        NDList gateUp = Weights.transposedCopy(l.wGateUp()).split(2, 0);
        out.put(TensorNames.layer(i, TensorNames.GATE + ".weight"), gateUp.get(0));
        out.put(TensorNames.layer(i, TensorNames.UP + ".weight"), gateUp.get(1));
        out.put(TensorNames.layer(i, TensorNames.DOWN + ".weight"), Weights.transposedCopy(l.wDown()));
        return out;
    }

    /** The inverse of {@link #ends}: embeddings, final norm and (when separate) the head [V, D]. */
    static Map<String, NDArray> unload(Ends e) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put(TensorNames.EMBEDDINGS, e.embed().duplicate());
        out.put(TensorNames.FINAL_NORM, e.finalNorm().duplicate());
        if (e.headIsSeparate()) {
            out.put(TensorNames.HEAD, Weights.transposedCopy(e.headT()));
        }
        return out;
    }

    /** Reads tensors, checking each shape against the config before it goes to the device. */
    private record Weights(WeightSource source, NDManager manager, DataType dtype) {
        NDArray load(String name, long... shape) {
            long[] actual = source.shape(name);
            if (!Arrays.equals(actual, shape)) {
                throw new CheckpointException(source.name(), "tensor '" + name + "': shape "
                        + Arrays.toString(actual) + " but config.json implies " + Arrays.toString(shape));
            }
            return source.load(manager, name, dtype);
        }

        /**
         * [out, in] -> a contiguous [in, out]. A transposed view would do for the arithmetic, but
         * PyTorch's matmul of a few rows by a transposed view measured 1.7-4x slower than by a
         * contiguous matrix: that is every decode step.
         */
        static NDArray transposed(NDArray w) {
            NDArray t = transposedCopy(w);
            w.close();
            return t;
        }

        static NDArray transposedCopy(NDArray w) {
            Shape s = w.getShape();
            try (NDArray view = w.transpose(); NDArray flat = view.flatten()) { // flatten copies a non-contiguous view
                return flat.reshape(s.get(1), s.get(0));
            }
        }

        static NDArray scaled(NDArray w, double factor) {
            NDArray s = w.mul(factor);
            w.close();
            return s;
        }

        /** Stacks HF [out, in] matrices (or bias vectors) along out; the parts are freed. */
        NDArray fuse(NDArray... parts) {
            NDArray fused = NDArrays.concat(new NDList(parts), 0);
            for (NDArray part : parts) {
                part.close();
            }
            return fused;
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
