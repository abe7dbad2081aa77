package dev.evomerge.driver;

import dev.evomerge.eval.TaskSpec;
import dev.evomerge.merge.AsIs;
import dev.evomerge.merge.LayerPathMerge;
import dev.evomerge.merge.Recipe;
import dev.evomerge.model.LayerPath;
import java.util.List;
import java.util.Locale;

/**
 * {@code report.md}: the paper's table in small (every parent, the plain linear merge and the
 * evolved merge on the test split), the fitness curve, and the best recipe.
 */
public final class Report {
    private final RunConfig run;
    private final Genome genome;
    private final RunState state;
    private final int population;
    private final List<CandidateResult> test;

    public Report(RunConfig run, Genome genome, RunState state, int population, List<CandidateResult> test) {
        this.run = run;
        this.genome = genome;
        this.state = state;
        this.population = population;
        this.test = test;
    }

    /** The test table as Markdown: one row per model, one column per task metric, then fitness. */
    public String table() {
        StringBuilder b = new StringBuilder("| model |");
        StringBuilder rule = new StringBuilder("|---|");
        for (TaskSpec t : run.test().tasks()) {
            b.append(' ').append(t.metric()).append(" |");
            rule.append("---:|");
        }
        b.append(" fitness |\n").append(rule).append("---:|\n");
        for (CandidateResult r : test) {
            b.append("| ").append(r.spec().label()).append(" |");
            for (TaskSpec t : run.test().tasks()) {
                Double v = r.metrics().get(t.metric());
                b.append(' ').append(v == null ? "error" : String.format(Locale.ROOT, "%.4f", v)).append(" |");
            }
            b.append(' ').append(r.failed() ? "error: " + r.error() : String.format(Locale.ROOT, "%.4f", r.fitness())).append(" |\n");
        }
        return b.toString();
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

    public String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# evomerge run `").append(run.runId()).append("`\n\n");
        b.append(String.format(Locale.ROOT, "Config `%s` (sha256 %s). Merge method **%s**", run.location(), run.sha256().substring(0, 12),
                run.method()));
        if (run.baseModel() != null) {
            b.append(" over `").append(run.baseModel()).append('`');
        }
        b.append(String.format(Locale.ROOT, "; genome of %s; CMA-ES, %d generation(s) of %d, sigma0 %.4g, seed %d.%n%n",
                genome.describe(), state.history().size(), population, run.sigma0(), run.seed()));
        b.append("## Test split\n\n");
        b.append("Tasks: ");
        run.test().tasks().forEach(t -> b.append('`').append(t.name()).append("` (").append(t.task()).append(", ")
                .append(t.split()).append(") "));
        b.append("\n\nLoss is mean nats per token (lower is better); fitness is the mean over tasks of accuracy or of minus "
                + "the loss (higher is better).\n\n");
        b.append(table()).append('\n');
        b.append("Models as the config names them, and where they are:\n\n");
        test.stream().filter(r -> r.spec().recipe() instanceof AsIs).forEach(r -> b.append("- ").append(r.spec().label())
                .append(": `").append(((AsIs) r.spec().recipe()).location()).append("`\n"));
        b.append('\n');
        b.append(evolvedWins() ? "The evolved merge is ahead of every parent and of the linear merge.\n\n"
                : "The evolved merge is **not** ahead of every other row.\n\n");
        b.append("## Fitness per generation (fitness split)\n\n![fitness per generation](fitness.png)\n\n");
        b.append("| generation | best | mean | failed | seconds |\n|---:|---:|---:|---:|---:|\n");
        for (RunState.GenerationStats s : state.history()) {
            b.append(String.format(Locale.ROOT, "| %d | %.4f | %.4f | %d | %.1f |%n", s.generation(), s.best(), s.mean(), s.failed(),
                    s.seconds()));
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
