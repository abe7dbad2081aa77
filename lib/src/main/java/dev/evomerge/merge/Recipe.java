package dev.evomerge.merge;

import java.io.Serializable;

/**
 * What a candidate is, typed: a parameter-space merge (a mergekit recipe, {@link MergeConfig}),
 * or a checkpoint scored as it is ({@link AsIs}); soon a layer path through several models.
 * The driver hands recipes to the executors as these objects; YAML is only their form for people
 * and files ({@code mergekit_config.yml}, the tables, the report): {@link #toYaml} writes it and
 * parsing it back gives an equal recipe.
 */
public sealed interface Recipe extends Serializable permits MergeConfig, AsIs {

    /** The recipe as YAML, in a canonical form: equal recipes have equal text. */
    String toYaml();
}
