package dev.evomerge.merge;

import java.util.Set;

/**
 * Passthrough: a tensor is copied from its one source, optionally multiplied by {@code scale}.
 * With {@code slices} it stacks layer ranges of several models into a deeper one (the static form
 * of the paper's data-flow merge); {@link Merger} plans which source layer becomes which output layer.
 */
public final class Passthrough implements MergeMethod {
    @Override
    public String name() {
        return "passthrough";
    }

    @Override
    public boolean needsBase() {
        return false;
    }

    @Override
    public Set<String> modelParameters() {
        return Set.of("scale");
    }

    @Override
    public float[] merge(MergeInput in) {
        if (in.models().size() != 1) {
            throw new IllegalArgumentException("passthrough copies from exactly one source, got " + in.models().size());
        }
        MergeInput.ModelTensor m = in.models().get(0);
        double scale = m.param("scale", 1.0);
        float[] out = m.values().clone();
        if (scale != 1.0) {
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) (out[i] * scale);
            }
        }
        return out;
    }
}
