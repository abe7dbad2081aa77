package dev.evomerge.driver;

import dev.evomerge.eval.Summary;
import dev.evomerge.eval.TaskSpec;
import dev.evomerge.merge.AsIs;
import dev.evomerge.merge.LayerPathMerge;
import dev.evomerge.merge.Recipe;
import dev.evomerge.model.LayerPath;
import java.util.List;
import java.util.Locale;

/**
 * {@code report.md}: the paper's table in small (every parent, the plain linear merge and the
 * evolved merge on the test split), the fitness curve, and the best recipe; for a multi-objective
 * run also the Pareto front (picture, members, the models placed beside it) and its hypervolume
 * per generation.
 */
public final class Report {
    private final RunConfig run;
    private final Genome genome;
    private final RunState state;
    private final int population;
    private final List<CandidateResult> test;
    private final ParetoFront.Summary front;

    /** {@code front} is null for a single-objective run. */
    public Report(RunConfig run, Genome genome, RunState state, int population, List<CandidateResult> test,
                  ParetoFront.Summary front) {
        this.run = run;
        this.genome = genome;
        this.state = state;
        this.population = population;
        this.test = test;
        this.front = front;
    }

    /** The test table as Markdown: one row per model, one column per task metric, then fitness. */
    public String table() {
        StringBuilder b = new StringBuilder("| model |");
        StringBuilder rule = new StringBuilder("|---|");
        for (TaskSpec t : run.test().tasks()) {
            b.append(' ').append(t.metric()).append(t.isLikelihood() ? "" : " % [95% interval]").append(" |");
            rule.append("---:|");
            if (checksJapanese(t)) {
                b.append(' ').append(t.name()).append(".accuracy without the Japanese check % |");
                rule.append("---:|");
            }
            if (t.isVqa()) {
                b.append(' ').append(t.name()).append(".reference in the answer % |");
                rule.append("---:|");
            }
        }
        b.append(" fitness |\n").append(rule).append("---:|\n");
        for (CandidateResult r : test) {
            b.append("| ").append(r.spec().label()).append(" |");
            for (int i = 0; i < run.test().tasks().size(); i++) {
                TaskSpec t = run.test().tasks().get(i);
                Double v = r.metrics().get(t.metric());
                boolean second = checksJapanese(t) || t.isVqa();
                if (v == null) {
                    b.append(" error |").append(second ? " error |" : "");
                    continue;
                }
                Summary s = r.perTask().get(i);
                b.append(' ').append(t.isLikelihood() ? String.format(Locale.ROOT, "%.4f", v) : percent(interval(t, s))).append(" |");
                if (second) { // MGSM-ja's accuracy without the check; VQA's relaxed exact match
                    b.append(' ').append(percent(withInterval(s.correct(), s.items()))).append(" |");
                }
            }
            b.append(' ').append(r.failed() ? "error: " + r.error() : String.format(Locale.ROOT, "%.4f", r.fitness())).append(" |\n");
        }
        return b.toString();
    }

    private static boolean checksJapanese(TaskSpec t) {
        return !t.isLikelihood() && !t.isVqa() && "ja".equals(t.lang());
    }

    /**
     * An accuracy or VQA task's value in [0, 1] with its 95% interval: accuracy (MGSM-ja: right
     * and in Japanese) with Wilson's, the mean VQA score with the normal approximation's.
     */
    private static double[] interval(TaskSpec t, Summary s) {
        double[] ci = t.interval(s);
        return new double[] {t.metric(s), ci[0], ci[1]};
    }

    private static double[] withInterval(int k, int n) {
        double[] ci = Summary.wilson(k, n);
        return new double[] {n == 0 ? 0 : (double) k / n, ci[0], ci[1]};
    }

    /** A value with its interval as percentages: "52.0 [47.6, 56.4]". */
    private static String percent(double[] v) {
        return String.format(Locale.ROOT, "%.1f [%.1f, %.1f]", 100 * v[0], 100 * v[1], 100 * v[2]);
    }

