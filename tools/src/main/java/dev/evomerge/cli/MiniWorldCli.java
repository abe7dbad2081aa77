package dev.evomerge.cli;

import dev.evomerge.world.MiniWorld;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code scripts/mini-world [CONFIG.yaml]}: builds the mini world from nothing (data, tokenizer,
 * base, fine-tunes), by default from conf/mini-world.yaml into the project's data/ and models/.
 */
public final class MiniWorldCli {
    private MiniWorldCli() {
    }

    public static void main(String[] argv) {
        System.exit(Cli.run(() -> run(argv, System.out)));
    }

    static void run(String[] argv, PrintStream out) {
        if (argv.length != 1) {
            throw new IllegalArgumentException("usage: scripts/mini-world CONFIG.yaml");
        }
        MiniWorld.Report r = MiniWorld.build(MiniWorld.read(Path.of(argv[0])), out);
        out.printf(Locale.ROOT, "the mini world in %.0f s (data %.1f s, tokenizer %.1f s, training %.0f s)%n", r.totalSeconds(),
                r.dataSeconds(), r.tokenizerSeconds(), r.runs().stream().mapToDouble(x -> x.seconds()).sum());
    }
}
