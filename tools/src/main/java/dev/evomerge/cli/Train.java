package dev.evomerge.cli;

import dev.evomerge.train.TrainConfig;
import dev.evomerge.train.Trainer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code scripts/train CONFIG.yaml}: trains one model (a new one, or a fine-tune of a checkpoint)
 * and writes it as a Hugging Face checkpoint with its training log.
 */
public final class Train {
    private Train() {
    }

    public static void main(String[] argv) {
        System.exit(Cli.run(() -> run(argv, System.out)));
    }

    static void run(String[] argv, PrintStream out) {
        if (argv.length != 1) {
            throw new IllegalArgumentException("usage: scripts/train CONFIG.yaml");
        }
        Trainer.Result r = Trainer.train(TrainConfig.read(Path.of(argv[0])), out);
        out.printf(Locale.ROOT, "wrote %s: %,d parameters, %,d tokens in %.0f s (%.0f tokens/s), final loss %.4f%n", r.out(),
                r.parameters(), r.tokens(), r.seconds(), r.tokensPerSecond(), r.log().get(r.log().size() - 1).loss());
    }
}
