package dev.evomerge.driver;

import dev.evomerge.executor.CandidateSpec;
import dev.evomerge.executor.EvalTask;
import dev.evomerge.executor.ShardResult;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.CheckpointHeaders;
import dev.evomerge.io.DType;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.LayerPathMerge;
import dev.evomerge.merge.Recipe;
import dev.evomerge.merge.MergeRun;
import dev.evomerge.optim.CmaEs;
import dev.evomerge.optim.CmaOptions;
import dev.evomerge.optim.Nsga2;
import dev.evomerge.optim.Nsga2Options;
import dev.evomerge.optim.Optimizer;
import dev.evomerge.optim.Population;
import dev.evomerge.optim.TellReport;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The driver of an evolve run (README, "Design"): for each generation, ask the optimizer for a
 * population, decode each genome into a typed recipe, have the runner score every (candidate,
 * shard), reduce the shards into each candidate's objectives, tell the optimizer, write the
 * generation's rows, then the checkpoint. At the end: the best recipe merged into {@code best/},
 * evaluated on the test split beside every parent and the plain linear merge, and {@code report.md}.
 *
 * <p>The driver holds an {@link Optimizer} and a {@link Genome} without knowing which they are,
 * and never sees Spark: where the scoring runs is the runner's business (Spark in {@code jobs}, a
 * loop in tests). Resuming: rerunning on the same output directory continues after the last
 * checkpoint; results written after it (a generation the driver died in) are dropped and redone.
 */
public final class Evolution {

    /** Scores tasks somewhere and returns every task's result (any order). */
    public interface ShardRunner {
        List<ShardResult> run(String description, List<EvalTask> tasks);

        /** How many tasks run at once (for the time split). */
        int slots();
    }

    /** Where per-generation rows go (Parquet in {@code jobs}). */
    public interface ResultSink {
        /** {@code pareto} is each candidate's place in a multi-objective generation, or null in a single-objective run. */
        void writeGeneration(int generation, List<CandidateResult> candidates, List<Pareto> pareto, List<ShardResult> shards);

        void writeTest(List<CandidateResult> results);

        /** The final Pareto front of a multi-objective run; {@code chosen} is the member {@code best/} holds. */
        default void writeFront(List<ParetoFront.Member> front, int chosen) {
        }

        /** Removes the rows of generations after {@code generation}: written, never checkpointed. */
        void dropAfter(int generation);
    }

    /** Told after a generation's rows and after its checkpoint are written (progress displays; tests stop a driver here). */
    public interface Listener {
        default void afterResults(int generation) {
        }

        default void afterCheckpoint(int generation) {
        }
    }

    /**
     * A candidate's place in a multi-objective generation: its objective values in their own units
     * by objective name (empty when it failed), and the Pareto rank (0 = non-dominated) and
     * crowding distance NSGA-II gave it when selecting survivors from parents and offspring.
     */
    public record Pareto(java.util.Map<String, Double> values, int rank, double crowding) {
    }

    /** A listener that does nothing. */
    public static final Listener QUIET = new Listener() {
    };

    /** How the run ended: the state, and the test table (empty when the run was already complete). */
    public record Outcome(RunState state, List<CandidateResult> test, String report) {
    }

    private final RunConfig run;
    private final Storage storage;
    private final CheckpointCache cache;
    private final ShardRunner runner;
    private final ResultSink sink;
    private final PrintStream out;
    private final Listener listener;
    private final RunStore store;
    private final CandidateProperties properties;

    public Evolution(RunConfig run, Storage storage, CheckpointCache cache, ShardRunner runner, ResultSink sink,
                     PrintStream out, Listener listener) {
        this.run = run;
        this.storage = storage;
        this.cache = cache;
        this.runner = runner;
        this.sink = sink;
        this.out = out;
        this.listener = listener;
        this.store = new RunStore(storage, run.out());
        this.properties = new CandidateProperties(storage);
    }

    /**
     * The genome of the run, its layout from config.json files, no weights read: a layer path
     * through the pool's layers for a data-flow run, else a parameter-space merge laid out by the
     * base's (else the first model's) layers.
     */
    public static Genome genome(RunConfig run, Storage storage) {
        if (run.isDataFlow()) {
            return DataFlowGenome.of(run, storage);
        }
        String reference = run.baseModel() != null ? run.baseModel() : run.models().get(0);
        return new MergeGenome(run, CheckpointHeaders.read(storage, reference).config().numHiddenLayers());
    }

