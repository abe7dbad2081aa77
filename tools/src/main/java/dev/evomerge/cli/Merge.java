package dev.evomerge.cli;

import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.Recipe;
import dev.evomerge.merge.MergeRun;
import java.io.PrintStream;
import java.nio.file.Path;

/** {@code scripts/merge CONFIG.yaml OUT_DIR}: builds a merged model from a mergekit-format recipe, or
 * materializes a {@code merge_method: layer_path} recipe (OUT_DIR on any Hadoop path). */
public final class Merge {
    private Merge() {
    }

    public static void main(String[] argv) {
        System.exit(Cli.run(() -> run(argv, System.out)));
    }

    static void run(String[] argv, PrintStream out) {
        if (argv.length != 2) {
            throw new IllegalArgumentException("usage: scripts/merge CONFIG.yaml OUT_DIR");
        }
        Storage storage = Storage.withDefaults();
        Recipe recipe = Recipe.read(Path.of(argv[0]));
        out.println(MergeRun.run(recipe, argv[1], storage, new CheckpointCache(storage, CheckpointCache.defaultRoot())));
    }
}
