package dev.evomerge.executor;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.EvalSet;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.Shards;
import dev.evomerge.eval.Split;
import dev.evomerge.eval.Summary;
import dev.evomerge.eval.TaskSpec;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.AsIs;
import dev.evomerge.merge.LayerPathMerge;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.MergePlan;
import dev.evomerge.merge.Merger;
import dev.evomerge.merge.Recipe;
import dev.evomerge.model.AllocatorSettings;
import dev.evomerge.model.Devices;
import dev.evomerge.model.LayerStore;
import dev.evomerge.model.LlavaVision;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import dev.evomerge.model.WeightSource;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one executor JVM does for a run: holds the parents (once for the whole run), the
 * evaluation items, and its recently built candidates, and scores (candidate, shard) tasks. The
 * same code serves Spark tasks and the in-process runs of the tests.
 */
public final class Worker implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Worker.class.getName());

    /** A built candidate: the model on its device, a tokenizer, and the vision tower it answers VQA with (null: none). */
    record Built(Transformer model, Tokenizer tokenizer, LlavaVision vision) implements AutoCloseable {
        @Override
        public void close() {
            model.close();
            tokenizer.close();
        }
    }

    private final WorkerSpec spec;
    private final Storage storage;
    private final ParentPool parents;
    private final CandidatePool<Built> candidates;
    private final Device device;
    private final Map<String, List<EvalItem>> items = new HashMap<>();
    private final Map<String, ResidentPool> pools = new HashMap<>();
    private final Map<java.nio.file.Path, LlavaVision> visions = new HashMap<>(); // per VLM parent, for the whole run
    private ResidentParents resident; // made by the first candidate built on the device

    /** A data-flow pool on this executor: its layers as loaded so far, and each entry's tokenizer checkpoint. */
    record ResidentPool(LayerStore store, List<Checkpoint> tokenizers) {
    }

    public Worker(WorkerSpec spec, Storage storage, CheckpointCache cache) {
        this.spec = spec;
        this.storage = storage;
        this.parents = new ParentPool(cache);
        this.candidates = new CandidatePool<>(spec.executor().candidateCache());
        this.device = Devices.choose(spec.executor().device()).device(); // logged once per executor
        if (!device.isGpu()) { // a GPU executor's host allocations are small
            AllocatorSettings.warnOnceIfMissing();
        }
    }

    public ParentPool parents() {
        return parents;
    }

    /**
     * Scores the task's shard of every task in its evaluation set. A candidate that cannot be built
     * or evaluated is reported with its error; a failure of the machinery (storage I/O) is thrown,
     * so Spark retries the task.
     */
    public ShardResult run(EvalTask task) {
        EvalSet set = spec.set(task.test());
        CandidatePool.Lease<Built> lease;
        try {
            lease = candidates.acquire(task.spec().key(), key -> build(task.spec()));
        } catch (UncheckedIOException e) {
            throw e;
        } catch (RuntimeException e) {
            return failed(task, set, 0, e);
        }
        long t0 = System.nanoTime();
        try {
            List<Summary> perTask = new ArrayList<>();
            Evaluator evaluator = new Evaluator(lease.value().model(), lease.value().tokenizer(), set.batchSize(),
                    lease.value().vision());
            for (TaskSpec t : set.tasks()) {
                List<EvalItem> shard = Shards.of(items(t), set.shards()).get(task.shard());
                Summary s = Summary.of(evaluator.run(t.toTask(), shard));
                if (t.isLikelihood() && !Double.isFinite(s.loss())) {
                    throw new CandidateException(task.spec().label() + ": non-finite loss on " + t.name());
                }
                perTask.add(s);
            }
            return new ShardResult(task, perTask, lease.buildSeconds(), (System.nanoTime() - t0) / 1e9, !lease.built(), null,
                    parents.loads(), null);
        } catch (UncheckedIOException e) {
            throw e;
        } catch (RuntimeException e) {
            return failed(task, set, lease.buildSeconds(), e);
        } finally {
            candidates.release(lease.entry());
        }
    }

    private ShardResult failed(EvalTask task, EvalSet set, double buildSeconds, RuntimeException e) {
        List<Summary> empty = set.tasks().stream().map(t -> new Summary(0, 0, 0, 0, 0)).toList();
        String message = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName());
        return new ShardResult(task, empty, buildSeconds, 0, false, null, parents.loads(), message);
    }

    private Built build(CandidateSpec candidate) {
        Transformer model;
        Checkpoint tokenizerFrom;
        if (candidate.recipe() instanceof MergeConfig cfg) {
            var plan = Merger.plan(cfg, parents::get);
            model = Transformer.load(new CandidateWeights(plan, candidate.label(),
                    spec.executor().buildsOnDevice(device.isGpu()) ? resident(plan, cfg) : null), device);
            tokenizerFrom = plan.tokenizer();
        } else if (candidate.recipe() instanceof AsIs asIs) {
            tokenizerFrom = parents.get(asIs.location());
            model = Transformer.load(WeightSource.of(tokenizerFrom), device);
        } else if (candidate.recipe() instanceof LayerPathMerge path) {
            // choosing layers and scales of weights already on the device: nothing is loaded or merged here
            ResidentPool pool = pool(path);
            model = pool.store().transformer(path.path());
            tokenizerFrom = pool.tokenizers().get(path.path().embeddingsFrom());
        } else {
            throw new IllegalArgumentException("no executor builds " + candidate.recipe().getClass().getSimpleName());
        }
        try {
            // A VLM among the inputs: its vision tower in front, its tokenizer (the image token) unless the recipe builds one.
            Checkpoint vlm = Merger.visionSource(candidate.recipe(), parents::get);
            if (vlm != null && !(candidate.recipe() instanceof MergeConfig cfg && cfg.tokenizer() != null)) {
                tokenizerFrom = vlm;
            }
            return new Built(model, Tokenizer.load(tokenizerFrom.dir(), tokenizerFrom.config()), vlm == null ? null : vision(vlm));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** A VLM parent's vision tower and projector, loaded once per executor and shared by every candidate. */
    private synchronized LlavaVision vision(Checkpoint vlm) {
        return visions.computeIfAbsent(vlm.dir(), dir -> new LlavaVision(vlm));
    }

    /**
     * The layers of a data-flow run's pool on this executor's device, kept for the whole run like
     * the parents: each layer is loaded (and a PS pool entry's merged) the first time a path visits
     * it, then shared by every candidate.
     */
    private synchronized ResidentPool pool(LayerPathMerge path) {
        String key = path.pool().stream().map(Recipe::toYaml).collect(java.util.stream.Collectors.joining("---\n"));
        ResidentPool resident = pools.get(key);
        if (resident == null) {
            List<WeightSource> sources = new ArrayList<>();
            List<Checkpoint> tokenizers = new ArrayList<>();
            for (int i = 0; i < path.pool().size(); i++) {
                Recipe r = path.pool().get(i);
                Checkpoint files;
                if (r instanceof MergeConfig cfg) {
                    MergePlan plan = Merger.plan(cfg, parents::get);
                    sources.add(new CandidateWeights(plan, "pool entry " + i + " (" + cfg.mergeMethod() + " merge)"));
                    files = plan.tokenizer();
                } else {
                    files = parents.get(((AsIs) r).location());
                    sources.add(WeightSource.of(files));
                }
                tokenizers.add(files);
            }
            resident = new ResidentPool(LayerStore.open(sources, device), List.copyOf(tokenizers));
            pools.put(key, resident);
        }
        return resident;
    }

    /** The parents on the device for candidates built there, made once per executor with its budget. */
    private synchronized ResidentParents resident(MergePlan plan, MergeConfig cfg) {
        if (resident == null) {
            DataType dtype = device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
            long budget = ResidentParents.budget(spec.executor(), device, plan.parameters(), plan.largestTensor(), cfg.inputs().size());
            resident = new ResidentParents(device, dtype, budget);
            LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT, "candidates are built on %s from parents kept there as %s (%s)", device, dtype,
                    budget == Long.MAX_VALUE ? "no memory bound" : String.format(Locale.ROOT, "up to %.2f GiB", budget / 1073741824.0)));
        }
        return resident;
    }

    /** The task's items (its split of its data set), read once per executor. */
    private synchronized List<EvalItem> items(TaskSpec t) {
        return items.computeIfAbsent(t.data() + "|" + t.split(),
                k -> Split.parse(t.split()).select(Datasets.read(storage, t.data())));
    }

    @Override
    public void close() {
        candidates.close(); // views of the layer stores: closed before them
        visions.values().forEach(LlavaVision::close);
        pools.values().forEach(p -> p.store().close());
        if (resident != null) {
            resident.close();
        }
        parents.close();
    }

}
