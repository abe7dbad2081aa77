package dev.evomerge.driver;

import dev.evomerge.eval.EvalSet;
import dev.evomerge.eval.MgsmTask;
import dev.evomerge.eval.Split;
import dev.evomerge.eval.TaskSpec;
import dev.evomerge.executor.WorkerSpec;
import dev.evomerge.io.DType;
import dev.evomerge.io.Locations;
import dev.evomerge.io.SafeYaml;
import dev.evomerge.merge.AsIs;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.MergeMethod;
import dev.evomerge.merge.MergeMethods;
import dev.evomerge.merge.Recipe;
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
                        boolean allowNegativeWeights, int population, int generations, int evaluations, double sigma0,
                        double x0, long seed, boolean separable, EvalSet fitness, EvalSet test, String device,
                        int candidateCache, int leaseSeconds, String sparkMaster, Map<String, String> sparkConf,
                        Map<String, String> labels) implements Serializable {

    /** The merge methods whose per-model parameters the genome can carry (weight, and density where read). */
    public static final List<String> SEARCHABLE_METHODS = List.of("linear", "task_arithmetic", "ties", "dare_ties",
            "dare_linear", "breadcrumbs", "breadcrumbs_ties");

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
                .onlyKeys("run_id", "out", "merge", "genome", "optimizer", "fitness", "test", "device", "candidate_cache",
                        "lease_seconds", "spark");
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
        ConfigNode opt = root.child("optimizer").onlyKeys("population", "generations", "evaluations", "sigma0", "x0", "seed",
                "separable");
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
                    repeats, scales), null, null, 0, false, false, opt);
        }
        merge.onlyKeys("method", "base_model", "models", "dtype", "tokenizer_source");
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
        String tokenizerSource = !merge.has("tokenizer_source") ? null
                : merge.string("tokenizer_source", null).equals("base") ? "base" : merge.location("tokenizer_source");

        genome.onlyKeys("layer_granularity", "normalize", "allow_negative_weights");
        int granularity = genome.integer("layer_granularity", 0, 0);
        // mergekit-evolve's default: normalize the weights for the methods that weigh models against each other.
        boolean normalize = genome.bool("normalize", List.of("linear", "ties", "dare_ties").contains(method));
        boolean negative = genome.bool("allow_negative_weights", false);
        return finish(file, location, yaml, root, runId, out, method, base, List.copyOf(models), null, dtype, tokenizerSource,
                granularity, normalize, negative, opt);
    }

    /** The optimizer, the evaluation sets and Spark, the same for every kind of merge. */
    private static RunConfig finish(String file, String location, String yaml, ConfigNode root, String runId, String out,
                                    String method, String base, List<String> models, DataFlow dataFlow, String dtype,
                                    String tokenizerSource, int granularity, boolean normalize, boolean negative, ConfigNode opt) {
        if (opt.has("generations") == opt.has("evaluations")) {
            throw opt.error("generations", "give exactly one of generations or evaluations (the budget)");
        }
        int population = opt.integer("population", 0, 2);
        int generations = opt.integer("generations", 0, 1);
        int evaluations = opt.integer("evaluations", 0, 1);
        // The paper's Optuna setup: every gene starts at 0.5 with step size 1/6, inside [0, 1].
        double sigma0 = opt.number("sigma0", 1.0 / 6, 1e-12, 10);
        double x0 = opt.number("x0", 0.5, 0, 1);
        long seed = opt.longValue("seed", 0);
        boolean separable = opt.bool("separable", false);

        EvalSet fitness = evalSet(root.child("fitness"), null);
        EvalSet test = root.has("test") ? evalSet(root.child("test"), fitness) : fitness;
        String device = root.string("device", "auto");
        if (!device.matches("auto|cpu|gpu(:\\d+)?")) {
            throw root.error("device", "must be auto, cpu, gpu or gpu:N, got '" + device + "'");
        }
        int candidateCache = root.integer("candidate_cache", 2, 1);
        int leaseSeconds = root.integer("lease_seconds", RunLease.DEFAULT_SECONDS, 5);
        ConfigNode spark = root.child("spark").onlyKeys("master", "conf");
        String master = spark.string("master", "local[*]");
        Map<String, String> conf = spark.stringMap("conf");
        return new RunConfig(file, location, yaml, runId, out, method, base, models, dataFlow, dtype, tokenizerSource, granularity,
                normalize, negative, population, generations, evaluations, sigma0, x0, seed, separable, fitness, test, device,
                candidateCache, leaseSeconds, master, Map.copyOf(conf), root.labels());
    }

    private static EvalSet evalSet(ConfigNode node, EvalSet defaults) {
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
                default -> throw t.error("task", "unknown task '" + task + "' (mgsm, likelihood)");
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
                layerGranularity, normalize, allowNegativeWeights, population, generations, evaluations, sigma0, x0, seed, separable,
                fitness, test, device, candidateCache, leaseSeconds, sparkMaster, sparkConf, labels);
    }

    /** What the executors need of this run (and all they get): the evaluation sets, the device, the cache size. */
    public WorkerSpec workerSpec() {
        return new WorkerSpec(runId + "@" + sha256() + "@" + out, fitness, test, device, candidateCache);
    }

    /** A location of this config as the user wrote it (for tables people read); the absolute form for any other. */
    public String label(String location) {
        return labels.getOrDefault(location, location);
    }
}
