package dev.evomerge.cli;

import dev.evomerge.model.Generator;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code scripts/generate --model DIR --prompt TEXT [--max-new-tokens N] [--stop S]... [--device D]}: prints the greedy completion. */
public final class Generate {
    private Generate() {
    }

    public static void main(String[] argv) {
        System.exit(Cli.run(() -> run(argv, System.out)));
    }

    static void run(String[] argv, PrintStream out) {
        Args a = new Args("generate", argv, Set.of("model", "prompt", "max-new-tokens", "stop", "device"));
        try (LoadedModel m = LoadedModel.open(a.required("model"), a.optional("device", "auto"))) {
            Generator.Options o = new Generator.Options(a.intValue("max-new-tokens", 64), a.all("stop"), true);
            Generator.Result r = new Generator(m.model(), m.tokenizer()).generateText(List.of(a.required("prompt")), o).get(0);
            out.println(r.text());
        }
    }
}
