package dev.evomerge.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.evomerge.SyntheticCheckpoints;
import dev.evomerge.eval.EvalSet;
import dev.evomerge.eval.TaskSpec;
import dev.evomerge.executor.CandidateSpec;
import dev.evomerge.executor.EvalTask;
import dev.evomerge.executor.ExecutorSettings;
import dev.evomerge.executor.ShardResult;
import dev.evomerge.executor.Worker;
import dev.evomerge.executor.WorkerSpec;
import dev.evomerge.io.AtomicDirectory;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.AsIs;
import dev.evomerge.merge.LayerPathMerge;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.Recipe;
import dev.evomerge.model.KvCache;
import dev.evomerge.model.LayerPath;
import dev.evomerge.model.LayerStore;
import dev.evomerge.model.Transformer;
import dev.evomerge.model.WeightSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code scripts/bench dfs}: what data-flow merging costs on an executor. (1) Building a candidate
 * in the same {@link Worker} the Spark tasks use: a parameter-space one (task arithmetic of two
 * fine-tunes over a base, merged onto the device) against a data-flow one (a path over the pool's
 * layers, resident after the first). (2) A forward pass over a path of depth d through two models'
 * layers against the plain model of d layers (goal: within 10%). Random Llamas of ~20M parameters
 * (dim 512, 8 layers, MLP 1376, vocab 512 with the bundled tokenizer).
 */
public final class DataFlowBenchmark {
    private static final int DIM = 512;
    private static final int LAYERS = 8;

