package dev.evomerge.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.io.TensorNames;
import dev.evomerge.model.WeightSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The weights a model trained from scratch starts from, as GPT-2 and nanoGPT initialize them:
 * every matrix N(0, 0.02), the two projections that write into the residual stream (o_proj,
 * down_proj) N(0, 0.02 / sqrt(2 x layers)) so the stream's variance does not grow with depth,
 * norms 1. Each tensor is drawn from its own generator seeded by the run's seed and the tensor's
 * name, so the draw does not depend on the order tensors are loaded in.
 */
public final class InitialWeights implements WeightSource {
    private static final double STD = 0.02;

    private final ModelConfig config;
    private final long seed;
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    public InitialWeights(ModelConfig config, long seed) {
        this.config = config;
        this.seed = seed;
        int d = config.hiddenSize();
        int q = config.numAttentionHeads() * config.headDim();
        shapes.put(TensorNames.EMBEDDINGS, new long[] {config.vocabSize(), d});
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            shapes.put(TensorNames.layer(i, TensorNames.INPUT_NORM), new long[] {d});
            shapes.put(TensorNames.layer(i, TensorNames.Q + ".weight"), new long[] {q, d});
            shapes.put(TensorNames.layer(i, TensorNames.K + ".weight"), new long[] {config.kvDim(), d});
            shapes.put(TensorNames.layer(i, TensorNames.V + ".weight"), new long[] {config.kvDim(), d});
            shapes.put(TensorNames.layer(i, TensorNames.O + ".weight"), new long[] {d, q});
            shapes.put(TensorNames.layer(i, TensorNames.POST_ATTENTION_NORM), new long[] {d});
            shapes.put(TensorNames.layer(i, TensorNames.GATE + ".weight"), new long[] {config.intermediateSize(), d});
            shapes.put(TensorNames.layer(i, TensorNames.UP + ".weight"), new long[] {config.intermediateSize(), d});
            shapes.put(TensorNames.layer(i, TensorNames.DOWN + ".weight"), new long[] {d, config.intermediateSize()});
        }
        shapes.put(TensorNames.FINAL_NORM, new long[] {d});
        if (!config.tieWordEmbeddings()) {
            shapes.put(TensorNames.HEAD, new long[] {config.vocabSize(), d});
        }
    }

    @Override
    public String name() {
        return "a new model (seed " + seed + ")";
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public boolean contains(String tensor) {
        return shapes.containsKey(tensor);
    }

    @Override
    public long[] shape(String tensor) {
        long[] s = shapes.get(tensor);
        if (s == null) {
            throw new IllegalArgumentException("a new " + config.modelType() + " model has no tensor '" + tensor + "'");
        }
        return s.clone();
    }

    @Override
    public NDArray load(NDManager manager, String tensor, DataType target) {
        long[] shape = shape(tensor);
        float[] values = new float[Math.toIntExact(new Shape(shape).size())];
        if (shape.length == 1) {
            java.util.Arrays.fill(values, 1f); // RMSNorm weights
        } else {
            boolean residual = tensor.endsWith(TensorNames.O + ".weight") || tensor.endsWith(TensorNames.DOWN + ".weight");
            double std = residual ? STD / Math.sqrt(2.0 * config.numHiddenLayers()) : STD;
            Random rnd = new Random(seed * 0x9E3779B97F4A7C15L ^ tensor.hashCode());
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (rnd.nextGaussian() * std);
            }
        }
        return manager.create(values, new Shape(shape)).toType(target, false);
    }
}
