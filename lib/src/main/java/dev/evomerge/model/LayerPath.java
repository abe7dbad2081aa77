package dev.evomerge.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The way a token's hidden state goes through the layers of one or more models: a list of steps,
 * each a layer of a model and a scale applied to the hidden state as it enters that layer, with
 * the embeddings, final norm and head of model {@code embeddingsFrom}. A layer may be visited more
 * than once. A model's own layers in order with unit scales ({@link #of}) is the model itself.
 * This is what a data-flow-space merge searches (Akiba et al. 2024, section 3.2).
 */
public record LayerPath(List<Step> steps, int embeddingsFrom) implements java.io.Serializable {

    /** Layer {@code layer} of model {@code model}; the hidden state entering it is multiplied by {@code scale}. */
    public record Step(int model, int layer, double scale) implements java.io.Serializable {
        public Step {
            if (model < 0 || layer < 0 || !Double.isFinite(scale)) {
                throw new IllegalArgumentException("step (model " + model + ", layer " + layer + ", scale " + scale + ")");
            }
        }
    }

    public LayerPath {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a layer path needs at least one step");
        }
        steps = List.copyOf(steps);
    }

    /** Model 0's own layers 0 .. layers-1 in order, unit scales: the model as it is. */
    public static LayerPath of(int layers) {
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            steps.add(new Step(0, i, 1.0));
        }
        return new LayerPath(steps, 0);
    }

    /** Model 0's own layers in order, layer i's input multiplied by {@code scales[i]} (none given: all 1). */
    public static LayerPath of(List<Double> scales, int layers) {
        if (scales.isEmpty()) {
            return of(layers);
        }
        if (scales.size() != layers) {
            throw new IllegalArgumentException(scales.size() + " layer scales for " + layers + " layers");
        }
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            steps.add(new Step(0, i, scales.get(i)));
        }
        return new LayerPath(steps, 0);
    }

    /** Whether every step's scale is 1: the path is then a plain stack of layers (mergekit's passthrough). */
    public boolean unitScales() {
        return steps.stream().allMatch(s -> s.scale() == 1.0);
    }

    public int depth() {
        return steps.size();
    }
}
