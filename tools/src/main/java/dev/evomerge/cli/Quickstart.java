package dev.evomerge.cli;

import ai.djl.Device;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.LikelihoodTask;
import dev.evomerge.eval.Split;
import dev.evomerge.eval.Summary;
import dev.evomerge.io.AtomicDirectory;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.CheckpointSummary;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.Recipe;
import dev.evomerge.merge.MergeRun;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code scripts/quickstart}: what evomerge does today on the embedded default, in one run:
 * validates the bundled stories260K family, merges the two fine-tunes over the base with the
 * example DARE-TIES recipe, and scores parents and merge by likelihood on MGSM in Japanese and
 * English: the trade-off the evolve job will search.
 */
public final class Quickstart {
    private static final String RECIPE = "conf/merge-stories-dare-ties.yaml";
    private static final String MERGED = "runs/quickstart/merged";
    private static final String SPLIT = "range:0:100";

    private Quickstart() {
    }

    public static void main(String[] args) {
        System.exit(Cli.run(() -> run(System.out)));
    }

    static void run(PrintStream out) {
        Storage storage = Storage.withDefaults();
        CheckpointCache cache = new CheckpointCache(storage, CheckpointCache.defaultRoot());
        List<String> parents = List.of("models/stories260K", "models/stories260K-math", "models/stories260K-ja");
        out.println("1. the bundled models");
        for (String p : parents) {
            out.println("   " + CheckpointSummary.of(p, cache));
        }
        out.println("2. merge (" + RECIPE + ")");
        AtomicDirectory.deleteRecursively(Path.of(MERGED));
        out.println("   " + MergeRun.run(Recipe.read(Path.of(RECIPE)), MERGED, storage, cache));
        out.println("3. likelihood on MGSM items " + SPLIT + " (mean nats per token, lower is better)");
        List<EvalItem> ja = Split.parse(SPLIT).select(Datasets.read(storage, "data/mgsm/mgsm_ja.tsv"));
        List<EvalItem> en = Split.parse(SPLIT).select(Datasets.read(storage, "data/mgsm/mgsm_en.tsv"));
        out.printf(Locale.ROOT, "   %-28s %9s %9s%n", "model", "MGSM-ja", "MGSM-en");
        for (String m : List.of(parents.get(0), parents.get(1), parents.get(2), MERGED)) {
            try (Checkpoint c = Checkpoint.open(cache.localize(m)); Transformer t = Transformer.load(c, Device.cpu());
                 Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
                Evaluator e = new Evaluator(t, tok, 16);
                out.printf(Locale.ROOT, "   %-28s %9.3f %9.3f%n", m, Summary.of(e.run(new LikelihoodTask(), ja)).meanLoss(),
                        Summary.of(e.run(new LikelihoodTask(), en)).meanLoss());
            }
        }
        out.println("The merged model is a Hugging Face checkpoint in " + MERGED + " (try: scripts/generate --model " + MERGED
                + " --prompt \"Once upon a time\").");
    }
}
