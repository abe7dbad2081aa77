package dev.evomerge.cli;

import dev.evomerge.train.TrainConfig;
import dev.evomerge.world.MiniWorld;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * {@code scripts/mini-world [--check] CONFIG.yaml}: builds the mini world from nothing (data,
 * tokenizer, base, fine-tunes) where the config says; with {@code --check}, builds it again in a
 * temporary folder and compares every file with the ones already there, byte for byte (exit 1 on
 * any difference): the committed world is what its config makes.
 */
public final class MiniWorldCli {
    private MiniWorldCli() {
    }

    public static void main(String[] argv) {
        System.exit(Cli.run(() -> run(argv, System.out)));
    }

    static void run(String[] argv, PrintStream out) {
        boolean check = argv.length == 2 && argv[0].equals("--check");
        if (argv.length != 1 && !check) {
            throw new IllegalArgumentException("usage: scripts/mini-world [--check] CONFIG.yaml");
        }
        Path config = Path.of(argv[argv.length - 1]).toAbsolutePath();
        if (!check) {
            report(MiniWorld.build(MiniWorld.read(config), out), out);
            return;
        }
        MiniWorld.Settings committed = MiniWorld.read(config);
        try {
            Path copy = copyIntoTemporaryTree(config, "evomerge-mini-world-check", yaml -> yaml);
            Path tmp = copy.getParent().getParent();
            MiniWorld.Settings fresh = MiniWorld.read(copy);
            report(MiniWorld.build(fresh, out), out);
            List<String> differ = new ArrayList<>();
            int files = compare(committed.data(), fresh.data(), differ) + compare(committed.tokenizer(), fresh.tokenizer(), differ);
            for (int i = 0; i < committed.training().size(); i++) {
                TrainConfig a = committed.training().get(i);
                files += compare(a.out(), fresh.training().get(i).out(), differ);
            }
            if (!differ.isEmpty()) {
                throw new IllegalStateException("the rebuilt world differs from the committed one in " + differ.size() + " of "
                        + files + " files: " + String.join(", ", differ));
            }
            out.printf(Locale.ROOT, "check: all %d files of the world rebuilt byte for byte (%s)%n", files, tmp);
            dev.evomerge.io.AtomicDirectory.deleteRecursively(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The config copied, {@code edit}ed, to the same place in a new temporary tree: its paths are
     * taken from its own folder, so built from the copy a world has the same layout there.
     */
    static Path copyIntoTemporaryTree(Path config, String prefix, java.util.function.UnaryOperator<String> edit) throws IOException {
        Path tmp = Files.createTempDirectory(prefix);
        Path root = config.getParent().getParent();
        Path copy = tmp.resolve(root.relativize(config));
        Files.createDirectories(copy.getParent());
        Files.writeString(copy, edit.apply(Files.readString(config)));
        return copy;
    }

    /** Compares the files under two folders; records the ones that differ or are missing; returns how many were compared. */
    static int compare(Path expected, Path actual, List<String> differ) throws IOException {
        List<Path> names;
        try (Stream<Path> walk = Files.walk(expected)) {
            names = walk.filter(Files::isRegularFile).map(expected::relativize).sorted().toList();
        }
        for (Path name : names) {
            Path other = actual.resolve(name);
            if (!Files.isRegularFile(other) || !Arrays.equals(Files.readAllBytes(expected.resolve(name)), Files.readAllBytes(other))) {
                differ.add(expected.resolve(name).toString());
            }
        }
        return names.size();
    }

    private static void report(MiniWorld.Report r, PrintStream out) {
        out.printf(Locale.ROOT, "the mini world in %.0f s (data %.1f s, tokenizer %.1f s, training %.0f s)%n", r.totalSeconds(),
                r.dataSeconds(), r.tokenizerSeconds(), r.runs().stream().mapToDouble(x -> x.seconds()).sum());
    }
}