    /**
     * The optimizer a fresh run starts with: CMA-ES from the genome's starting point, inside its
     * bounds; or NSGA-II over the bounds (binary genes flipped), its first population holding the
     * starting point, told each objective higher-is-better.
     */
    public static Optimizer optimizer(RunConfig run, Genome genome) {
        if (run.isMultiObjective()) {
            return new Nsga2(Nsga2Options.of(genome.lower(), genome.upper(), run.population(), run.objectives().size())
                    .withSeed(run.seed()).withMaximize(true).withBinary(genome.binary()).withInitial(genome.initial()));
        }
        CmaOptions o = CmaOptions.of(genome.initial(), run.sigma0()).withSeed(run.seed()).withBounds(genome.lower(), genome.upper())
                .withMaximize(true).withSeparable(run.separable());
        return new CmaEs(run.population() > 0 ? o.withPopulationSize(run.population()) : o);
    }

    public static int generations(RunConfig run, int population) {
        return run.generations() > 0 ? run.generations() : (run.evaluations() + population - 1) / population;
    }

    /**
     * Runs the run: takes its directory's lease (one driver at a time, {@link RunLease}), resumes
     * or starts, and holds the lease until the run ends or fails.
     */
    public Outcome run() {
        try (RunLease lease = RunLease.acquire(store.fileSystem(), run.out(), run.leaseSeconds() * 1000L, out)) {
            return run(lease);
        }
    }