    private DataFlowBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Path root = Path.of(System.getenv().getOrDefault("EVOMERGE_ROOT", "."));
        Path dir = Files.createTempDirectory("evomerge-bench-dfs");
        try {
            List<String> models = new ArrayList<>();
            for (String name : List.of("base", "math", "ja")) {
                Path m = dir.resolve(name);
                SyntheticCheckpoints.write(m, new SyntheticCheckpoints.Spec("llama", DIM, 8, 4, LAYERS, 1376, 512, true, null),
                        name.hashCode(), 0.02, 0.01);
                for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
                    Files.copy(root.resolve("models/stories260K").resolve(f), m.resolve(f));
                }
                models.add(m.toString());
            }
            builds(root, dir, models);
            forward(models);
        } finally {
            AtomicDirectory.deleteRecursively(dir);
        }
    }

    /** Candidate build seconds in one worker: 6 PS candidates (distinct weights), then 6 DFS candidates (distinct paths). */
    private static void builds(Path root, Path dir, List<String> models) {
        TaskSpec task = new TaskSpec("en", "likelihood", root.resolve("data/mgsm/mgsm_en.tsv").toAbsolutePath().toString(), "range:0:2",
                null, null, 16);
        EvalSet set = new EvalSet(List.of(task), 1, 2);
        CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), dir.resolve("cache"));
        SplittableRandom r = new SplittableRandom(3);
        try (Worker worker = new Worker(new WorkerSpec("bench", set, set, new ExecutorSettings("cpu", 1, ExecutorSettings.JAVA, 0)), Storage.withDefaults(), cache)) {
            double[] ps = new double[6];
            double[] dfs = new double[6];
            for (int c = 0; c < ps.length; c++) {
                MergeConfig recipe = MergeConfig.parse("ps", """
                        merge_method: task_arithmetic
                        base_model: %s
                        models:
                          - {model: %s, parameters: {weight: %s}}
                          - {model: %s, parameters: {weight: %s}}
                        """.formatted(models.get(0), models.get(1), r.nextDouble(), models.get(2), r.nextDouble()));
                ps[c] = build(worker, c, recipe);
            }
            for (int c = 0; c < dfs.length; c++) {
                dfs[c] = build(worker, 100 + c, new LayerPathMerge(List.of(new AsIs(models.get(2)), new AsIs(models.get(1))),
                        randomPath(r, LAYERS), null));
            }
            double psSteady = median(Arrays.copyOfRange(ps, 1, ps.length));
            double dfsSteady = median(Arrays.copyOfRange(dfs, 1, dfs.length));
            System.out.printf(Locale.ROOT, "candidate build in one worker (median of 5 after the first): PS (task_arithmetic of 2 over "
                    + "a base) %.1f ms, DFS (a path of depth %d over 2 models) %.2f ms: DFS/PS = %.3f (goal: nearly nothing)%n",
                    psSteady * 1e3, LAYERS, dfsSteady * 1e3, dfsSteady / psSteady);
            System.out.printf(Locale.ROOT, "  first builds: PS %.1f ms (opens the parents), DFS %.1f ms (loads the pool's layers it "
                    + "visits onto the device, once for the run)%n", ps[0] * 1e3, dfs[0] * 1e3);
        }
    }

    private static double build(Worker worker, int candidate, Recipe recipe) {
        ShardResult s = worker.run(new EvalTask(1, candidate, 0, new CandidateSpec("c" + candidate, recipe), false));
        if (s.error() != null) {
            throw new IllegalStateException(s.error());
        }
        return s.buildSeconds();
    }

    /** A path of {@code depth} steps alternating the two models' layers in order, scales in [0.8, 1.2]. */
    private static LayerPath randomPath(SplittableRandom r, int depth) {
        List<LayerPath.Step> steps = new ArrayList<>();
        for (int i = 0; i < depth; i++) {
            steps.add(new LayerPath.Step(i % 2, i, i == 0 ? 1.0 : 0.8 + 0.4 * r.nextDouble()));
        }
        return new LayerPath(steps, 0);
    }

    /** Prefill and decode over a scaled path of depth 8 and a unit-scale one, each against the plain 8-layer model, interleaved. */
    private static void forward(List<String> models) {
        try (Checkpoint a = Checkpoint.open(Path.of(models.get(2))); Checkpoint b = Checkpoint.open(Path.of(models.get(1)));
             Transformer plain = Transformer.load(a, Device.cpu());
             LayerStore store = LayerStore.open(List.of(WeightSource.of(a), WeightSource.of(b)), Device.cpu());
             Transformer scaled = store.transformer(randomPath(new SplittableRandom(5), LAYERS));
             Transformer unit = store.transformer(new LayerPath(randomPath(new SplittableRandom(5), LAYERS).steps().stream()
                     .map(s -> new LayerPath.Step(s.model(), s.layer(), 1.0)).toList(), 0))) {
            for (String what : List.of("prefill 4 x 256", "decode 16 x 64 steps")) {
                boolean prefill = what.startsWith("prefill");
                double[][] t = new double[3][11];
                for (int rep = 0; rep < 14; rep++) { // 3 untimed rounds, then 11 timed; the three models take turns
                    Transformer[] order = {plain, scaled, unit};
                    for (int k = 0; k < 3; k++) {
                        double s = prefill ? prefill(order[k]) : decode(order[k]);
                        if (rep >= 3) {
                            t[k][rep - 3] = s;
                        }
                    }
                }
                double p = median(t[0]);
                System.out.printf(Locale.ROOT, "%-21s plain 8 layers %.1f ms; path of depth 8 through 2 models: scaled %.1f ms = %.3f, "
                        + "unit scales %.1f ms = %.3f of plain (goal <= 1.10)%n", what, p * 1e3, median(t[1]) * 1e3, median(t[1]) / p,
                        median(t[2]) * 1e3, median(t[2]) / p);
            }
        }
    }

    private static double prefill(Transformer model) {
        long[][] ids = new long[4][256];
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < ids[i].length; j++) {
                ids[i][j] = (i * 31 + j * 7) % 512;
            }
        }
        long[][] mask = new long[4][256];
        for (long[] row : mask) {
            Arrays.fill(row, 1);
        }
        long t0 = System.nanoTime();
        try (NDManager m = model.manager().newSubManager(); KvCache cache = new KvCache(m, model.depth(), 4, 256);
             NDScope ignored = new NDScope()) {
            NDArray logits = model.forward(model.tokens(m, ids), Transformer.longs(m, mask), cache, true);
            logits.toFloatArray();
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double decode(Transformer model) {
        int batch = 16;
        long[][] ones = new long[batch][1];
        for (long[] row : ones) {
            row[0] = 1;
        }
        long t0 = System.nanoTime();
        try (NDManager m = model.manager().newSubManager(); KvCache cache = new KvCache(m, model.depth(), batch, 64)) {
            for (int step = 0; step < 64; step++) {
                try (NDScope ignored = new NDScope()) {
                    long[][] ids = new long[batch][1];
                    for (int i = 0; i < batch; i++) {
                        ids[i][0] = (i + step * 13) % 512;
                    }
                    model.forward(model.tokens(m, ids), Transformer.longs(m, ones), cache, true).argMax(-1).toLongArray();
                }
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
