package dev.evomerge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.eval.BootstrapInterval;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.ItemResult;
import dev.evomerge.eval.MgsmTask;
import dev.evomerge.eval.OtherPictures;
import dev.evomerge.eval.Split;
import dev.evomerge.eval.Summary;
import dev.evomerge.eval.Task;
import dev.evomerge.eval.VqaTask;
import dev.evomerge.io.AtomicDirectory;
import dev.evomerge.io.AtomicFiles;
import dev.evomerge.io.Storage;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code scripts/eval --model DIR --task mgsm --lang ja --data PATH [--split S] [--limit N] [--out DIR]
 * [--template T] [--shots K --exemplars FILE] [--max-new-tokens N] [--batch-size B] [--device D]}: accuracy (and, for ja,
 * accuracy with the Japanese check) with 95% intervals; {@code --task likelihood} prints the mean
 * loss; {@code --task vqa} (a LLaVA's {@code --model}, a VQA set's {@code --data}, {@code --template}
 * ja-shisa-vqa, llava-mistral or plain) the paper's ROUGE-L score x100 with a 95% bootstrap
 * interval; {@code --pictures others} asks each question about another item's picture, {@code both}
 * asks it about both and prints the drop (the sight check, {@link OtherPictures}). With
 * {@code --out}, per-item results go to {@code DIR/results.jsonl} and the totals to
 * {@code DIR/summary.json}, the directory written atomically.
 */
public final class Eval {
    private Eval() {
    }

    public static void main(String[] argv) {
        System.exit(Cli.run(() -> run(argv, System.out)));
    }

    static void run(String[] argv, PrintStream out) {
        Args a = new Args("eval", argv, Set.of("model", "task", "lang", "data", "split", "limit", "out", "template",
                "max-new-tokens", "batch-size", "device", "shots", "exemplars", "pictures"));
        Task task = Task.parse(a.required("task"), a.optional("lang", "ja"), a.optional("template", null),
                a.intValue("max-new-tokens", 256));
        int shots = a.intValue("shots", 0);
        if (shots > 0) {
            if (!(task instanceof MgsmTask mgsm)) {
                throw new IllegalArgumentException("eval: --shots applies to --task mgsm");
            }
            task = mgsm.withShots(Datasets.exemplars(Storage.withDefaults(), a.required("exemplars")), shots);
        }
        List<EvalItem> items = Split.parse(a.optional("split", "all")).select(Datasets.read(Storage.withDefaults(), a.required("data")));
        int limit = a.intValue("limit", Integer.MAX_VALUE);
        items = items.subList(0, Math.min(limit, items.size()));
        String pictures = a.optional("pictures", "own");
        if (!List.of("own", "others", "both").contains(pictures)) {
            throw new IllegalArgumentException("eval: --pictures is own, others (each question about another item's picture) or both, "
                    + "got '" + pictures + "'");
        }
        if (!pictures.equals("own") && !(task instanceof VqaTask)) {
            throw new IllegalArgumentException("eval: --pictures applies to --task vqa");
        }
        List<ItemResult> results;
        List<ItemResult> withOthers = null;
        boolean hasVision;
        try (LoadedModel m = LoadedModel.open(a.required("model"), a.optional("device", "auto"))) {
            hasVision = m.vision() != null;
            Evaluator evaluator = new Evaluator(m.model(), m.tokenizer(), a.intValue("batch-size", 8), m.vision());
            results = evaluator.run(task, pictures.equals("others") ? OtherPictures.of(items) : items);
            if (pictures.equals("both")) {
                withOthers = evaluator.run(task, OtherPictures.of(items));
            }
        }
        Summary s = Summary.of(results);
        out.println("task " + describe(task) + " on " + s.items() + " items of " + a.required("data")
                + (task instanceof VqaTask && !hasVision ? " (no vision tower: answered from the questions alone)" : ""));
        if (task instanceof MgsmTask mgsm) {
            out.println("accuracy       " + Summary.formatRate(s.correct(), s.items()));
            if (mgsm.checksJapanese()) {
                out.println("accuracy (ja)  " + Summary.formatRate(s.correctInJapanese(), s.items()));
            }
        } else if (task instanceof VqaTask) {
            BootstrapInterval ci = BootstrapInterval.of(results.stream().mapToDouble(r -> 100 * r.score()).toArray(), 0.95, 1000, 0);
            out.println(String.format(Locale.ROOT, "rougeL (x100)  %.1f  95%% bootstrap interval [%.1f, %.1f]  (%d items)%s",
                    ci.mean(), ci.low(), ci.high(), s.items(), s.items() < Summary.SMALL ? "  -- small set: read the interval" : ""));
            out.println("reference held " + Summary.formatRate(s.correct(), s.items()));
            if (withOthers != null) {
                Summary o = Summary.of(withOthers);
                BootstrapInterval drop = OtherPictures.drop(results, withOthers);
                out.println("reference held, other pictures " + Summary.formatRate(o.correct(), o.items()));
                out.println(String.format(Locale.ROOT, "sight (held, own - other pictures, points)  %+.1f  95%% paired bootstrap "
                        + "interval [%+.1f, %+.1f]%s", drop.mean(), drop.low(), drop.high(),
                        drop.low() > 0 ? "" : "  -- not above zero: the answers do not depend on the picture"));
            }
        } else {
            out.println(String.format(Locale.ROOT, "mean_loss=%.6f tokens=%d", s.meanLoss(), s.tokens()));
        }
        String outDir = a.optional("out", null);
        if (outDir != null) {
            write(Path.of(outDir), task, results, s);
            out.println("per-item results in " + Path.of(outDir).resolve("results.jsonl"));
        }
    }

    private static String describe(Task task) {
        return task instanceof MgsmTask m ? m.name() + " (" + m.templateName() + ")"
                : task instanceof VqaTask v ? v.name() + " (" + v.templateName() + ")" : task.name();
    }

    private static void write(Path dir, Task task, List<ItemResult> results, Summary s) {
        ObjectMapper json = new ObjectMapper();
        StringBuilder lines = new StringBuilder();
        for (ItemResult r : results) {
            ObjectNode o = json.createObjectNode();
            o.put("index", r.index()).put("question", r.question()).put("reference", r.reference());
            if (task instanceof VqaTask) {
                o.put("response", r.response()).put("score", r.score()).put("japanese", r.japanese()).put("correct", r.correct());
            } else if (task instanceof MgsmTask) {
                o.put("response", r.response());
                o.put("extracted", r.extracted() == null ? null : r.extracted().toPlainString());
                o.put("correct", r.correct());
                if (r.japanese() != null) {
                    o.put("japanese", r.japanese());
                }
                if (r.error() != null) {
                    o.put("error", r.error());
                }
            } else {
                o.put("loss", r.loss()).put("tokens", r.tokens());
            }
            lines.append(o).append('\n');
        }
        ObjectNode summary = json.valueToTree(s);
        summary.put("task", describe(task));
        try (AtomicDirectory staging = AtomicDirectory.createReplacing(dir)) {
            AtomicFiles.writeString(staging.path().resolve("results.jsonl"), lines.toString());
            AtomicFiles.writeString(staging.path().resolve("summary.json"), summary.toPrettyString());
            staging.commit();
        }
    }
}