    /**
     * Whether, on every accuracy or VQA task of the test split, the evolved merge's 95% interval lies
     * above every other row's: ahead beyond the noise of the split, not only on the point estimate.
     * False when the test split has no such task.
     */
    public boolean evolvedAheadBeyondIntervals() {
        CandidateResult evolved = test.get(test.size() - 1);
        boolean any = false;
        for (int i = 0; i < run.test().tasks().size(); i++) {
            TaskSpec t = run.test().tasks().get(i);
            if (t.isLikelihood()) {
                continue;
            }
            any = true;
            if (evolved.failed()) {
                return false;
            }
            double low = interval(t, evolved.perTask().get(i))[1];
            for (CandidateResult r : test.subList(0, test.size() - 1)) {
                if (r.failed()) {
                    continue;
                }
                if (interval(t, r.perTask().get(i))[2] >= low) {
                    return false;
                }
            }
        }
        return any;
    }

    /** Whether the evolved merge (the last row) has a higher test fitness than every other row. */
    public boolean evolvedWins() {
        CandidateResult evolved = test.get(test.size() - 1);
        return !evolved.failed() && test.subList(0, test.size() - 1).stream()
                .allMatch(r -> r.failed() || r.fitness() < evolved.fitness());
    }

    /** The evolved path: the picture, then step by step which pool model's layer and its scale. */
    private static void path(StringBuilder b, LayerPathMerge merge) {
        b.append("The evolved layer path (").append(merge.summary()).append("), model A = pool entry ")
                .append(LayerPathMerge.poolName(merge.path().embeddingsFrom())).append(":\n\n![the evolved layer path](path.png)\n\n");
        b.append("| step | model | layer | scale |\n|---:|---|---:|---:|\n");
        for (int i = 0; i < merge.path().depth(); i++) {
            LayerPath.Step s = merge.path().steps().get(i);
            b.append(String.format(Locale.ROOT, "| %d | %c | %d | %.4f |%n", i, LayerPathMerge.poolName(s.model()), s.layer(), s.scale()));
        }
        b.append('\n').append(merge.path().unitScales() ? "Every scale is 1: `best/` is a plain checkpoint (transformers loads it).\n\n"
                : "Some scales are not 1: `best/` is an `evomerge_layer_path` checkpoint that evomerge runs (README, \"Data-flow "
                        + "merging\").\n\n");
    }

    /**
     * The front on the fitness split: the picture, every member (the chosen one in bold) with
     * its recipe file, and the placed models with how many members dominate each.
     */
    private void front(StringBuilder b) {
        List<Objective> objectives = run.objectives();
        b.append("## Pareto front (fitness split)\n\n![the Pareto front](front.png)\n\n");
        b.append(String.format(Locale.ROOT, "%d non-dominated candidates of all evaluated; `best/` is generation %d, candidate %d "
                + "(%s). Merge any other member with `scripts/merge front-recipes/FILE OUT`.%n%n", front.front().size(),
                front.chosen().generation(), front.chosen().candidate(), front.choice().why()));
        b.append("| generation | candidate |");
        objectives.forEach(o -> b.append(' ').append(o.name()).append(" |"));
        b.append(" fitness | recipe |\n|---:|---:|").append("---:|".repeat(objectives.size())).append("---:|---|\n");
        for (int k = 0; k < front.front().size(); k++) {
            ParetoFront.Member m = front.front().get(k);
            String mark = k == front.choice().index() ? "**" : "";
            b.append(String.format(Locale.ROOT, "| %s%d%s | %s%d%s |", mark, m.generation(), mark, mark, m.candidate(), mark));
            for (double v : m.values()) {
                b.append(String.format(Locale.ROOT, " %s |", number(v)));
            }
            b.append(String.format(Locale.ROOT, " %.4f | `%s` |%n", m.fitness(), ParetoFront.recipeFile(m)));
        }
        b.append("\nThe other models on the same split (squares in the picture):\n\n| model |");
        objectives.forEach(o -> b.append(' ').append(o.name()).append(" |"));
        b.append(" dominated by |\n|---|").append("---:|".repeat(objectives.size())).append("---:|\n");
        for (ParetoFront.Placed p : front.placed()) {
            b.append("| ").append(p.label()).append(" |");
            for (double v : p.values()) {
                b.append(' ').append(Double.isFinite(v) ? number(v) : "error").append(" |");
            }
            long dominating = front.front().stream().filter(m -> dev.evomerge.optim.NondominatedSorting.dominates(
                    ParetoFront.minimized(objectives, m.values()), ParetoFront.minimized(objectives, p.values()))).count();
            b.append(' ').append(dominating).append(" of ").append(front.front().size()).append(" members |\n");
        }
        b.append('\n');
    }

