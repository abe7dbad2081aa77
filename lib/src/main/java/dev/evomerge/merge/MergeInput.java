package dev.evomerge.merge;

import java.util.List;
import java.util.Map;

/**
 * Everything a merge method sees for one weight: the base model's tensor (null when the method
 * needs none), each other model's tensor with its already-resolved numbers for this weight
 * (weight, density, gamma, epsilon: gradients and filters are resolved before, elsewhere), the
 * method-wide parameters (normalize, rescale, lambda), and the seed of this tensor's randomness.
 */
public record MergeInput(String tensorName, long[] shape, float[] base, List<ModelTensor> models,
                         Map<String, Double> globals, long seed) {

    /** One model's values of this weight and its numbers for it. */
    public record ModelTensor(float[] values, Map<String, Double> params) {
        public double param(String name, double fallback) {
            Double v = params.get(name);
            return v == null ? fallback : v;
        }

        public double required(String tensor, String name) {
            Double v = params.get(name);
            if (v == null) {
                throw new IllegalArgumentException("tensor '" + tensor + "': parameter '" + name + "' is required");
            }
            return v;
        }
    }

    public double global(String name, double fallback) {
        Double v = globals.get(name);
        return v == null ? fallback : v;
    }

    public boolean flag(String name, boolean fallback) {
        Double v = globals.get(name);
        return v == null ? fallback : v != 0;
    }

    public int size() {
        return models.isEmpty() ? base.length : models.get(0).values().length;
    }
}
