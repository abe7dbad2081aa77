package dev.evomerge.cli;

import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.io.SafetensorsFile;
import dev.evomerge.io.Storage;
import dev.evomerge.io.TensorInfo;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Locale;
import java.util.TreeMap;

/**
 * {@code scripts/inspect PATH...}: validates checkpoints (a Hugging Face directory on any
 * Hadoop path, or one .safetensors file) and prints the architecture, the parameter count and a
 * tensor table. Exit 1 with the one-line error on the first bad one.
 */
public final class Inspect {
    private Inspect() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: scripts/inspect PATH [PATH...]   (checkpoint dir or .safetensors file)");
            System.exit(2);
        }
        System.exit(Cli.run(() -> run(args, System.out)));
    }

    static void run(String[] locations, PrintStream out) {
        CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), CheckpointCache.defaultRoot());
        for (String location : locations) {
            inspect(location, cache, out);
        }
    }

    static void inspect(String location, CheckpointCache cache, PrintStream out) {
        Path local = cache.localize(location);
        if (Files.isRegularFile(local) && local.toString().endsWith(".safetensors")) {
            try (SafetensorsFile file = SafetensorsFile.open(local)) {
                out.println("file        " + location);
                printTensors(file.tensors(), out);
            }
            return;
        }
        try (Checkpoint ckpt = Checkpoint.open(local)) {
            ModelConfig c = ckpt.config();
            out.println("checkpoint  " + location);
            out.println("model       " + c.modelType() + ": " + c.numHiddenLayers() + " layers, hidden " + c.hiddenSize()
                    + ", intermediate " + c.intermediateSize() + ", heads " + c.numAttentionHeads() + " (kv "
                    + c.numKeyValueHeads() + ", dim " + c.headDim() + "), vocab " + c.vocabSize());
            out.println("            rope theta " + c.ropeTheta() + ", rms eps " + c.rmsNormEps() + ", tied embeddings "
                    + (c.tieWordEmbeddings() ? "yes" : "no") + ", attention bias " + (c.attentionBias() ? "yes" : "no")
                    + ", max positions " + c.maxPositionEmbeddings());
            out.println("weights     " + ckpt.weightFiles().size() + " file(s), " + dtypes(ckpt.tensors().values())
                    + ", " + String.format(Locale.ROOT, "%,d", ckpt.weightBytes()) + " bytes");
            out.println("tokenizer   " + (ckpt.tokenizerFiles().isEmpty() ? "none"
                    : String.join(", ", ckpt.tokenizerFiles().stream().map(p -> p.getFileName().toString()).toList())));
            out.println("parameters  " + String.format(Locale.ROOT, "%,d", ckpt.parameterCount()));
            printTensors(ckpt.tensors().values(), out);
        }
    }

    private static String dtypes(Collection<TensorInfo> tensors) {
        TreeMap<String, Integer> counts = new TreeMap<>();
        tensors.forEach(t -> counts.merge(t.dtype().name(), 1, Integer::sum));
        return counts.size() == 1 ? counts.firstKey() : counts.toString();
    }

    private static void printTensors(Collection<TensorInfo> tensors, PrintStream out) {
        int width = tensors.stream().mapToInt(t -> t.name().length()).max().orElse(4);
        String row = "  %-" + width + "s  %-5s  %-16s  %,14d%n";
        out.printf(Locale.ROOT, "  %-" + width + "s  %-5s  %-16s  %14s%n", "name", "dtype", "shape", "bytes");
        for (TensorInfo t : tensors) {
            out.printf(Locale.ROOT, row, t.name(), t.dtype(), t.shapeString(), t.byteSize());
        }
        out.printf(Locale.ROOT, "  %d tensors, %,d parameters%n", tensors.size(),
                tensors.stream().mapToLong(TensorInfo::numel).sum());
    }
}
