package dev.evomerge.merge;

import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;

/**
 * One merge from a recipe to an output location on any Hadoop path: what both
 * {@code scripts/merge} and the Spark merge job run. A local output appears by an atomic rename;
 * a remote one is built in a local temporary directory and published when complete
 * ({@link Storage#publish}: marked complete last, so readers and reruns never take half of it).
 */
public final class MergeRun {
    private MergeRun() {
    }

    /** Merges (a parameter-space recipe) or materializes (a layer path) and returns a one-line summary. */
    public static String run(Recipe recipe, String outLocation, Storage storage, CheckpointCache cache) {
        long t0 = System.nanoTime();
        if (recipe instanceof MergeConfig cfg) {
            storage.writeDirectory(outLocation, out -> Merger.merge(cfg, out, cache));
            int inputs = cfg.slices().isEmpty() ? cfg.models().size() : cfg.slices().size();
            return String.format(java.util.Locale.ROOT, "merged %d %s with %s into %s in %.1f s", inputs,
                    cfg.slices().isEmpty() ? "model(s)" : "slice(s)", cfg.method().name(), outLocation, (System.nanoTime() - t0) / 1e9);
        }
        if (recipe instanceof LayerPathMerge path) {
            storage.writeDirectory(outLocation, out -> LayerPathCheckpoint.write(path, out, cache));
            return String.format(java.util.Locale.ROOT, "wrote the layer path (%s) of %d pool model(s) into %s in %.1f s",
                    path.summary(), path.pool().size(), outLocation, (System.nanoTime() - t0) / 1e9);
        }
        throw new IllegalArgumentException("a checkpoint as it is has nothing to merge: " + recipe.toYaml().strip());
    }

}
