package dev.evomerge.merge;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The numbers a method gets for one tensor: each parameter resolved, as mergekit does, from the
 * model's (or slice's) own value, else the global one; a gradient interpolated at the tensor's
 * relative depth; a filter list's first entry whose filter the tensor's name contains.
 */
final class MergeParameters {
    private MergeParameters() {
    }

    /**
     * The numbers of {@code names} for one tensor at depth {@code t}, each from the first level
     * that gives one, as mergekit reads them: a source's (or model's) own parameters, then its
     * slice's, then the global ones. A level whose value is a filter list that matches nothing
     * gives none, and the next level is asked.
     */
    @SafeVarargs
    static Map<String, Double> resolve(Set<String> names, String tensor, double t, Map<String, ParameterValue>... levels) {
        Map<String, Double> out = new HashMap<>();
        for (String p : names) {
            for (Map<String, ParameterValue> level : levels) {
                ParameterValue v = level.get(p);
                Double resolved = v == null ? null : v.resolve(tensor, t);
                if (resolved != null) {
                    out.put(p, resolved);
                    break;
                }
            }
        }
        return out;
    }

    /** A resolved number, or {@code fallback} when the tensor has none. */
    static double value(Map<String, Double> resolved, String name, double fallback) {
        Double v = resolved.get(name);
        return v == null ? fallback : v;
    }

    /** A resolved number the method cannot do without: refused in one line naming the tensor when absent. */
    static double required(Map<String, Double> resolved, String tensor, String name) {
        Double v = resolved.get(name);
        if (v == null) {
            throw new IllegalArgumentException("tensor '" + tensor + "': parameter '" + name + "' is required");
        }
        return v;
    }

    /** A resolved switch (non-zero is on), or {@code fallback} when the tensor has none. */
    static boolean flag(Map<String, Double> resolved, String name, boolean fallback) {
        Double v = resolved.get(name);
        return v == null ? fallback : v != 0;
    }
}
