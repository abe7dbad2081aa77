package dev.evomerge.merge;

import java.util.Set;

/**
 * A merge method, as in mergekit's {@code merge_methods/}: a name, the parameters it reads, and
 * the arithmetic on the tensors of one weight. Reading configs, resolving gradients and
 * filters, loading and writing live elsewhere.
 */
public interface MergeMethod {
    String name();

    /** Whether the method works on differences from a base model (task vectors). */
    boolean needsBase();

    /**
     * Whether a given base model takes the base's role (and leaves the model list) rather than
     * being one more model: true where the base is required, and for methods where it is optional.
     */
    default boolean usesBase() {
        return needsBase();
    }

    /** Per-model parameters a recipe may give it ("weight", "density", ...), as mergekit declares them. */
    default Set<String> modelParameters() {
        return Set.of();
    }

    /** Method-wide parameters it reads ("normalize", "rescale", "lambda", ...). */
    /** The per-model parameters that change the result (a search tunes these); mergekit may declare more. */
    default Set<String> parametersRead() {
        return modelParameters();
    }

    default Set<String> globalParameters() {
        return Set.of();
    }

    /** A problem with merging {@code count} models (besides the base, where it has one), or null. */
    default String checkModelCount(int count) {
        return null;
    }

    float[] merge(MergeInput in);
}