    private Outcome run(RunLease lease) {
        Genome genome = genome(run, storage);
        Optional<RunState> resumed = store.latest();
        Optimizer optimizer;
        RunState state;
        if (resumed.isPresent()) {
            state = resumed.get();
            if (!state.configSha256().equals(run.sha256())) {
                throw new RunConfigException(run.file(), "(whole file)", "differs from the config that started the run in "
                        + run.out() + " (checkpoint/ has sha256 " + state.configSha256().substring(0, 12)
                        + "); give a new --out, or rerun with the original config");
            }
            optimizer = state.optimizer().restore();
            if (state.generation() < generations(run, optimizer.populationSize()) && state.stopReason() == null) {
                out.printf(Locale.ROOT, "resuming %s after generation %d%n", run.runId(), state.generation());
            }
        } else {
            optimizer = optimizer(run, genome);
            state = RunState.fresh(run, optimizer.state());
        }
        int total = generations(run, optimizer.populationSize());
        sink.dropAfter(state.generation()); // a generation written but not checkpointed is redone, never duplicated
        long started = System.nanoTime();
        double before = state.history().stream().mapToDouble(RunState.GenerationStats::seconds).sum();
        for (int g = state.generation() + 1; g <= total && state.stopReason() == null; g++) {
            long t0 = System.nanoTime();
            Population pop = optimizer.ask();
            List<double[]> genomes = new ArrayList<>();
            List<EvalTask> tasks = new ArrayList<>();
            for (int c = 0; c < pop.size(); c++) {
                double[] x = pop.candidate(c);
                genomes.add(x);
                CandidateSpec spec = new CandidateSpec("generation " + g + " candidate " + c, genome.decode(x));
                for (int s = 0; s < run.fitness().shards(); s++) {
                    tasks.add(new EvalTask(g, c, s, spec, false));
                }
            }
            long jobStart = System.nanoTime();
            List<ShardResult> shards = runner.run(String.format(Locale.ROOT, "generation %d/%d: %d candidates x %d shards", g, total,
                    pop.size(), run.fitness().shards()), tasks);
            double jobSeconds = (System.nanoTime() - jobStart) / 1e9;
            List<CandidateResult> results = CandidateResult.reduceAll(run.fitness(), shards, genomes);
            List<double[]> values = run.isMultiObjective() ? results.stream().map(this::objectiveValues).toList() : null;
            TellReport told = optimizer.tell(pop, values == null
                    ? results.stream().map(r -> r.objectives().forOptimizer()).toArray(double[][]::new)
                    : values.stream().map(this::told).toArray(double[][]::new));
            lease.verify();
            sink.writeGeneration(g, results, values == null ? null : pareto(values, told), shards);
            listener.afterResults(g);
            RunState.Best best = state.best();
            double sum = 0;
            int ok = 0;
            double genBest = Double.NaN;
            for (CandidateResult r : results) {
                best = values == null ? RunState.Best.better(best, g, r) : best;
                if (!r.failed()) {
                    sum += r.fitness();
                    ok++;
                    genBest = Double.isNaN(genBest) ? r.fitness() : Math.max(genBest, r.fitness());
                }
            }
            List<ParetoFront.Member> front = state.front();
            ParetoFront.Frame frame = state.frame();
            double hypervolume = Double.NaN;
            if (values != null) {
                List<ParetoFront.Member> found = new ArrayList<>();
                for (int c = 0; c < results.size(); c++) {
                    CandidateResult r = results.get(c);
                    if (!r.failed()) {
                        found.add(new ParetoFront.Member(g, r.candidate(), values.get(c), r.fitness(), r.genome(),
                                r.spec().recipe().toYaml()));
                    }
                }
                front = ParetoFront.update(front, found, run.objectives());
                if (frame == null && !found.isEmpty()) {
                    frame = ParetoFront.Frame.of(found.stream().map(m -> ParetoFront.minimized(run.objectives(), m.values())).toList());
                }
                hypervolume = frame == null ? Double.NaN : ParetoFront.hypervolume(front, run.objectives(), frame);
                best = front.isEmpty() ? null : RunState.Best.of(front.get(ParetoFront.choose(front, run.objectives(), run.choose()).index()));
            }
            String stop = optimizer.stopReason().orElse(null);
            RunState.GenerationStats stats = new RunState.GenerationStats(g, genBest, ok == 0 ? Double.NaN : sum / ok,
                    results.size() - ok, (System.nanoTime() - t0) / 1e9, jobSeconds,
                    shards.stream().mapToDouble(ShardResult::buildSeconds).sum(),
                    shards.stream().mapToDouble(ShardResult::evalSeconds).sum(), runner.slots(), front == null ? 0 : front.size(),
                    hypervolume);
            state = state.next(g, optimizer.state(), best, stats, stop, front, frame);
            lease.verify();
            store.writeCheckpoint(state);
            listener.afterCheckpoint(g);
            double elapsed = (System.nanoTime() - started) / 1e9;
            int done = g - resumed.map(RunState::generation).orElse(0);
            double eta = elapsed / done * (total - g);
            String progress = values == null
                    ? String.format(Locale.ROOT, "best %.4f  mean %.4f  best so far %.4f", genBest, stats.mean(),
                            best == null ? Double.NaN : best.fitness())
                    : String.format(Locale.ROOT, "front %d members, hypervolume %.4f  mean fitness %.4f", stats.frontSize(),
                            hypervolume, stats.mean());
            out.printf(Locale.ROOT, "generation %d/%d: %s%s  (%.1f s, elapsed %.0f s, ETA %.0f s)%n", g, total, progress,
                    stats.failed() > 0 ? "  failed " + stats.failed() : "", stats.seconds(), before + elapsed, eta);
            if (stop != null) {
                out.println("the optimizer stopped: " + stop);
            }
        }
        return finish(state, genome, optimizer, lease);
    }

    /** A candidate's objective values in their own units (NaN each when it failed). */
    private double[] objectiveValues(CandidateResult r) {
        double[] v = new double[run.objectives().size()];
        if (r.failed()) {
            java.util.Arrays.fill(v, Double.NaN);
            return v;
        }
        java.util.Map<String, Double> props = properties.of(r.spec().recipe(), run.objectives());
        for (int i = 0; i < v.length; i++) {
            v[i] = run.objectives().get(i).value(r.metrics(), props);
        }
        return v;
    }

    /** The values as the optimizer is told them: higher is better. */
    private double[] told(double[] values) {
        double[] t = new double[values.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = run.objectives().get(i).told(values[i]);
        }
        return t;
    }

    private List<Pareto> pareto(List<double[]> values, TellReport told) {
        List<Pareto> out = new ArrayList<>();
        for (int c = 0; c < values.size(); c++) {
            out.add(new Pareto(ParetoFront.named(run.objectives(), values.get(c)), told.paretoRank()[c], told.crowdingDistance()[c]));
        }
        return out;
    }

