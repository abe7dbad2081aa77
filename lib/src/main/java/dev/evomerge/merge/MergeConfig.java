package dev.evomerge.merge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.io.DType;
import dev.evomerge.io.SafeYaml;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parameter-space merge recipe, typed: mergekit's format ({@code merge_method}, {@code base_model},
 * {@code models} with per-model {@code parameters}, or passthrough {@code slices}; global
 * {@code parameters}, {@code dtype}, {@code tokenizer_source}), plus evomerge's {@code seed} for
 * DARE/DELLA randomness. {@link #parse} validates mergekit YAML once (every problem is one line
 * naming the file and the key); {@link #toYaml} writes it back, canonically.
 */
public record MergeConfig(String mergeMethod, String baseModel, List<ModelEntry> models, List<Slice> slices,
                          Map<String, ParameterValue> parameters, DType dtype, String tokenizerSource, long seed) implements Recipe {

    public record ModelEntry(String model, Map<String, ParameterValue> parameters) implements java.io.Serializable {
    }

    /** One slice of a passthrough merge: layers [from, to) of a model, in output order. */
    public record Slice(String model, int from, int to, Map<String, ParameterValue> parameters) implements java.io.Serializable {
    }

    /** The method, from the registry (the recipe holds its name, so it travels and compares as plain data). */
    public MergeMethod method() {
        return MergeMethods.byName(mergeMethod);
    }

    private static final Set<String> TOP_LEVEL = Set.of("merge_method", "base_model", "models", "parameters", "dtype",
            "tokenizer_source", "seed", "slices", "out_dtype");

    public static MergeConfig parse(String file, String yaml) {
        return parse(file, SafeYaml.tree(file, yaml));
    }

    /** A recipe from its parsed YAML (a whole file, or an entry of a layer path's pool). */
    public static MergeConfig parse(String file, JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": a merge config is a YAML mapping");
        }
        root.fieldNames().forEachRemaining(k -> {
            if (!TOP_LEVEL.contains(k)) {
                throw new MergeConfigException(file, k, "unknown key (known: " + String.join(", ", TOP_LEVEL) + ")");
            }
        });
        if (!root.path("merge_method").isTextual()) {
            throw new MergeConfigException(file, "merge_method", "missing");
        }
        MergeMethod method;
        try {
            method = MergeMethods.byName(root.get("merge_method").asText());
        } catch (IllegalArgumentException e) {
            throw new MergeConfigException(file, "merge_method", e.getMessage());
        }
        String base = root.hasNonNull("base_model") ? root.get("base_model").asText() : null;
        if (method.needsBase() && base == null) {
            throw new MergeConfigException(file, "base_model", "missing; " + method.name() + " merges differences from a base model");
        }
        List<Slice> slices = slices(file, root.get("slices"), method);
        JsonNode modelsNode = root.get("models");
        if (slices.isEmpty() && (modelsNode == null || !modelsNode.isArray() || modelsNode.isEmpty())) {
            throw new MergeConfigException(file, "models", "missing or empty");
        }
        if (!slices.isEmpty() && modelsNode != null) {
            throw new MergeConfigException(file, "models", "give either models or slices, not both");
        }
        if (slices.isEmpty() && method instanceof Passthrough) {
            throw new MergeConfigException(file, "slices", "passthrough needs slices (layer ranges to stack)");
        }
        List<ModelEntry> models = new ArrayList<>();
        for (int i = 0; modelsNode != null && i < modelsNode.size(); i++) {
            JsonNode m = modelsNode.get(i);
            String key = "models[" + i + "]";
            if (!m.path("model").isTextual()) {
                throw new MergeConfigException(file, key + ".model", "missing");
            }
            models.add(new ModelEntry(m.get("model").asText(),
                    parameters(file, key + ".parameters", m.get("parameters"), method.modelParameters(), method)));
        }
        long counted = models.stream().filter(m -> !(method.usesBase() && m.model().equals(base))).count();
        String countProblem = slices.isEmpty() ? method.checkModelCount((int) counted) : null;
        if (countProblem != null) {
            throw new MergeConfigException(file, "models", countProblem);
        }
        Set<String> globalNames = new java.util.HashSet<>(method.globalParameters());
        globalNames.addAll(method.modelParameters()); // global defaults for per-model parameters, as in mergekit
        Map<String, ParameterValue> globals = parameters(file, "parameters", root.get("parameters"), globalNames, method);
        DType dtype = null;
        JsonNode dt = root.has("dtype") ? root.get("dtype") : root.get("out_dtype");
        if (dt != null) {
            try {
                dtype = DType.fromTorchName(dt.asText());
            } catch (IllegalArgumentException e) {
                throw new MergeConfigException(file, "dtype", e.getMessage());
            }
        }
        String tokenizerSource = root.hasNonNull("tokenizer_source") ? root.get("tokenizer_source").asText() : null;
        long seed = root.path("seed").asLong(0);
        return new MergeConfig(method.name(), base, List.copyOf(models), slices, Map.copyOf(globals), dtype, tokenizerSource, seed);
    }

    /**
     * The recipe in mergekit's YAML, canonical: keys in mergekit's order, numbers in their shortest
     * exact form, parameters sorted by name, locations quoted. Parsing it gives an equal recipe.
     */
    @Override
    public String toYaml() {
        StringBuilder y = new StringBuilder("merge_method: ").append(mergeMethod).append('\n');
        if (baseModel != null) {
            y.append("base_model: ").append(YamlText.quote(baseModel)).append('\n');
        }
        if (!models.isEmpty()) {
            y.append("models:\n");
            for (ModelEntry m : models) {
                y.append("  - model: ").append(YamlText.quote(m.model())).append('\n');
                appendParameters(y, "    ", m.parameters());
            }
        }
        if (!slices.isEmpty()) {
            y.append("slices:\n");
            for (Slice sl : slices) {
                y.append("  - sources:\n      - model: ").append(YamlText.quote(sl.model())).append('\n')
                        .append("        layer_range: [").append(sl.from()).append(", ").append(sl.to()).append("]\n");
                appendParameters(y, "        ", sl.parameters());
            }
        }
        appendParameters(y, "", parameters);
        if (dtype != null) {
            y.append("dtype: ").append(dtype.torchName()).append('\n');
        }
        if (tokenizerSource != null) {
            y.append("tokenizer_source: ").append(YamlText.quote(tokenizerSource)).append('\n');
        }
        y.append("seed: ").append(seed).append('\n');
        return y.toString();
    }

    /** The same recipe with every location (base, models, slices, tokenizer source) passed through {@code resolve}. */
    public MergeConfig withLocations(java.util.function.UnaryOperator<String> resolve) {
        List<ModelEntry> m = models.stream().map(e -> new ModelEntry(resolve.apply(e.model()), e.parameters())).toList();
        List<Slice> s = slices.stream().map(e -> new Slice(resolve.apply(e.model()), e.from(), e.to(), e.parameters())).toList();
        String tokenizer = tokenizerSource == null || tokenizerSource.equals("base") ? tokenizerSource : resolve.apply(tokenizerSource);
        return new MergeConfig(mergeMethod, baseModel == null ? null : resolve.apply(baseModel), m, s, parameters, dtype, tokenizer,
                seed);
    }

    /** Every checkpoint the recipe reads: the base (when there is one), the models or slices' models, in order, once each. */
    public List<String> locations() {
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>();
        if (baseModel != null) {
            all.add(baseModel);
        }
        models.forEach(m -> all.add(m.model()));
        slices.forEach(sl -> all.add(sl.model()));
        return List.copyOf(all);
    }

    /** Switches mergekit writes as booleans. */
    private static final Set<String> FLAGS = Set.of("normalize", "rescale", "int8_mask");

    private static void appendParameters(StringBuilder y, String indent, Map<String, ParameterValue> params) {
        if (params.isEmpty()) {
            return;
        }
        y.append(indent).append("parameters:\n");
        for (String name : new java.util.TreeSet<>(params.keySet())) {
            ParameterValue v = params.get(name);
            y.append(indent).append("  ").append(name).append(':');
            if (v instanceof ParameterValue.Constant c && FLAGS.contains(name) && (c.value() == 0 || c.value() == 1)) {
                y.append(' ').append(c.value() == 1).append('\n');
            } else {
                v.appendYaml(y, indent + "    ");
            }
        }
    }

    private static List<Slice> slices(String file, JsonNode node, MergeMethod method) {
        List<Slice> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!(method instanceof Passthrough)) {
            throw new MergeConfigException(file, "slices", "slices are supported with merge_method passthrough only, not "
                    + method.name());
        }
        if (!node.isArray() || node.isEmpty()) {
            throw new MergeConfigException(file, "slices", "must be a non-empty list");
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode sources = node.get(i).get("sources");
            String key = "slices[" + i + "].sources";
            if (sources == null || !sources.isArray() || sources.size() != 1) {
                throw new MergeConfigException(file, key, "a passthrough slice has exactly one source");
            }
            JsonNode src = sources.get(0);
            JsonNode range = src.get("layer_range");
            if (!src.path("model").isTextual()) {
                throw new MergeConfigException(file, key + "[0].model", "missing");
            }
            if (range == null || !range.isArray() || range.size() != 2 || !range.get(0).isInt() || !range.get(1).isInt()
                    || range.get(0).intValue() < 0 || range.get(0).intValue() >= range.get(1).intValue()) {
                throw new MergeConfigException(file, key + "[0].layer_range", "must be [from, to) with 0 <= from < to");
            }
            out.add(new Slice(src.get("model").asText(), range.get(0).intValue(), range.get(1).intValue(),
                    parameters(file, key + "[0].parameters", src.get("parameters"), method.modelParameters(), method)));
        }
        return List.copyOf(out);
    }

    private static Map<String, ParameterValue> parameters(String file, String where, JsonNode node, Set<String> allowed,
                                                          MergeMethod method) {
        Map<String, ParameterValue> out = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isObject()) {
            throw new MergeConfigException(file, where, "must be a mapping of parameter names to values");
        }
        for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) node::fields) {
            String key = where + "." + e.getKey();
            if (!allowed.contains(e.getKey())) {
                throw new MergeConfigException(file, key, "not a parameter of " + method.name() + " (it reads: "
                        + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
            }
            ParameterValue v = ParameterValue.parse(e.getValue(), file, key);
            if (e.getKey().equals("density")) {
                checkRange(v, file, key, 0, 1);
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    /** Every number a parameter can resolve to lies in [lo, hi]. */
    private static void checkRange(ParameterValue v, String file, String key, double lo, double hi) {
        List<Double> numbers = new ArrayList<>();
        collect(v, numbers);
        for (double x : numbers) {
            if (x < lo || x > hi) {
                throw new MergeConfigException(file, key, "value " + x + " is outside [" + lo + ", " + hi + "]");
            }
        }
    }

    private static void collect(ParameterValue v, List<Double> out) {
        if (v instanceof ParameterValue.Constant c) {
            out.add(c.value());
        } else if (v instanceof ParameterValue.Gradient g) {
            for (double x : g.values()) {
                out.add(x);
            }
        } else if (v instanceof ParameterValue.Filtered f) {
            f.values().forEach(x -> collect(x, out));
        }
    }
}
