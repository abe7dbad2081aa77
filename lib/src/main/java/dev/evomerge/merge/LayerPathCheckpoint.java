package dev.evomerge.merge;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.AtomicDirectory;
import dev.evomerge.io.AtomicFiles;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.DType;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.io.ShardedWriter;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorNames;
import dev.evomerge.io.TensorSpec;
import dev.evomerge.model.LayerPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Writes a layer path as a checkpoint: the path's layers materialized in path order (step k is
 * {@code model.layers.k.*}, a layer visited twice is written twice), model A's embeddings, final
 * norm and head, A's config.json with the path's depth, A's tokenizer, the recipe as
 * {@code layer_path.yml} and a model card. A path whose scales are all 1 is a plain
 * Llama/Mistral/Qwen2 checkpoint (mergekit's passthrough: transformers and vLLM load it); any
 * other scale makes it an {@code evomerge_layer_path} model whose config.json holds the scales
 * ({@link ModelConfig#LAYER_SCALES}), which evomerge's engine runs and Hugging Face refuses rather
 * than run wrong.
 */
final class LayerPathCheckpoint {
    static final String RECIPE_FILE = "layer_path.yml";

    /** A pool entry's tensors: a checkpoint as it is, or a parameter-space merge computed as tensors are asked for. */
    private record Entry(Checkpoint files, ModelConfig config, Map<String, TensorSpec> specs, Function<String, float[]> floats) {
        static Entry of(Recipe r, Function<String, Checkpoint> open) {
            if (r instanceof AsIs asIs) {
                Checkpoint c = open.apply(asIs.location());
                if (!c.config().layerScales().isEmpty()) {
                    throw new IllegalArgumentException(asIs.location() + ": a scaled layer path cannot be a pool entry; "
                            + "put the pool it was evolved from in the pool instead");
                }
                Map<String, TensorSpec> specs = new LinkedHashMap<>();
                c.tensors().forEach((name, info) -> specs.put(name, new TensorSpec(name, info.dtype(), info.shape())));
                return new Entry(c, c.config(), specs, c::floats);
            }
            MergeConfig cfg = (MergeConfig) r;
            MergePlan plan = Merger.plan(cfg, open);
            Map<String, TensorSpec> specs = new LinkedHashMap<>();
            plan.tensors().forEach(t -> specs.put(t.spec().name(), t.spec()));
            return new Entry(plan.tokenizer(), plan.config(), specs, plan::floats);
        }
    }

    private LayerPathCheckpoint() {
    }

    static void write(LayerPathMerge merge, Path out, CheckpointCache cache) {
        Map<String, Checkpoint> opened = new LinkedHashMap<>();
        try (AtomicDirectory staging = AtomicDirectory.create(out)) {
            Function<String, Checkpoint> open = location -> opened.computeIfAbsent(location, l -> Checkpoint.open(cache.localize(l)));
            List<Entry> pool = new ArrayList<>();
            for (Recipe r : merge.pool()) {
                pool.add(Entry.of(r, open));
            }
            write(merge, pool, staging.path(), VlmOutput.of(merge.inputs(), open));
            staging.commit();
        } finally {
            opened.values().forEach(Checkpoint::close);
        }
    }

    /** With a VLM in the pool ({@code vlm} not null), the path is its language model: written as a VLM of it. */
    private static void write(LayerPathMerge merge, List<Entry> pool, Path dir, VlmOutput vlm) {
        LayerPath path = merge.path();
        Entry anchor = pool.get(path.embeddingsFrom());
        DType dtype = merge.dtype() != null ? merge.dtype() : anchor.specs().values().stream().map(TensorSpec::dtype)
                .filter(DType::isFloatingPoint).findFirst().orElse(DType.F32);
        // HF's order: embeddings, the layers, the final norm, the head; each output name with the entry and tensor it copies
        List<TensorSpec> specs = new ArrayList<>();
        List<Entry> from = new ArrayList<>();
        List<String> names = new ArrayList<>();
        add(specs, from, names, anchor, TensorNames.EMBEDDINGS, TensorNames.EMBEDDINGS, dtype);
        for (int k = 0; k < path.depth(); k++) {
            LayerPath.Step step = path.steps().get(k);
            Entry e = pool.get(step.model());
            if (step.layer() >= e.config().numHiddenLayers()) {
                throw new IllegalArgumentException("path step " + k + " names layer " + step.layer() + " of pool entry "
                        + step.model() + ", which has " + e.config().numHiddenLayers());
            }
            for (String name : e.specs().keySet()) {
                if (name.startsWith(TensorNames.layerPrefix(step.layer()))) {
                    add(specs, from, names, e, name, TensorNames.inLayer(name, k), dtype);
                }
            }
        }
        add(specs, from, names, anchor, TensorNames.FINAL_NORM, TensorNames.FINAL_NORM, dtype);
        if (anchor.specs().containsKey(TensorNames.HEAD)) {
            add(specs, from, names, anchor, TensorNames.HEAD, TensorNames.HEAD, dtype);
        }
        try (ShardedWriter writer = new ShardedWriter(dir, vlm == null ? specs : vlm.specs(specs), ShardedWriter.DEFAULT_MAX_SHARD_BYTES)) {
            for (int i = 0; i < specs.size(); i++) {
                String name = specs.get(i).name();
                writer.write(vlm == null ? name : vlm.stored(name), TensorBytes.fromFloats(from.get(i).floats().apply(names.get(i)), dtype));
            }
            if (vlm != null) {
                vlm.writeOwnTensors(writer);
            }
            writer.finish();
        }
        try {
            ObjectNode config = configJson(anchor.config(), path, dtype);
            Files.writeString(dir.resolve("config.json"), (vlm == null ? config : vlm.config(config, dtype)).toPrettyString());
            for (Path f : (vlm == null ? anchor.files() : vlm.checkpoint()).tokenizerFiles()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
            if (vlm != null) {
                vlm.copyProcessorFiles(dir);
            }
            Path generation = anchor.files().dir().resolve("generation_config.json");
            if (Files.isRegularFile(generation)) {
                Files.copy(generation, dir.resolve("generation_config.json"));
            }
            Files.writeString(dir.resolve(RECIPE_FILE), merge.toYaml());
            AtomicFiles.writeString(dir.resolve("README.md"), card(merge));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void add(List<TensorSpec> specs, List<Entry> from, List<String> names, Entry e, String name, String as,
                            DType dtype) {
        TensorSpec s = e.specs().get(name);
        if (s == null) {
            throw new IllegalArgumentException("pool entry " + e.files().dir() + " has no tensor '" + name + "'");
        }
        specs.add(new TensorSpec(as, dtype, s.shape()));
        from.add(e);
        names.add(name);
    }

    /** Model A's config.json with the path's depth and the output dtype; with the scales, when any is not 1. */
    static ObjectNode configJson(ModelConfig anchor, LayerPath path, DType dtype) {
        ObjectNode c = anchor.withTorchDtype(dtype);
        c.put("num_hidden_layers", path.depth());
        c.remove(List.of(ModelConfig.LAYER_SCALES, ModelConfig.LAYER_PATH_BASE_TYPE));
        c.put("model_type", anchor.modelType());
        if (!path.unitScales()) {
            c.put("model_type", ModelConfig.LAYER_PATH_MODEL_TYPE);
            c.put(ModelConfig.LAYER_PATH_BASE_TYPE, anchor.modelType());
            ArrayNode scales = c.putArray(ModelConfig.LAYER_SCALES);
            path.steps().forEach(s -> scales.add(s.scale()));
        }
        return c;
    }

    private static String card(LayerPathMerge merge) {
        StringBuilder card = new StringBuilder("---\nlibrary_name: transformers\ntags:\n- merge\n- evomerge\n---\n# Layer path merge\n\n")
                .append("Made with evomerge: a data-flow-space merge (Akiba et al. 2024): a path of ").append(merge.path().depth())
                .append(" layers through a pool of models, model A's embeddings and head.\n\nPool:\n");
        for (int i = 0; i < merge.pool().size(); i++) {
            Recipe r = merge.pool().get(i);
            card.append("- ").append(LayerPathMerge.poolName(i)).append(": ").append(r instanceof AsIs a ? "`" + a.location() + "`"
                    : ((MergeConfig) r).method().name() + " merge of " + String.join(", ", ((MergeConfig) r).locations())).append('\n');
        }
        card.append("\nPath: ").append(merge.summary()).append(".\n\n").append(merge.path().unitScales()
                ? "Every scale is 1: this is a plain checkpoint that transformers and vLLM load.\n"
                : "Its layers' inputs are scaled (config.json `" + ModelConfig.LAYER_SCALES + "`): evomerge's engine runs it; "
                        + "transformers refuses its model type rather than run it without the scales.\n");
        card.append("\nThe recipe is `").append(RECIPE_FILE).append("`.\n");
        return card.toString();
    }
}
