package dev.evomerge.executor;

import java.io.Serializable;

/**
 * What a task builds: a merge recipe (mergekit YAML), or an existing checkpoint evaluated as it
 * is (a parent, on the test split). Small by design: tasks carry this, never weights.
 */
public record CandidateSpec(String label, String recipe, String model) implements Serializable {

    public static CandidateSpec merge(String label, String recipe) {
        return new CandidateSpec(label, recipe, null);
    }

    public static CandidateSpec checkpoint(String label, String location) {
        return new CandidateSpec(label, null, location);
    }

    /** Identifies the built model: two specs with the same key build the same weights. */
    String key() {
        return recipe != null ? "recipe:" + recipe : "model:" + model;
    }
}
