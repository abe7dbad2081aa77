package dev.evomerge.merge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.io.DType;
import dev.evomerge.model.LayerPath;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A data-flow-space merge (Akiba et al. 2024, section 3.2): no weight is mixed; a token passes
 * through a {@link LayerPath} of layers taken from a pool of models, each layer's input scaled.
 * A pool entry is a checkpoint as it is, or a parameter-space recipe merged first (PS+DFS). The
 * embeddings, final norm, head and tokenizer are those of pool entry {@code path.embeddingsFrom()}
 * (the paper's model A). {@code dtype} is the stored dtype of an export (null: model A's).
 *
 * <pre>
 * merge_method: layer_path
 * pool:
 *   - model: 's3a://bucket/shisa-gamma-7b'
 *   - merge_method: task_arithmetic          # a PS recipe, merged once per executor
 *     base_model: ...
 * embeddings_from: 0
 * path:
 *   - {model: 0, layer: 0, scale: 1.0}
 *   - {model: 1, layer: 7, scale: 0.8125}
 * </pre>
 */
public record LayerPathMerge(List<Recipe> pool, LayerPath path, DType dtype) implements Recipe {
    public static final String METHOD = "layer_path";

    private static final Set<String> KEYS = Set.of("merge_method", "pool", "embeddings_from", "path", "dtype");

    public LayerPathMerge {
        pool = List.copyOf(pool);
        if (pool.isEmpty()) {
            throw new IllegalArgumentException("a layer path merge needs a pool of at least one model");
        }
        for (Recipe r : pool) {
            if (r instanceof LayerPathMerge) {
                throw new IllegalArgumentException("a layer path's pool holds checkpoints and parameter-space recipes, not layer paths");
            }
        }
        if (path.embeddingsFrom() >= pool.size()) {
            throw new IllegalArgumentException("embeddings_from " + path.embeddingsFrom() + " but the pool has " + pool.size()
                    + " model(s)");
        }
        for (LayerPath.Step s : path.steps()) {
            if (s.model() >= pool.size()) {
                throw new IllegalArgumentException("a path step names model " + s.model() + " but the pool has " + pool.size()
                        + " model(s)");
            }
        }
    }

    /** Model A: the pool entry that gives the embeddings, head and tokenizer. */
    public Recipe anchor() {
        return pool.get(path.embeddingsFrom());
    }

    public static LayerPathMerge parse(String file, JsonNode root) {
        root.fieldNames().forEachRemaining(k -> {
            if (!KEYS.contains(k)) {
                throw new MergeConfigException(file, k, "unknown key of a layer_path merge (known: " + String.join(", ", KEYS) + ")");
            }
        });
        JsonNode poolNode = root.get("pool");
        if (poolNode == null || !poolNode.isArray() || poolNode.isEmpty()) {
            throw new MergeConfigException(file, "pool", "missing or empty; list the models whose layers the path takes");
        }
        List<Recipe> pool = new ArrayList<>();
        for (int i = 0; i < poolNode.size(); i++) {
            Recipe r = Recipe.parse(file + " pool[" + i + "]", poolNode.get(i));
            if (r instanceof LayerPathMerge) {
                throw new MergeConfigException(file, "pool[" + i + "]", "a layer path cannot be a pool entry");
            }
            pool.add(r);
        }
        JsonNode stepsNode = root.get("path");
        if (stepsNode == null || !stepsNode.isArray() || stepsNode.isEmpty()) {
            throw new MergeConfigException(file, "path", "missing or empty; a path has at least one layer");
        }
        List<LayerPath.Step> steps = new ArrayList<>();
        for (int i = 0; i < stepsNode.size(); i++) {
            JsonNode s = stepsNode.get(i);
            String key = "path[" + i + "]";
            if (!s.path("model").canConvertToInt() || !s.path("layer").canConvertToInt() || s.path("model").intValue() < 0
                    || s.path("layer").intValue() < 0 || s.path("model").intValue() >= pool.size()) {
                throw new MergeConfigException(file, key, "needs model (a pool index below " + pool.size()
                        + ") and layer (a layer index), got " + s);
            }
            JsonNode scale = s.get("scale");
            if (scale != null && (!scale.isNumber() || !Double.isFinite(scale.doubleValue()))) {
                throw new MergeConfigException(file, key + ".scale", "must be a finite number, got " + scale);
            }
            steps.add(new LayerPath.Step(s.get("model").intValue(), s.get("layer").intValue(), scale == null ? 1.0 : scale.doubleValue()));
        }
        int from = root.path("embeddings_from").asInt(0);
        if (from < 0 || from >= pool.size()) {
            throw new MergeConfigException(file, "embeddings_from", from + " is not a pool index (0.." + (pool.size() - 1) + ")");
        }
        DType dtype = null;
        if (root.hasNonNull("dtype")) {
            try {
                dtype = DType.fromTorchName(root.get("dtype").asText());
            } catch (IllegalArgumentException e) {
                throw new MergeConfigException(file, "dtype", e.getMessage());
            }
        }
        return new LayerPathMerge(pool, new LayerPath(steps, from), dtype);
    }

    /** Canonical YAML: the pool entries as their own YAML, indented; one flow mapping per step; scales in shortest exact form. */
    @Override
    public String toYaml() {
        StringBuilder y = new StringBuilder("merge_method: ").append(METHOD).append("\npool:\n");
        for (Recipe r : pool) {
            String[] lines = r.toYaml().split("\n");
            for (int i = 0; i < lines.length; i++) {
                y.append(i == 0 ? "  - " : "    ").append(lines[i]).append('\n');
            }
        }
        y.append("embeddings_from: ").append(path.embeddingsFrom()).append("\npath:\n");
        for (LayerPath.Step s : path.steps()) {
            y.append("  - {model: ").append(s.model()).append(", layer: ").append(s.layer()).append(", scale: ")
                    .append(YamlText.number(s.scale())).append("}\n");
        }
        if (dtype != null) {
            y.append("dtype: ").append(dtype.torchName()).append('\n');
        }
        return y.toString();
    }

    /** Pool entry {@code i}'s letter in tables, pictures and gene names: A, B, ... (A is pool entry 0, not necessarily model A). */
    /** Every pool entry's inputs, each once, in pool order. */
    @Override
    public List<String> inputs() {
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>();
        pool.forEach(r -> all.addAll(r.inputs()));
        return List.copyOf(all);
    }

    public static char poolName(int i) {
        return (char) ('A' + i);
    }

    /** One line for tables and logs: the depth and which pool entry each step's layer comes from. */
    public String summary() {
        StringBuilder b = new StringBuilder("depth ").append(path.depth()).append(':');
        for (LayerPath.Step s : path.steps()) {
            b.append(' ').append(poolName(s.model())).append(s.layer());
        }
        return b.toString();
    }
}