    /** Counts as integers, everything else to four places. */
    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) >= 1 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.4f", v);
    }

    public String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# evomerge run `").append(run.runId()).append("`\n\n");
        b.append(String.format(Locale.ROOT, "Config `%s` (sha256 %s). Merge method **%s**", run.location(), run.sha256().substring(0, 12),
                run.method()));
        if (run.baseModel() != null) {
            b.append(" over `").append(run.baseModel()).append('`');
        }
        if (front == null) {
            b.append(String.format(Locale.ROOT, "; genome of %s; CMA-ES, %d generation(s) of %d, sigma0 %.4g, seed %d.%n%n",
                    genome.describe(), state.history().size(), population, run.sigma0(), run.seed()));
        } else {
            b.append(String.format(Locale.ROOT, "; genome of %s; NSGA-II, %d generation(s) of %d, seed %d; objectives ",
                    genome.describe(), state.history().size(), population, run.seed()));
            run.objectives().forEach(o -> b.append('`').append(o.name()).append("` (").append(o.direction()).append(") "));
            b.append("; `best/` is the front member chosen as: ").append(run.choose()).append(".\n\n");
        }
        b.append("## Test split\n\n");
        b.append("Tasks: ");
        run.test().tasks().forEach(t -> b.append('`').append(t.name()).append("` (").append(t.task()).append(", ")
                .append(t.split()).append(") "));
        boolean vqa = run.test().tasks().stream().anyMatch(TaskSpec::isVqa);
        b.append("\n\nLoss is mean nats per token (lower is better); fitness is the mean over tasks of accuracy")
                .append(vqa ? ", of the VQA score (ROUGE-L F over Japanese morphemes, 0 for a non-Japanese answer to a Japanese "
                        + "reference; its interval the normal approximation; a model without a vision tower, an LLM parent or "
                        + "the base, answers from the question alone; beside it, how many answers hold the reference whole, "
                        + "with Wilson's interval: ROUGE-L credits the reference's frame with a wrong word)" : "")
                .append(" or of minus the loss (higher is better).\n\n");
        b.append(table()).append('\n');
        b.append("Models as the config names them, and where they are:\n\n");
        test.stream().filter(r -> r.spec().recipe() instanceof AsIs).forEach(r -> b.append("- ").append(r.spec().label())
                .append(": `").append(((AsIs) r.spec().recipe()).location()).append("`\n"));
        b.append('\n');
        if (front == null) {
            b.append(evolvedWins() ? "The evolved merge is ahead of every parent and of the untuned merges"
                    + (evolvedAheadBeyondIntervals() ? ", beyond the 95% intervals on every accuracy task" : "") + ".\n\n"
                    : "The evolved merge is **not** ahead of every other row.\n\n");
        } else {
            front(b);
        }
        b.append("## Fitness per generation (fitness split)\n\n![fitness per generation](fitness.png)\n\n");
        if (front != null) {
            b.append("![hypervolume per generation](hypervolume.png)\n\n");
        }
        b.append("| generation | best | mean | failed |").append(front != null ? " front | hypervolume |" : "").append(" seconds |\n");
        b.append("|---:|---:|---:|---:|").append(front != null ? "---:|---:|" : "").append("---:|\n");
        for (RunState.GenerationStats s : state.history()) {
            b.append(String.format(Locale.ROOT, "| %d | %.4f | %.4f | %d |", s.generation(), s.best(), s.mean(), s.failed()));
            if (front != null) {
                b.append(String.format(Locale.ROOT, " %d | %.4f |", s.frontSize(), s.hypervolume()));
            }
            b.append(String.format(Locale.ROOT, " %.1f |%n", s.seconds()));
        }
        if (state.stopReason() != null) {
            b.append("\nThe optimizer stopped early: ").append(state.stopReason()).append(".\n");
        }
        RunState.Best best = state.best();
        b.append(String.format(Locale.ROOT, "%n## Best recipe%n%nGeneration %d, candidate %d, fitness %.4f; %s.%n%n",
                best.generation(), best.candidate(), best.fitness(), run.isDataFlow() ? "written as `best/`" : "merged into `best/`"));
        if (Recipe.parse("best recipe", best.recipe()) instanceof LayerPathMerge path) {
            path(b, path);
        }
        b.append("```yaml\n").append(best.recipe()).append("```\n");
        return b.toString();
    }
}
