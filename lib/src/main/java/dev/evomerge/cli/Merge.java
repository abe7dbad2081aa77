package dev.evomerge.cli;

import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.Merger;
import java.io.PrintStream;
import java.nio.file.Path;

/** {@code scripts/merge CONFIG.yaml OUT_DIR}: builds a merged model from a mergekit-format recipe. */
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
        MergeConfig cfg = MergeConfig.read(Path.of(argv[0]));
        long t0 = System.nanoTime();
        Merger.merge(cfg, Path.of(argv[1]), new CheckpointCache(Storage.withDefaults(), CheckpointCache.defaultRoot()));
        out.printf("merged %d model(s) with %s into %s in %.1f s%n", cfg.models().size(), cfg.method().name(), argv[1],
                (System.nanoTime() - t0) / 1e9);
    }
}
