package dev.evomerge.cli;

import dev.evomerge.world.VlmWorld;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code scripts/vlm-world [--check] CONFIG.yaml}: builds the mini world's VLM (pictures, their
 * questions, the Japanese VQA splits, a small LLaVA trained from the mini world's base) where the
 * config says; with {@code --check}, builds it again in a temporary folder and compares every
 * file with the ones already there, byte for byte (exit 1 on any difference).
 */
public final class VlmWorldCli {
    private VlmWorldCli() {
    }

    public static void main(String[] argv) {
        System.exit(Cli.run(() -> run(argv, System.out)));
    }

    static void run(String[] argv, PrintStream out) {
        boolean check = argv.length == 2 && argv[0].equals("--check");
        if (argv.length != 1 && !check) {
            throw new IllegalArgumentException("usage: scripts/vlm-world [--check] CONFIG.yaml");
        }
        Path config = Path.of(argv[argv.length - 1]).toAbsolutePath();
        VlmWorld.Settings committed = VlmWorld.read(config);
        if (!check) {
            report(VlmWorld.build(committed, out), out);
            return;
        }
        try {
            // the language model it starts from is read where it is
            Path root = config.getParent().getParent();
            Path copy = MiniWorldCli.copyIntoTemporaryTree(config, "evomerge-vlm-world-check", yaml -> yaml.replace(
                    "language_model: ../", "language_model: " + root.toString().replace('\\', '/') + "/"));
            Path tmp = copy.getParent().getParent();
            VlmWorld.Settings fresh = VlmWorld.read(copy);
            report(VlmWorld.build(fresh, out), out);
            List<String> differ = new ArrayList<>();
            int files = MiniWorldCli.compare(committed.data(), fresh.data(), differ)
                    + MiniWorldCli.compare(committed.vlm().out(), fresh.vlm().out(), differ);
            if (!differ.isEmpty()) {
                throw new IllegalStateException("the rebuilt VLM world differs from the committed one in " + differ.size() + " of "
                        + files + " files: " + String.join(", ", differ));
            }
            out.printf(Locale.ROOT, "check: all %d files of the VLM world rebuilt byte for byte (%s)%n", files, tmp);
            dev.evomerge.io.AtomicDirectory.deleteRecursively(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void report(VlmWorld.Report r, PrintStream out) {
        out.printf(Locale.ROOT, "the VLM world in %.0f s (data %.1f s, training %.0f s)%n", r.totalSeconds(), r.dataSeconds(),
                r.vlm().seconds());
    }
}
