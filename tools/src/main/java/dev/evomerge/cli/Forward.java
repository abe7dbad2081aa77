package dev.evomerge.cli;

import dev.evomerge.io.AtomicFiles;
import dev.evomerge.io.DType;
import dev.evomerge.io.SafetensorsWriter;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorSpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code scripts/forward --model DIR --token-ids 3,17,42 --out FILE.safetensors}: writes the
 * logits of one sequence as a safetensors tensor {@code logits}, F32 [n_tokens, vocab], to check
 * against other implementations (e.g. transformers) token by token.
 */
public final class Forward {
    private Forward() {
    }

    public static void main(String[] argv) {
        System.exit(Cli.run(() -> run(argv, System.out)));
    }

    static void run(String[] argv, PrintStream out) {
        Args a = new Args("forward", argv, Set.of("model", "token-ids", "out", "device"));
        long[] ids = parseIds(a.required("token-ids"));
        Path target = Path.of(a.required("out"));
        try (LoadedModel m = LoadedModel.open(a.required("model"), a.optional("device", "auto"))) {
            float[] logits = m.model().logits(ids);
            TensorSpec spec = new TensorSpec("logits", DType.F32, new long[] {ids.length, m.model().config().vocabSize()});
            AtomicFiles.write(target, tmp -> {
                try (SafetensorsWriter w = SafetensorsWriter.create(tmp, List.of(spec))) {
                    w.write("logits", TensorBytes.fromFloats(logits, DType.F32));
                    w.finish();
                }
            });
            out.println("wrote logits [" + ids.length + ", " + m.model().config().vocabSize() + "] to " + target);
        }
    }

    static long[] parseIds(String csv) {
        try {
            return Arrays.stream(csv.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("forward: --token-ids must be comma-separated integers, got '" + csv + "'");
        }
    }
}
