package dev.evomerge.merge;

import java.io.Serializable;

/**
 * What a candidate is, typed: a parameter-space merge (a mergekit recipe, {@link MergeConfig}),
 * a checkpoint scored as it is ({@link AsIs}), or a data-flow merge: a path through the layers
 * of several models ({@link LayerPathMerge}).
 * The driver hands recipes to the executors as these objects; YAML is only their form for people
 * and files ({@code mergekit_config.yml}, the tables, the report): {@link #toYaml} writes it and
 * parsing it back gives an equal recipe.
 */
public sealed interface Recipe extends Serializable permits MergeConfig, AsIs, LayerPathMerge {

    /** The recipe as YAML, in a canonical form: equal recipes have equal text. */
    String toYaml();

    /** The checkpoints it is made of, each once, in the recipe's order (a base first). */
    java.util.List<String> inputs();

    /** A recipe from its YAML, whichever kind it is: {@code merge_method: layer_path}, a mergekit recipe, or {@code model:} alone. */
    static Recipe read(java.nio.file.Path path) {
        String text;
        try {
            text = java.nio.file.Files.readString(path);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(path + ": cannot read merge config: " + e.getMessage());
        }
        return parse(path.toString(), text);
    }

    static Recipe parse(String file, String yaml) {
        return parse(file, dev.evomerge.io.SafeYaml.tree(file, yaml));
    }

    static Recipe parse(String file, com.fasterxml.jackson.databind.JsonNode root) {
        if (root != null && root.isObject() && root.size() == 1 && root.path("model").isTextual()) {
            return new AsIs(root.get("model").asText());
        }
        if (root != null && LayerPathMerge.METHOD.equals(root.path("merge_method").asText())) {
            return LayerPathMerge.parse(file, root);
        }
        return MergeConfig.parse(file, root);
    }
}
