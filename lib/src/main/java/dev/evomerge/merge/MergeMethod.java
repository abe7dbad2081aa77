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

    /** Per-model parameters it reads ("weight", "density", ...). */
    Set<String> modelParameters();

    /** Method-wide parameters it reads ("normalize", "rescale", "lambda", ...). */
    Set<String> globalParameters();

    float[] merge(MergeInput in);
}
