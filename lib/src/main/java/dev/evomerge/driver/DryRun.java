package dev.evomerge.driver;

import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.EvalSet;
import dev.evomerge.eval.Split;
import dev.evomerge.eval.TaskSpec;
import dev.evomerge.executor.ExecutorSettings;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.CheckpointHeaders;
import dev.evomerge.io.Storage;
import dev.evomerge.io.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --dry-run}: everything that can be checked before GPU hours are spent, without loading a
 * weight. The config is valid; every parent exists and its headers agree with the base's
 * (architecture, layers, widths, vocabulary, every tensor's name and shape); every data file
 * reads and its split is not empty. Then the plan: how many tasks, how big the genome, how much
 * memory an executor needs, how much evaluation a generation is.
 */
public final class DryRun {
    private DryRun() {
    }

    public static String plan(RunConfig run, Storage storage) {
        return plan(run, storage, "local");
    }

    /** The plan for a run on Spark master {@code master} ({@code local[...]}, {@code spark://...}, {@code yarn}, ...). */
    public static String plan(RunConfig run, Storage storage, String master) {
        List<CheckpointHeaders> parents = new ArrayList<>();
        for (String p : run.parents()) {
            parents.add(CheckpointHeaders.read(storage, p));
        }
        CheckpointHeaders reference = parents.get(0);
        if (!run.isDataFlow()) { // a layer path's pool may differ in depth: its genome checks what must agree
            for (CheckpointHeaders h : parents.subList(1, parents.size())) {
                agree(reference, h);
            }
        }
        if (run.tokenizerSource() != null && !run.tokenizerSource().equals("base")) {
            storage.listFiles(run.tokenizerSource()); // exists
        }
        Genome genome = Evolution.genome(run, storage);
        int population = Evolution.optimizer(run, genome).populationSize();
        int generations = Evolution.generations(run, population);
        StringBuilder b = new StringBuilder();
        b.append("config ").append(run.file()).append(": valid; run ").append(run.runId()).append(" -> ").append(run.out()).append('\n');
        RunStore store = new RunStore(storage, run.out());
        store.latest().ifPresent(s -> b.append("  ").append(run.out()).append(store.exists("report.md")
                ? " holds this run, finished: a rerun only reports" : " holds this run: a rerun resumes after generation " + s.generation())
                .append('\n'));
        RunLease.holder(store.fileSystem(), run.out()).ifPresent(h -> b.append("  the run is held by a live ").append(h)
                .append(": a second driver waits for it to end, then gives up\n"));
        nodeLocalPaths(run, master).ifPresent(b::append);
        b.append("parents (headers only, no weights read):\n");
        for (CheckpointHeaders h : parents) {
            b.append(String.format(Locale.ROOT, "  %s: %s, %d layers, hidden %d, vocab %d, %,d parameters, %s%n", h.location(),
                    h.config().modelType(), h.config().numHiddenLayers(), h.config().hiddenSize(), h.config().vocabSize(),
                    h.parameters(), bytes(h.weightBytes())));
        }
        b.append(String.format(Locale.ROOT, "genome: %s; merge method %s%n", genome.describe(), run.method()));
        if (run.isMultiObjective()) {
            b.append(String.format(Locale.ROOT, "optimizer: NSGA-II, population %d, %d generation(s) = %d candidates, seed %d; best/ = %s%n",
                    population, generations, population * generations, run.seed(), run.choose()));
            run.objectives().forEach(o -> b.append("  objective ").append(o.name()).append(": ").append(o.direction()).append(' ')
                    .append(o.source()).append('\n'));
        } else {
            b.append(String.format(Locale.ROOT, "optimizer: CMA-ES%s, population %d, %d generation(s) = %d candidates, sigma0 %.4g, x0 %.3g, seed %d%n",
                    run.separable() ? " (separable)" : "", population, generations, population * generations, run.sigma0(), run.x0(),
                    run.seed()));
        }
        Map<TaskSpec, List<EvalItem>> items = new java.util.HashMap<>();
        int fitnessItems = describe(b, run.file(), "fitness", run.fitness(), storage, items);
        int testItems = describe(b, run.file(), "test", run.test(), storage, items);
        int tasksPerGeneration = population * run.fitness().shards();
        b.append(String.format(Locale.ROOT, "tasks: %d generation(s) x %d candidates x %d shards = %d tasks (%d per generation)%n",
                generations, population, run.fitness().shards(), generations * tasksPerGeneration, tasksPerGeneration));
        b.append(String.format(Locale.ROOT, "evaluation per generation: %d candidates x %d items = %,d item evaluations%s%n",
                population, fitnessItems, (long) population * fitnessItems,
                run.fitness().tasks().stream().anyMatch(t -> !t.isLikelihood()) ? " (generation: up to max_new_tokens each)" : ""));
        int testModels = (run.baseModel() != null ? 1 : 0) + run.models().size() + genome.baselines().size() + run.compare().size() + 1;
        b.append(String.format(Locale.ROOT, "end of run: %s best/, then %d models x %d test items%n",
                run.isDataFlow() ? "write the path as" : "merge", testModels, testItems));
        long parentBytes = parents.stream().mapToLong(CheckpointHeaders::weightBytes).sum();
        long params = reference.parameters();
        long largest = reference.tensors().values().stream().mapToLong(TensorInfo::numel).max().orElse(0);
        long scratch = largest * 4 * (run.parents().size() + 2);
        b.append(String.format(Locale.ROOT, "memory per executor: parents %s (memory-mapped, page cache), one candidate %s on a GPU "
                        + "(float16) or %s on a CPU (float32), merge scratch %s; candidate_cache %d%n", bytes(parentBytes),
                bytes(params * 2), bytes(params * 4), bytes(scratch), run.executor().candidateCache()));
        // An executor keeps up to candidate_cache built candidates for its other shards: that, and the scratch of the
        // merge in progress, is its peak beside the page cache (the 1B rehearsal measured it within 5%, BENCHMARKS.md).
        b.append(String.format(Locale.ROOT, "  peak per executor: candidate_cache x candidate + merge scratch = %s on a GPU, %s on a CPU "
                        + "(besides the parents' pages, which the OS may evict)%n",
                bytes(run.executor().candidateCache() * params * 2 + scratch), bytes(run.executor().candidateCache() * params * 4 + scratch)));
        boolean gpu = run.executor().device().startsWith("gpu") || run.executor().device().equals("auto") && !master.startsWith("local");
        if (!run.isDataFlow()) {
            b.append(devicePlan(run, parents, params, largest, gpu));
        }
        if (run.isDataFlow()) {
            long poolParameters = parents.stream().mapToLong(CheckpointHeaders::parameters).sum();
            b.append(String.format(Locale.ROOT, "  a data-flow run keeps the pool's layers on the device for the whole run: up to %s "
                    + "(float16) or %s (float32); a candidate is a path over them and costs no weights%n",
                    bytes(poolParameters * 2), bytes(poolParameters * 4)));
        }
        b.append(timePlan(run, reference, items, master, gpu, population, generations, testModels));
        return b.toString();
    }

    /** Cards the plan sizes a device build for when the run config gives no device_memory_gb: 80 GB (A100, H100) and 141 GB (H200). */
    static final double[] CARDS_GB = {80, 141};

    /**
     * Candidates built on a GPU from resident parents (candidate_build device, or auto on a GPU):
     * the parents in float16, the cached candidates and a merge step's scratch, against the
     * card(s), with what spills (uploaded from host memory for every candidate) where they do not fit.
     */
    static String devicePlan(RunConfig run, List<CheckpointHeaders> parents, long params, long largest, boolean gpu) {
        long resident = parents.stream().mapToLong(CheckpointHeaders::parameters).sum() * 2;
        long candidates = run.executor().candidateCache() * params * 2;
        long scratch = ExecutorSettings.stepScratch(largest, parents.size());
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "candidates built on a GPU (candidate_build %s%s): parents "
                        + "resident in float16 %s + candidate_cache x candidate %s + step scratch %s = %s%n",
                run.executor().candidateBuild(), run.executor().buildsOnDevice(gpu) ? ", this run" : "; this run builds in Java",
                bytes(resident), bytes(candidates), bytes(scratch), bytes(resident + candidates + scratch)));
        double[] cards = run.executor().deviceMemoryGb() > 0 ? new double[] {run.executor().deviceMemoryGb()} : CARDS_GB;
        for (double gb : cards) {
            long room = run.executor().parentRoom((long) (gb * 1e9), params, 2, largest, parents.size()); // as the executor budgets
            b.append(String.format(Locale.ROOT, "  on a card of %.0f GB: ", gb));
            if (room >= resident) {
                b.append("fits, ").append(bytes(room - resident)).append(" to spare beside a tenth for activations\n");
            } else if (room <= 0) {
                b.append("the candidates and scratch alone do not fit: lower candidate_cache\n");
            } else {
                b.append(String.format(Locale.ROOT, "%s of the parents spill: uploaded for every candidate (~%.1f s at 25 GB/s)%n",
                        bytes(resident - room), (resident - room) / 25e9));
            }
        }
        return b.toString();
    }

    /** The time estimate: figures measured here for CPU executors, assumed (or the config's) for GPUs. */
    private static String timePlan(RunConfig run, CheckpointHeaders reference, Map<TaskSpec, List<EvalItem>> items, String master,
                                   boolean gpu, int population, int generations, int testModels) {
        int models = Math.max(1, run.models().size());
        TimeEstimate.Tokens fitness = TimeEstimate.tokens(run.fitness(), items, reference);
        TimeEstimate.Tokens test = run.test().equals(run.fitness()) ? fitness : TimeEstimate.tokens(run.test(), items, reference);
        Calibration key = new Calibration(run.isDataFlow() ? "linear" : run.method(), models,
                reference.tensors().values().stream().max(java.util.Comparator.comparingLong(TensorInfo::numel))
                        .map(TensorInfo::dtype).orElse(dev.evomerge.io.DType.F32), reference.location(), fitness.rowsPerBatch());
        Throughput host = CALIBRATIONS.computeIfAbsent(key, k -> Throughput.measure(
                dev.evomerge.merge.MergeMethods.byName(k.method()), k.models(), k.dtype(), reference.config(), k.rows()));
        RunConfig.Estimate e = run.estimate();
        Throughput t = (gpu ? Throughput.assumedGpu(host) : host).with(e.deviceTflops(), e.deviceBandwidthGbps(), e.hostToDeviceGbps());
        Integer executors = master.startsWith("local") ? Integer.valueOf(1) : e.executors() != null ? e.executors()
                : run.sparkConf().containsKey("spark.executor.instances") ? Integer.valueOf(run.sparkConf().get("spark.executor.instances"))
                : null;
        TimeEstimate.Costs c = TimeEstimate.costs(run, reference, fitness, test, t, gpu, executors == null ? 1 : executors);
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "time (an estimate; %s: Java build %.1f ns/parameter, "
                        + "forward %.3g TFLOP/s, memory %.3g GB/s):%n", t.source(), t.javaBuildSeconds() * 1e9, t.flops() / 1e12,
                t.bandwidth() / 1e9));
        b.append(String.format(Locale.ROOT, "  build a candidate: %s (%s)%n", TimeEstimate.duration(c.build()), c.buildHow()));
        b.append(String.format(Locale.ROOT, "  score a candidate: %s on the fitness split, %s on the test split (one executor)%n",
                TimeEstimate.duration(c.fitness()), TimeEstimate.duration(c.test())));
        double generation = c.generation(population, run.fitness().shards());
        double end = c.build() + testModels * c.test() / c.executors(); // best/ merged (as a build) and written, then the tests
        b.append(String.format(Locale.ROOT, "  a generation: %s on %s; the run: %d x that + end of run %s = %s%n",
                TimeEstimate.duration(generation), executors == null ? "1 executor (give estimate: {executors: N} or "
                        + "spark.executor.instances for more)" : executors + " executor(s)", generations, TimeEstimate.duration(end),
                TimeEstimate.duration(generations * generation + end)));
        if (reference.parameters() < 50_000_000L) {
            b.append("  (a model this small is bound by per-operation and per-task overheads, not arithmetic: "
                    + "the estimate is a floor)\n");
        }
        return b.toString();
    }

    /** What a calibration depends on: the method and its inputs, the model (its shapes), the rows of a batch. */
    private record Calibration(String method, int models, dev.evomerge.io.DType dtype, String model, long rows) {
    }

    /** Calibrations made in this JVM: a second dry run (a test, a notebook) reuses them. */
    private static final Map<Calibration, Throughput> CALIBRATIONS = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * On a cluster, {@code file:} locations are read by the executors on their own machines (and
     * {@code out} written there): they must be the same path on every node (a shared mount).
     */
    static java.util.Optional<String> nodeLocalPaths(RunConfig run, String master) {
        if (master.startsWith("local")) {
            return java.util.Optional.empty();
        }
        List<String> local = new ArrayList<>();
        local.addAll(run.parents());
        run.fitness().tasks().forEach(t -> local.add(t.data()));
        run.test().tasks().forEach(t -> local.add(t.data()));
        local.add(run.out());
        List<String> onDisk = local.stream().distinct().filter(dev.evomerge.io.Storage::isLocal).toList();
        if (onDisk.isEmpty()) {
            return java.util.Optional.empty();
        }
        StringBuilder b = new StringBuilder("on " + master + " these local paths must exist at the same place on every node"
                + " (a shared mount), or use hdfs:// or s3a://:\n");
        onDisk.forEach(p -> b.append("  ").append(p).append('\n'));
        return java.util.Optional.of(b.toString());
    }

    private static int describe(StringBuilder b, String file, String what, EvalSet set, Storage storage,
                                Map<TaskSpec, List<EvalItem>> items) {
        int total = 0;
        for (TaskSpec t : set.tasks()) {
            List<EvalItem> all = Datasets.read(storage, t.data());
            List<EvalItem> selected = Split.parse(t.split()).select(all);
            items.put(t, selected);
            int n = selected.size();
            if (n < set.shards()) {
                throw new RunConfigException(file, what + ".tasks[" + t.name() + "].split", "'" + t.split() + "' selects " + n
                        + " items of " + t.data() + ", fewer than the " + set.shards() + " shards");
            }
            b.append(String.format(Locale.ROOT, "%s: %s (%s) on %s %s: %d of %d items, %d shards of ~%d%n", what, t.name(),
                    t.task(), t.data(), t.split(), n, all.size(), set.shards(), n / set.shards()));
            total += n;
        }
        return total;
    }

    /** Parents must be the same architecture with the same tensors, or no merge of them makes sense. */
    static void agree(CheckpointHeaders base, CheckpointHeaders other) {
        base.config().requireSame(base.location(), other.config(), other.location(), "", "model_type", "num_hidden_layers",
                "hidden_size", "intermediate_size", "num_attention_heads", "num_key_value_heads", "vocab_size");
        for (Map.Entry<String, TensorInfo> e : base.tensors().entrySet()) {
            TensorInfo t = other.tensors().get(e.getKey());
            if (t == null) {
                throw new CheckpointException(other.location(), "tensor '" + e.getKey() + "': missing (" + base.location() + " has it)");
            }
            if (!Arrays.equals(t.shape(), e.getValue().shape())) {
                throw new CheckpointException(other.location(), "tensor '" + e.getKey() + "': shape " + t.shapeString()
                        + " but " + base.location() + " has " + e.getValue().shapeString());
            }
        }
    }

    static String bytes(long n) {
        return n >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
    }
}
