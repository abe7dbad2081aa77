package dev.evomerge.executor;

import dev.evomerge.merge.AsIs;
import dev.evomerge.merge.Recipe;
import java.io.Serializable;

/** A candidate to score: a label for tables people read, and its typed recipe. Tasks carry this, never weights. */
public record CandidateSpec(String label, Recipe recipe) implements Serializable {

    /** A checkpoint scored as it is (a parent, or best/). */
    public static CandidateSpec asIs(String label, String location) {
        return new CandidateSpec(label, new AsIs(location));
    }

    /** Identifies the built model: two specs with the same key build the same weights. */
    String key() {
        return recipe.toYaml();
    }
}
