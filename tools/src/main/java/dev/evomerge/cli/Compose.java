package dev.evomerge.cli;

import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.train.ComposeConfig;
import dev.evomerge.train.Composer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code scripts/compose CONFIG.yaml [OUT_DIR]}: trains a composition (CALM) and writes it; OUT_DIR
 * replaces the config's {@code out}. The parents and OUT_DIR may be any Hadoop paths (parents
 * fetched into the checkpoint cache); the composition names the parents by their locations.
 */
public final class Compose {
    private Compose() {
    }

    public static void main(String[] argv) {
        System.exit(Cli.run(() -> run(argv, System.out)));
    }

    static void run(String[] argv, PrintStream out) {
        if (argv.length < 1 || argv.length > 2) {
            throw new IllegalArgumentException("usage: scripts/compose CONFIG.yaml [OUT_DIR]");
        }
        ComposeConfig config = ComposeConfig.read(Path.of(argv[0]));
        if (argv.length == 2) {
            config = config.withOut(dev.evomerge.io.Locations.absolute(argv[1]));
        }
        CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), CheckpointCache.defaultRoot());
        Composer.Result r = Composer.compose(config, cache.storage(), cache, out);
        out.printf(Locale.ROOT, "wrote %s: %,d new parameters, %,d tokens in %.0f s, final loss %.4f%n", r.out(), r.parameters(),
                r.tokens(), r.seconds(), r.log().get(r.log().size() - 1).loss());
    }
}
