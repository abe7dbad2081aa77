package dev.evomerge.merge;

import java.util.Set;

/**
 * NuSLERP (mergekit): slerp between exactly two models with t = w1 / (w0 + w1), over the whole
 * tensor ({@code nuslerp_flatten}, default), per row, or per column ({@code nuslerp_row_wise});
 * with a base model, between the two task vectors, added back to the base.
 */
public final class NuSlerp implements MergeMethod {
    /** mergekit's nuslerp falls back to lerp only when sin(theta) < 1e-8, i.e. |cos| within 5e-17 of 1. */
    private static final double COLINEAR = 1 - 1e-15;

    @Override
    public String name() {
        return "nuslerp";
    }

    @Override
    public boolean needsBase() {
        return false;
    }

    @Override
    public boolean usesBase() {
        return true; // optional: given, it is the origin of the two task vectors
    }

    @Override
    public Set<String> modelParameters() {
        return Set.of("weight");
    }

    @Override
    public Set<String> globalParameters() {
        return Set.of("nuslerp_flatten", "nuslerp_row_wise");
    }

    @Override
    public String checkModelCount(int count) {
        return count != 2 ? "nuslerp merges exactly two models (plus an optional base), got " + count + " besides the base" : null;
    }

    @Override
    public float[] merge(MergeInput in) {
        if (in.models().size() != 2) {
            throw new IllegalArgumentException("nuslerp merges exactly two models (plus an optional base), got " + in.models().size());
        }
        double w0 = in.models().get(0).required(in.tensorName(), "weight");
        double w1 = in.models().get(1).required(in.tensorName(), "weight");
        double t = Math.abs(w0 + w1) < 1e-6 ? 0.5 : w1 / (w0 + w1);
        float[] a = in.models().get(0).values().clone();
        float[] b = in.models().get(1).values().clone();
        float[] base = in.baseValues();
        if (base != null) {
            for (int i = 0; i < a.length; i++) {
                a[i] -= base[i];
                b[i] -= base[i];
            }
        }
        float[] out = new float[a.length];
        long[] shape = in.shape();
        if (in.flag("nuslerp_flatten", true) || shape.length < 2) {
            Slerp.slerp(t, a, b, 0, a.length, 1, out, COLINEAR);
        } else {
            int cols = (int) shape[shape.length - 1];
            int rows = a.length / cols;
            if (in.flag("nuslerp_row_wise", false)) {
                for (int c = 0; c < cols; c++) {
                    Slerp.slerp(t, a, b, c, rows, cols, out, COLINEAR); // vectors along dimension 0: columns
                }
            } else {
                for (int r = 0; r < rows; r++) {
                    Slerp.slerp(t, a, b, r * cols, cols, 1, out, COLINEAR); // vectors along the last dimension: rows
                }
            }
        }
        if (base != null) {
            for (int i = 0; i < out.length; i++) {
                out[i] += base[i];
            }
        }
        return out;
    }
}
