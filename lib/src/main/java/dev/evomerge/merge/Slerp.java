package dev.evomerge.merge;

import java.util.Set;

/**
 * SLERP: spherical interpolation from the base (t = 0) to the one other model (t = 1) along
 * the great circle between their directions (Shoemake 1985; mergekit's slerp). Nearly colinear
 * tensors (|cos| > 0.9995) are interpolated linearly.
 */
public final class Slerp implements MergeMethod {
    static final double DOT_THRESHOLD = 0.9995;

    @Override
    public String name() {
        return "slerp";
    }

    @Override
    public boolean needsBase() {
        return true;
    }

    @Override
    public Set<String> globalParameters() {
        return Set.of("t");
    }

    @Override
    public String checkModelCount(int count) {
        return count != 1 ? "slerp merges exactly two models: the base and one other, got " + count + " besides the base" : null;
    }

    @Override
    public float[] merge(MergeInput in) {
        if (in.models().size() != 1) {
            throw new IllegalArgumentException("slerp merges exactly two models (the base and one other), got "
                    + (in.models().size() + 1));
        }
        Double t = in.globals().get("t");
        if (t == null) {
            throw new IllegalArgumentException("tensor '" + in.tensorName() + "': parameter 't' is required");
        }
        float[] base = in.baseValues();
        return slerp(t, base, in.models().get(0).values(), 0, base.length, 1, new float[base.length],
                DOT_THRESHOLD);
    }

    /**
     * Slerps the vectors of {@code count} elements at {@code from}, {@code from + stride}, ... of
     * v0 and v1 into {@code out}: a whole tensor, or one row or column of it. Vectors whose |cos|
     * exceeds {@code colinear} are interpolated linearly.
     */
    static float[] slerp(double t, float[] v0, float[] v1, int from, int count, int stride, float[] out, double colinear) {
        double n0 = 0;
        double n1 = 0;
        double dot = 0;
        for (int k = 0, i = from; k < count; k++, i += stride) {
            n0 += (double) v0[i] * v0[i];
            n1 += (double) v1[i] * v1[i];
            dot += (double) v0[i] * v1[i];
        }
        n0 = Math.sqrt(n0);
        n1 = Math.sqrt(n1);
        double cos = dot / ((n0 > 1e-8 ? n0 : 1) * (n1 > 1e-8 ? n1 : 1));
        double s0;
        double s1;
        if (Math.abs(cos) > colinear) {
            s0 = 1 - t;
            s1 = t;
        } else {
            double theta = Math.acos(cos);
            double sin = Math.sin(theta);
            s0 = Math.sin(theta - theta * t) / sin;
            s1 = Math.sin(theta * t) / sin;
        }
        for (int k = 0, i = from; k < count; k++, i += stride) {
            out[i] = (float) (s0 * v0[i] + s1 * v1[i]);
        }
        return out;
    }
}
