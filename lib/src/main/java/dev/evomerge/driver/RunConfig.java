package dev.evomerge.driver;

import dev.evomerge.eval.EvalSet;
import dev.evomerge.eval.MgsmTask;
import dev.evomerge.eval.Split;
import dev.evomerge.eval.TaskSpec;
import dev.evomerge.executor.ExecutorSettings;
import dev.evomerge.executor.WorkerSpec;
import dev.evomerge.io.DType;
import dev.evomerge.io.Locations;
import dev.evomerge.io.SafeYaml;
import dev.evomerge.merge.AsIs;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.MergeMethod;
import dev.evomerge.merge.MergeMethods;
import dev.evomerge.merge.Recipe;
import dev.evomerge.merge.TokenizerSpec;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * An evolve run, as the user wrote it in YAML (see the README's "Run config" section): the
 * parents, the merge method and genome layout, the optimizer, the fitness and test sets, where
 * the outputs go and how Spark runs. Parsed and validated in one place; every problem is one line
 * naming the file and the key. Parsing opens no file; it makes every location absolute (a
 * relative path is taken from the config file's folder, {@code location}), so the parsed record
 * means the same on every executor, whatever its working directory. {@code labels} keeps the text
 * each location was written as, for tables people read.
 */
public record RunConfig(String file, String location, String yaml, String runId, String out, String method, String baseModel,
                        List<String> models, DataFlow dataFlow, String dtype, String tokenizerSource, int layerGranularity, boolean normalize,
                        boolean allowNegativeWeights, String optimizer, int population, int generations, int evaluations,
                        double sigma0, double x0, long seed, boolean separable, List<Objective> objectives, Choose choose,
                        EvalSet fitness, EvalSet test, List<String> compare, List<String> baselines,
                        ExecutorSettings executor, Estimate estimate, int leaseSeconds, String sparkMaster, Map<String, String> sparkConf,
                        Map<String, String> labels) implements Serializable {

    /** The merge methods whose per-model parameters the genome can carry (weight, and density where read). */
    public static final List<String> SEARCHABLE_METHODS = List.of("linear", "task_arithmetic", "ties", "dare_ties",
            "dare_linear", "breadcrumbs", "breadcrumbs_ties");

    /** The optimizers a run can name ({@code optimizer: {name: ...}}, or just {@code optimizer: nsga2}). */
    public static final String CMA_ES = "cma-es";
    public static final String NSGA2 = "nsga2";

    /** Why an evolve run takes no union tokenizer: its candidates are scored in memory, with a tokenizer that exists. */
    static final String UNION_IN_MEMORY = "union builds a new tokenizer when a merge is written (scripts/merge); an evolve run "
            + "scores its candidates in memory with an existing one: give base or a model's location";

    /** The method name of a data-flow-space merge: {@code merge: {method: dfs, pool: [...]}}. */
    public static final String DATA_FLOW = "dfs";

    /**
     * A data-flow-space search (Akiba et al. 2024, section 3.2): a pool of models (locations, or
     * inline parameter-space recipes: PS+DFS), which of them is model A (embeddings, head,
     * tokenizer; its first and last layers fixed), how often the pool's layer sequence repeats
     * (r), and how the scales of the hidden state are parametrized.
     */
    public record DataFlow(List<Recipe> pool, int anchor, int repeats, String scales) implements Serializable {
        /** {@code matrix}: the paper's W, one scale per (from layer, to layer) pair; {@code slot}: one per slot; {@code none}: all 1. */
        public static final List<String> SCALES = List.of("matrix", "slot", "none");
    }

    /**
     * What the dry run's time estimate assumes of a cluster's executors, each null for the default
     * ({@link Throughput}): the device's sustained TFLOP/s, its memory bandwidth and host link in
     * GB/s, and how many executors (GPUs) run tasks at once.
     */
    public record Estimate(Double deviceTflops, Double deviceBandwidthGbps, Double hostToDeviceGbps, Integer executors)
            implements Serializable {
        static final Estimate NONE = new Estimate(null, null, null, null);
    }

    /**
     * Which front member a multi-objective run writes as {@code best/}: the knee ({@code best}
     * null), or the best on objective {@code best} among members within the bounds {@code within}
     * (objective name to the worst value allowed).
     */
    public record Choose(String best, Map<String, Double> within) implements Serializable {
        public static final Choose KNEE = new Choose(null, Map.of());

        @Override
        public String toString() {
            return best == null ? "knee" : "best " + best + (within.isEmpty() ? "" : " within " + within);
        }
    }

    public static RunConfig read(Path path) {
        try {
            return parse(path.toString(), Files.readString(path));
        } catch (IOException e) {
            throw new IllegalArgumentException(path + ": cannot read run config: " + e.getMessage());
        }
    }

    /**
     * Parses the config {@code file} (a path or URI as the user named it; relative paths are taken
     * against the working directory) whose text is {@code yaml}.
     */
    public static RunConfig parse(String file, String yaml) {
        String location = Locations.absolute(file);
        ConfigNode root = new ConfigNode(file, location, SafeYaml.tree(file, yaml))
                .onlyKeys("run_id", "out", "merge", "genome", "optimizer", "objectives", "fitness", "test", "compare", "device",
                        "candidate_cache", "candidate_build", "device_memory_gb", "estimate", "lease_seconds", "spark");
        String defaultId = new org.apache.hadoop.fs.Path(location).getName().replaceFirst("\\.ya?ml$", "");
        String runId = root.string("run_id", defaultId);
        if (!runId.matches("[A-Za-z0-9._-]+")) {
            throw root.error("run_id", "use letters, digits, '.', '_' and '-' only, got '" + runId + "'");
        }
        // Without out: runs/<run_id> in the working directory, as --out DIR is.
        String out = root.has("out") ? root.location("out") : Locations.absolute("runs/" + runId);

        ConfigNode merge = root.child("merge");
        String method = merge.string("method", "dare_ties");
        ConfigNode genome = root.child("genome");
        if (method.equals(DATA_FLOW)) {
            merge.onlyKeys("method", "pool", "anchor", "repeats", "scales");
            if (root.has("genome")) {
                throw root.error("genome", "a data-flow merge's genome is laid out by merge: pool, repeats and scales");
            }
            List<Recipe> pool = merge.recipes("pool");
            if (pool.size() < 2) {
                throw merge.error("pool", "a data-flow merge searches paths through the layers of at least two models; "
                        + "a pool of one is that model");
            }
            for (int i = 0; i < pool.size(); i++) {
                if (pool.get(i) instanceof MergeConfig cfg && TokenizerSpec.UNION.equals(cfg.tokenizerSource())) {
                    throw merge.error("pool[" + i + "].tokenizer", UNION_IN_MEMORY);
                }
            }
            if (pool.size() != pool.stream().distinct().count()) {
                throw merge.error("pool", "lists a model twice");
            }
            int anchor = merge.integer("anchor", 0, 0);
            if (anchor >= pool.size()) {
                throw merge.error("anchor", anchor + " is not a pool index (0.." + (pool.size() - 1) + ")");
            }
            int repeats = merge.integer("repeats", 3, 1);
            String scales = merge.string("scales", "matrix");
            if (!DataFlow.SCALES.contains(scales)) {
                throw merge.error("scales", "'" + scales + "' is not a parametrization (" + String.join(", ", DataFlow.SCALES) + ")");
            }
            List<String> plain = pool.stream().filter(r -> r instanceof AsIs).map(r -> ((AsIs) r).location()).toList();
            return finish(file, location, yaml, root, runId, out, method, null, plain, new DataFlow(List.copyOf(pool), anchor,
                    repeats, scales), null, null, 0, false, false, List.of());
        }
        merge.onlyKeys("method", "base_model", "models", "dtype", "tokenizer_source", "baselines");
        if (!SEARCHABLE_METHODS.contains(method)) {
            throw merge.error("method", "'" + method + "' cannot be searched; use one of " + String.join(", ", SEARCHABLE_METHODS)
                    + ", or " + DATA_FLOW + " (a layer path)");
        }
        MergeMethod m = MergeMethods.byName(method);
        String base = merge.has("base_model") ? merge.location("base_model") : null;
        if (m.needsBase() && base == null) {
            throw merge.error("base_model", "missing; " + method + " merges differences from a base model");
        }
        List<String> models = merge.locations("models");
        if (models.size() != models.stream().distinct().count()) {
            throw merge.error("models", "lists a model twice");
        }
        if (base != null && models.contains(base)) {
            throw merge.error("models", "lists the base model " + merge.written(base) + "; the base is given by base_model only");
        }
        String dtype = merge.optionalString("dtype");
        if (dtype != null) {
            try {
                DType.fromTorchName(dtype);
            } catch (IllegalArgumentException e) {
                throw merge.error("dtype", e.getMessage());
            }
        }
        if (TokenizerSpec.UNION.equals(merge.optionalString("tokenizer_source"))) {
            throw merge.error("tokenizer_source", UNION_IN_MEMORY);
        }
        String tokenizerSource = !merge.has("tokenizer_source") ? null
                : merge.string("tokenizer_source", null).equals("base") ? "base" : merge.location("tokenizer_source");

        List<String> baselines = merge.has("baselines") ? merge.strings("baselines") : List.of("linear");
        for (int i = 0; i < baselines.size(); i++) {
            String b = baselines.get(i);
            if (!SEARCHABLE_METHODS.contains(b)) {
                throw merge.error("baselines[" + i + "]", "'" + b + "' is not a method a baseline can use ("
                        + String.join(", ", SEARCHABLE_METHODS) + ")");
            }
            if (MergeMethods.byName(b).needsBase() && base == null) {
                throw merge.error("baselines[" + i + "]", b + " merges differences from a base model; the run has no base_model");
            }
        }

        genome.onlyKeys("layer_granularity", "normalize", "allow_negative_weights");
        int granularity = genome.integer("layer_granularity", 0, 0);
        // mergekit-evolve's default: normalize the weights for the methods that weigh models against each other.
        boolean normalize = genome.bool("normalize", List.of("linear", "ties", "dare_ties").contains(method));
        boolean negative = genome.bool("allow_negative_weights", false);
        return finish(file, location, yaml, root, runId, out, method, base, List.copyOf(models), null, dtype, tokenizerSource,
                granularity, normalize, negative, List.copyOf(baselines));
    }

    /** The optimizer, the objectives, the evaluation sets and Spark, the same for every kind of merge. */
    private static RunConfig finish(String file, String location, String yaml, ConfigNode root, String runId, String out,
                                    String method, String base, List<String> models, DataFlow dataFlow, String dtype,
                                    String tokenizerSource, int granularity, boolean normalize, boolean negative,
                                    List<String> baselines) {
        // optimizer: nsga2 is short for optimizer: {name: nsga2} with every default
        String optimizer = root.text("optimizer");
        ConfigNode opt = optimizer != null ? root.empty("optimizer") : root.child("optimizer");
        optimizer = optimizer != null ? optimizer : opt.string("name", CMA_ES);
        boolean nsga2 = optimizer.equals(NSGA2);
        if (nsga2) {
            opt.onlyKeys("name", "population", "generations", "evaluations", "x0", "seed", "choose");
        } else if (optimizer.equals(CMA_ES)) {
            opt.onlyKeys("name", "population", "generations", "evaluations", "sigma0", "x0", "seed", "separable");
        } else {
            throw opt.error("name", "unknown optimizer '" + optimizer + "' (" + CMA_ES + ", " + NSGA2 + ")");
        }
        if (opt.has("generations") && opt.has("evaluations") || !nsga2 && !opt.has("generations") && !opt.has("evaluations")) {
            throw opt.error("generations", "give exactly one of generations or evaluations (the budget)");
        }
        // NSGA-II's defaults are sized for the 2-core build machine: 16 candidates, 10 generations
        int population = opt.integer("population", nsga2 ? 16 : 0, nsga2 ? 4 : 2);
        if (nsga2 && population % 2 != 0) {
            throw opt.error("population", "NSGA-II makes offspring in pairs: give an even population, got " + population);
        }
        int generations = opt.integer("generations", nsga2 && !opt.has("evaluations") ? 10 : 0, 1);
        int evaluations = opt.integer("evaluations", 0, 1);
        // The paper's Optuna setup: every gene starts at 0.5 with step size 1/6, inside [0, 1].
        double sigma0 = opt.number("sigma0", 1.0 / 6, 1e-12, 10);
        double x0 = opt.number("x0", 0.5, 0, 1);
        long seed = opt.longValue("seed", 0);
        boolean separable = opt.bool("separable", false);

        EvalSet fitness = evalSet(root.child("fitness"), null);
        EvalSet test = root.has("test") ? evalSet(root.child("test"), fitness) : fitness;
        List<Objective> objectives = objectives(root, fitness, nsga2);
        Choose choose = nsga2 ? choose(opt, objectives) : null;
        List<String> compare = root.has("compare") ? root.locations("compare") : List.of();
        String device = root.string("device", "auto");
        if (!device.matches("auto|cpu|gpu(:\\d+)?")) {
            throw root.error("device", "must be auto, cpu, gpu or gpu:N, got '" + device + "'");
        }
        int candidateCache = root.integer("candidate_cache", 2, 1);
        String build = root.string("candidate_build", ExecutorSettings.AUTO);
        if (!List.of(ExecutorSettings.AUTO, ExecutorSettings.JAVA, ExecutorSettings.DEVICE).contains(build)) {
            throw root.error("candidate_build", "must be auto, java or device, got '" + build + "'");
        }
        double deviceMemory = root.number("device_memory_gb", 0.0, 0.0, 1e6); // 0: the GPU's own size
        ExecutorSettings executor = new ExecutorSettings(device, candidateCache, build, deviceMemory);
        Estimate estimate = Estimate.NONE;
        if (root.has("estimate")) {
            ConfigNode e = root.child("estimate").onlyKeys("device_tflops", "device_bandwidth_gbps", "host_to_device_gbps", "executors");
            estimate = new Estimate(e.has("device_tflops") ? e.number("device_tflops", 0, 1e-3, 1e6) : null,
                    e.has("device_bandwidth_gbps") ? e.number("device_bandwidth_gbps", 0, 1e-3, 1e6) : null,
                    e.has("host_to_device_gbps") ? e.number("host_to_device_gbps", 0, 1e-3, 1e6) : null,
                    e.has("executors") ? e.integer("executors", 1, 1) : null);
        }
        int leaseSeconds = root.integer("lease_seconds", RunLease.DEFAULT_SECONDS, 5);
        ConfigNode spark = root.child("spark").onlyKeys("master", "conf");
        String master = spark.string("master", "local[*]");
        Map<String, String> conf = spark.stringMap("conf");
        return new RunConfig(file, location, yaml, runId, out, method, base, models, dataFlow, dtype, tokenizerSource, granularity,
                normalize, negative, optimizer, population, generations, evaluations, sigma0, x0, seed, separable, objectives, choose,
                fitness, test, compare, baselines, executor, estimate, leaseSeconds, master, Map.copyOf(conf), root.labels());
    }

    /**
     * {@code objectives:}, a list of {@code {name, metric | property, direction}}; for NSGA-II
     * without it, one per fitness task (its metric, in the metric's direction). CMA-ES optimizes
     * one scalar, the fitness, and takes none.
     */
    private static List<Objective> objectives(ConfigNode root, EvalSet fitness, boolean nsga2) {
        if (!root.has("objectives")) {
            List<Objective> perTask = !nsga2 ? List.of() : fitness.tasks().stream()
                    .map(t -> new Objective(t.metric(), t.metric(), null, Objective.defaultMaximize(t.metric()))).toList();
            if (nsga2 && perTask.size() < 2) {
                throw root.error("objectives", "NSGA-II searches a trade-off between at least two objectives, and the fitness "
                        + "set has one task; declare objectives (a metric and a property), or use CMA-ES");
            }
            return perTask;
        }
        if (!nsga2) {
            throw root.error("objectives", "CMA-ES optimizes one scalar, the fitness (the mean over the fitness tasks); "
                    + "several objectives need optimizer: nsga2");
        }
        List<String> metrics = fitness.tasks().stream().map(TaskSpec::metric).toList();
        List<Objective> out = new ArrayList<>();
        for (ConfigNode o : root.mappings("objectives")) {
            o.onlyKeys("name", "metric", "property", "direction");
            if (o.has("metric") == o.has("property")) {
                throw o.error("metric", "give exactly one of metric (a fitness task's: " + String.join(", ", metrics)
                        + ") or property (" + String.join(", ", Objective.PROPERTIES) + ")");
            }
            String metric = o.optionalString("metric");
            String property = o.optionalString("property");
            if (metric != null && !metrics.contains(metric)) {
                throw o.error("metric", "'" + metric + "' is not a metric of the fitness tasks (" + String.join(", ", metrics) + ")");
            }
            if (property != null && !Objective.PROPERTIES.contains(property)) {
                throw o.error("property", "'" + property + "' is not a candidate property (" + String.join(", ", Objective.PROPERTIES) + ")");
            }
            String source = metric != null ? metric : property;
            String direction = o.string("direction", Objective.defaultMaximize(source) ? "maximize" : "minimize");
            if (!direction.equals("maximize") && !direction.equals("minimize")) {
                throw o.error("direction", "must be minimize or maximize, got '" + direction + "'");
            }
            String name = o.string("name", source);
            if (out.stream().anyMatch(x -> x.name().equals(name))) {
                throw o.error("name", "'" + name + "' names two objectives");
            }
            out.add(new Objective(name, metric, property, direction.equals("maximize")));
        }
        if (out.size() < 2) {
            throw root.error("objectives", "NSGA-II searches a trade-off between at least two objectives; for one, use CMA-ES");
        }
        return List.copyOf(out);
    }

    /** {@code optimizer.choose}: {@code knee} (the default) or {@code {best: NAME, within: {NAME: BOUND, ...}}}. */
    private static Choose choose(ConfigNode opt, List<Objective> objectives) {
        String text = opt.text("choose");
        if (!opt.has("choose") || "knee".equals(text)) {
            return Choose.KNEE;
        }
        if (text != null) {
            throw opt.error("choose", "must be knee or {best: OBJECTIVE, within: {OBJECTIVE: BOUND}}, got '" + text + "'");
        }
        ConfigNode c = opt.child("choose").onlyKeys("best", "within");
        List<String> names = objectives.stream().map(Objective::name).toList();
        String best = c.string("best", null);
        if (!names.contains(best)) {
            throw c.error("best", "'" + best + "' is not an objective (" + String.join(", ", names) + ")");
        }
        Map<String, Double> within = new java.util.LinkedHashMap<>();
        c.stringMap("within").forEach((k, v) -> {
            if (!names.contains(k)) {
                throw c.error("within." + k, "not an objective (" + String.join(", ", names) + ")");
            }
            try {
                within.put(k, Double.parseDouble(v));
            } catch (NumberFormatException e) {
                throw c.error("within." + k, "must be a number, got '" + v + "'");
            }
        });
        return new Choose(best, Map.copyOf(within));
    }

    public boolean isMultiObjective() {
        return optimizer.equals(NSGA2);
    }

    /** An evaluation set section ({@code tasks}, {@code shards}, {@code batch_size}), {@code defaults} for what it leaves out. */
    public static EvalSet evalSet(ConfigNode node, EvalSet defaults) {
        node.onlyKeys("tasks", "shards", "batch_size");
        int shards = node.integer("shards", defaults != null ? defaults.shards() : 1, 1);
        int batch = node.integer("batch_size", defaults != null ? defaults.batchSize() : 16, 1);
        List<TaskSpec> tasks = new ArrayList<>();
        for (ConfigNode t : node.mappings("tasks")) {
            String task = t.string("task", null);
            switch (task) {
                // A key that does not apply is refused, not ignored: it says the user expects something that will not happen.
                case "likelihood" -> t.onlyKeys("name", "task", "data", "split");
                case "mgsm" -> t.onlyKeys("name", "task", "data", "split", "lang", "template", "max_new_tokens");
                case "vqa" -> t.onlyKeys("name", "task", "data", "split", "template", "max_new_tokens");
                default -> throw t.error("task", "unknown task '" + task + "' (mgsm, likelihood, vqa)");
            }
            String data = t.location("data");
            String name = t.string("name", new org.apache.hadoop.fs.Path(data).getName().replaceFirst("\\.[A-Za-z]+$", ""));
            String split = t.string("split", "all");
            try {
                Split.parse(split);
            } catch (IllegalArgumentException e) {
                throw t.error("split", e.getMessage());
            }
            String lang = task.equals("mgsm") ? t.string("lang", null) : null;
            if (lang != null && !MgsmTask.LANGUAGES.contains(lang)) {
                throw t.error("lang", "unknown MGSM language '" + lang + "' (" + String.join(", ", MgsmTask.LANGUAGES) + ")");
            }
            TaskSpec spec = new TaskSpec(name, task, data, split, lang, t.optionalString("template"),
                    t.integer("max_new_tokens", 256, 1));
            try {
                spec.toTask();
            } catch (IllegalArgumentException e) {
                throw t.error("template", e.getMessage());
            }
            if (tasks.stream().anyMatch(o -> o.name().equals(name))) {
                throw t.error("name", "'" + name + "' is used by two tasks; name them apart");
            }
            tasks.add(spec);
        }
        return new EvalSet(List.copyOf(tasks), shards, batch);
    }

    /** Identifies the run's config: a resumed run must have been started by the same one. */
    public String sha256() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(yaml.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Every checkpoint the run reads: the base first (when there is one), then the models; for a
     * data-flow merge, the pool's checkpoints and those its inline recipes merge, once each.
     */
    public List<String> parents() {
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>();
        if (baseModel != null) {
            all.add(baseModel);
        }
        all.addAll(models);
        if (dataFlow != null) {
            dataFlow.pool().stream().filter(r -> r instanceof MergeConfig).forEach(r -> all.addAll(((MergeConfig) r).locations()));
        }
        return List.copyOf(all);
    }

    public boolean isDataFlow() {
        return dataFlow != null;
    }

    /** The same run writing to {@code dir} ({@code --out}; a relative path against the working directory). */
    public RunConfig withOut(String dir) {
        return new RunConfig(file, location, yaml, runId, Locations.absolute(dir), method, baseModel, models, dataFlow, dtype,
                tokenizerSource,
                layerGranularity, normalize, allowNegativeWeights, optimizer, population, generations, evaluations, sigma0, x0, seed,
                separable, objectives, choose, fitness, test, compare, baselines, executor, estimate, leaseSeconds, sparkMaster,
                sparkConf, labels);
    }

    /** What the executors need of this run (and all they get): the evaluation sets, the device, the cache size. */
    public WorkerSpec workerSpec() {
        return new WorkerSpec(runId + "@" + sha256() + "@" + out, fitness, test, executor);
    }

    /** A location of this config as the user wrote it (for tables people read); the absolute form for any other. */
    public String label(String location) {
        return labels.getOrDefault(location, location);
    }
}
