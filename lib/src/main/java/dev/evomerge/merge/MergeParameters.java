package dev.evomerge.merge;

import dev.evomerge.io.TensorNames;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
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
     * The numbers of {@code names} for one tensor at depth {@code t}: a model's (or slice's) own
     * parameter wins over the global one, as in mergekit; a filter list that matches nothing gives none.
     */
    static Map<String, Double> resolve(Set<String> names, Map<String, ParameterValue> own,
                                               Map<String, ParameterValue> global, String tensor, double t) {
        Map<String, Double> out = new HashMap<>();
        for (String p : names) {
            ParameterValue v = own.getOrDefault(p, global.get(p));
            Double resolved = v == null ? null : v.resolve(tensor, t);
            if (resolved != null) {
                out.put(p, resolved);
            }
        }
        return out;
    }

    /**
     * Relative depth in [0, 1] for gradients: layer i of L is i / (L - 1); the embeddings sit
     * at 0, the final norm and the head at 1.
     */
    static double depth(String tensorName, int layers) {
        OptionalInt layer = TensorNames.layerOf(tensorName);
        if (layer.isPresent()) {
            return layers <= 1 ? 0 : layer.getAsInt() / (double) (layers - 1);
        }
        return TensorNames.isEmbeddings(tensorName) ? 0 : 1;
    }
}