    /**
     * A multi-objective run's end: the front as a table ({@code front/}) and as recipe files any
     * member can be merged from ({@code front-recipes/}), and the parents, the untuned merges and
     * the compared models scored on the fitness split, so the picture places them beside the
     * front on the same axes.
     */
    private ParetoFront.Summary placeOnFront(RunState state, List<CandidateSpec> others, RunLease lease) {
        ParetoFront.Choice choice = ParetoFront.choose(state.front(), run.objectives(), run.choose());
        lease.verify();
        sink.writeFront(state.front(), choice.index());
        for (ParetoFront.Member m : state.front()) {
            store.write(ParetoFront.recipeFile(m), m.recipe().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        List<CandidateResult> scored = score(others, false, "front: " + others.size() + " models on the fitness split");
        List<ParetoFront.Placed> placed = scored.stream().map(r -> new ParetoFront.Placed(r.spec().label(), objectiveValues(r))).toList();
        return new ParetoFront.Summary(state.front(), choice, placed);
    }

    /** One job scoring {@code specs} on every shard of the test set (or the fitness set): their results, in spec order. */
    private List<CandidateResult> score(List<CandidateSpec> specs, boolean testSet, String description) {
        dev.evomerge.eval.EvalSet set = testSet ? run.test() : run.fitness();
        List<EvalTask> tasks = new ArrayList<>();
        for (int c = 0; c < specs.size(); c++) {
            for (int s = 0; s < set.shards(); s++) {
                tasks.add(new EvalTask(0, c, s, specs.get(c), testSet));
            }
        }
        return CandidateResult.reduceAll(set, runner.run(description, tasks), null);
    }

    private Outcome finish(RunState state, Genome genome, Optimizer optimizer, RunLease lease) {
        if (store.exists("report.md")) {
            out.println("run " + run.runId() + " is complete: " + store.location("report.md"));
            return new Outcome(state, List.of(), store.readString("report.md"));
        }
        if (state.best() == null) {
            throw new IllegalStateException("run " + run.runId() + ": no candidate could be evaluated; see the error column of "
                    + store.location("candidates"));
        }
        Recipe bestRecipe = Recipe.parse(store.location("checkpoint/") + " (best recipe)", state.best().recipe());
        String best = store.location("best");
        if (!storage.isComplete(best)) {
            lease.verify();
            storage.delete(best); // what an interrupted end of run left: merged again, never kept half
            out.println(MergeRun.run(bestRecipe, best, storage, cache));
        }
        List<CandidateSpec> specs = new ArrayList<>();
        if (run.baseModel() != null) {
            specs.add(CandidateSpec.asIs("base " + run.label(run.baseModel()), run.baseModel()));
        }
        run.models().forEach(m -> specs.add(CandidateSpec.asIs(run.label(m), m)));
        genome.baselines().forEach((label, recipe) -> specs.add(new CandidateSpec(label, recipe)));
        run.compare().forEach(m -> specs.add(CandidateSpec.asIs(run.label(m), m)));
        ParetoFront.Summary front = run.isMultiObjective() ? placeOnFront(state, List.copyOf(specs), lease) : null;
        // The evolved row is best/ as written, the model users take away. The search scored the
        // merge in memory in the device's precision (float32 on a CPU, float16 on a GPU); a best/
        // in another dtype (the base's bfloat16, say) is rounded differently, so that row is shown too.
        String evolved = "evolved (generation " + state.best().generation() + ", candidate " + state.best().candidate() + ")";
        DType written = CheckpointHeaders.read(storage, best).tensors().values().iterator().next().dtype();
        if (written != DType.F32) {
            specs.add(new CandidateSpec(evolved + " in memory, as searched", bestRecipe));
            evolved += " best/ " + written.torchName();
        }
        specs.add(CandidateSpec.asIs(evolved, best));
        List<CandidateResult> test = score(specs, true, "test: " + specs.size() + " models x " + run.test().shards() + " shards");
        lease.verify();
        sink.writeTest(test);
        Report report = new Report(run, genome, state, optimizer.populationSize(), test, front);
        store.write("fitness.png", FitnessCurve.png(state.history()));
        if (front != null) {
            store.write("front.png", FrontPicture.png(front, run.objectives()));
            store.write("hypervolume.png", FitnessCurve.hypervolume(state.history()));
        }
        if (genome instanceof DataFlowGenome dfs && bestRecipe instanceof LayerPathMerge path) {
            store.write("path.png", PathPicture.png(path.path(), dfs.layers()));
        }
        String markdown = report.markdown();
        store.write("report.md", markdown.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.println(report.table());
        out.println("report: " + store.location("report.md") + "; best model: " + store.location("best"));
        return new Outcome(state, test, markdown);
    }
}
