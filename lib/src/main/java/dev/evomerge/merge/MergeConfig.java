package dev.evomerge.merge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.io.DType;
import dev.evomerge.io.SafeYaml;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A parameter-space merge recipe, typed: mergekit's format, every key with mergekit's meaning
 * (the README's compatibility table, "Merging"): {@code merge_method}, {@code base_model}, {@code models}
 * with per-model {@code parameters}, or {@code slices} (each output slice merges the same number
 * of layers from each of its sources, with per-source and per-slice parameters and its own base),
 * global {@code parameters}, {@code dtype} (the type the inputs are merged in) and {@code out_dtype}
 * (the type written), {@code tokenizer} / {@code tokenizer_source}, {@code chat_template}; plus
 * evomerge's {@code seed} for DARE/DELLA randomness. Keys evomerge cannot honour are refused with
 * the reason, never ignored. {@link #parse} validates mergekit YAML once (every problem is one line
 * naming the file and the key); {@link #toYaml} writes it back, canonically.
 */
public record MergeConfig(String mergeMethod, String baseModel, List<ModelEntry> models, List<Slice> slices,
                          Map<String, ParameterValue> parameters, DType dtype, DType outDtype, TokenizerSpec tokenizer,
                          String chatTemplate, long seed) implements Recipe {

    public record ModelEntry(String model, Map<String, ParameterValue> parameters) implements java.io.Serializable {
    }

    /**
     * One output slice: layer {@code from + i} of every source merged into the slice's i-th output
     * layer (passthrough: one source, copied), the slice's own {@code base_model} (else the
     * recipe's) and parameters (read after a source's own, before the global ones).
     */
    public record Slice(List<Source> sources, String baseModel, Map<String, ParameterValue> parameters)
            implements java.io.Serializable {
        /** Output layers this slice makes. */
        public int length() {
            return sources.get(0).to() - sources.get(0).from();
        }
    }

    /** Layers [from, to) of a model, with that model's parameters for this slice. */
    public record Source(String model, int from, int to, Map<String, ParameterValue> parameters) implements java.io.Serializable {
    }

    /** The method, from the registry (the recipe holds its name, so it travels and compares as plain data). */
    public MergeMethod method() {
        return MergeMethods.byName(mergeMethod);
    }

    /** The dtype written: {@code out_dtype}, else {@code dtype}; null for the reference's own. */
    public DType outputDtype() {
        return outDtype != null ? outDtype : dtype;
    }

    /** Where the output's tokenizer comes from: null or "base" (the reference's), "union", or a model's location. */
    public String tokenizerSource() {
        return tokenizer == null ? null : tokenizer.source();
    }

    /** mergekit's keys evomerge refuses, and why (the README's compatibility table, "Merging"). */
    static final Map<String, String> REFUSED = Map.of(
            "modules", "multi-module merges (a vision-language model's towers) are not supported; merge the language model's "
                    + "checkpoint with models or slices",
            "residual_weight", "mergekit declares it but no merge method reads it; leave it out");

    private static final Set<String> TOP_LEVEL = Set.of("merge_method", "base_model", "models", "slices", "modules", "parameters",
            "dtype", "out_dtype", "tokenizer_source", "tokenizer", "chat_template", "seed");

    public static MergeConfig parse(String file, String yaml) {
        return parse(file, SafeYaml.tree(file, yaml));
    }

    /** A recipe from its parsed YAML (a whole file, or an entry of a layer path's pool). */
    public static MergeConfig parse(String file, JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": a merge config is a YAML mapping");
        }
        onlyKeys(file, "", root, TOP_LEVEL);
        if (!root.path("merge_method").isTextual()) {
            throw new MergeConfigException(file, "merge_method", "missing");
        }
        MergeMethod method;
        try {
            method = MergeMethods.byName(root.get("merge_method").asText());
        } catch (IllegalArgumentException e) {
            throw new MergeConfigException(file, "merge_method", e.getMessage());
        }
        String base = root.hasNonNull("base_model") ? model(file, "base_model", root.get("base_model")) : null;
        List<Slice> slices = slices(file, root.get("slices"), method, base);
        JsonNode modelsNode = root.get("models");
        if (slices.isEmpty() && (modelsNode == null || !modelsNode.isArray() || modelsNode.isEmpty())) {
            throw new MergeConfigException(file, "models", "missing or empty (give models, or slices)");
        }
        if (!slices.isEmpty() && modelsNode != null) {
            throw new MergeConfigException(file, "models", "give either models or slices, not both");
        }
        if (slices.isEmpty() && method instanceof Passthrough) {
            throw new MergeConfigException(file, "slices", "passthrough needs slices (layer ranges to stack)");
        }
        if (slices.isEmpty() && method.needsBase() && base == null) {
            throw new MergeConfigException(file, "base_model", "missing; " + method.name() + " merges differences from a base model");
        }
        List<ModelEntry> models = new ArrayList<>();
        for (int i = 0; modelsNode != null && i < modelsNode.size(); i++) {
            JsonNode m = modelsNode.get(i);
            String key = "models[" + i + "]";
            onlyKeys(file, key + ".", m, Set.of("model", "parameters"));
            models.add(new ModelEntry(model(file, key + ".model", m.get("model")),
                    parameters(file, key + ".parameters", m.get("parameters"), method.modelParameters(), method)));
        }
        long counted = models.stream().filter(m -> !(method.usesBase() && m.model().equals(base))).count();
        String countProblem = slices.isEmpty() ? method.checkModelCount((int) counted) : null;
        if (countProblem != null) {
            throw new MergeConfigException(file, "models", countProblem);
        }
        Map<String, ParameterValue> globals = parameters(file, "parameters", root.get("parameters"), allParameters(method), method);
        DType dtype = dtype(file, "dtype", root.get("dtype"));
        DType outDtype = dtype(file, "out_dtype", root.get("out_dtype"));
        TokenizerSpec tokenizer = TokenizerSpec.parse(file, root);
        String chatTemplate = chatTemplate(file, root.get("chat_template"));
        long seed = root.path("seed").asLong(0);
        return new MergeConfig(method.name(), base, List.copyOf(models), slices, Map.copyOf(globals), dtype, outDtype, tokenizer,
                chatTemplate, seed);
    }

    /** Global parameters: the method's own, and defaults for its per-model ones (as in mergekit). */
    private static Set<String> allParameters(MergeMethod method) {
        Set<String> names = new java.util.HashSet<>(method.globalParameters());
        names.addAll(method.modelParameters());
        return names;
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
                y.append("  - sources:\n");
                for (Source s : sl.sources()) {
                    y.append("      - model: ").append(YamlText.quote(s.model())).append('\n')
                            .append("        layer_range: [").append(s.from()).append(", ").append(s.to()).append("]\n");
                    appendParameters(y, "        ", s.parameters());
                }
                if (sl.baseModel() != null) {
                    y.append("    base_model: ").append(YamlText.quote(sl.baseModel())).append('\n');
                }
                appendParameters(y, "    ", sl.parameters());
            }
        }
        appendParameters(y, "", parameters);
        if (dtype != null) {
            y.append("dtype: ").append(dtype.torchName()).append('\n');
        }
        if (outDtype != null) {
            y.append("out_dtype: ").append(outDtype.torchName()).append('\n');
        }
        if (tokenizer != null) {
            tokenizer.appendYaml(y);
        }
        if (chatTemplate != null) {
            y.append("chat_template: ").append(YamlText.quote(chatTemplate)).append('\n');
        }
        y.append("seed: ").append(seed).append('\n');
        return y.toString();
    }

    /** The same recipe with every location (base, models, slices, tokenizer source) passed through {@code resolve}. */
    public MergeConfig withLocations(java.util.function.UnaryOperator<String> resolve) {
        List<ModelEntry> m = models.stream().map(e -> new ModelEntry(resolve.apply(e.model()), e.parameters())).toList();
        List<Slice> s = slices.stream().map(sl -> new Slice(sl.sources().stream().map(src -> new Source(resolve.apply(src.model()),
                src.from(), src.to(), src.parameters())).toList(), sl.baseModel() == null ? null : resolve.apply(sl.baseModel()),
                sl.parameters())).toList();
        return new MergeConfig(mergeMethod, baseModel == null ? null : resolve.apply(baseModel), m, s, parameters, dtype, outDtype,
                tokenizer == null ? null : tokenizer.withLocations(resolve), chatTemplate, seed);
    }

    /** The checkpoints merged: the base (when there is one), the models or the slices' bases and sources, in order, once each. */
    public List<String> inputs() {
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>();
        if (baseModel != null) {
            all.add(baseModel);
        }
        models.forEach(m -> all.add(m.model()));
        for (Slice sl : slices) {
            if (sl.baseModel() != null) {
                all.add(sl.baseModel());
            }
            sl.sources().forEach(s -> all.add(s.model()));
        }
        return List.copyOf(all);
    }

    /** Every checkpoint the recipe reads: its {@link #inputs}, then a tokenizer source outside them. */
    public List<String> locations() {
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>(inputs());
        if (tokenizer != null) {
            all.addAll(tokenizer.locations());
        }
        return List.copyOf(all);
    }

    /**
     * The checkpoint the output is shaped like (its config, its non-layer tensors' names, its
     * tokenizer by default): the base, else the first model, else the first slice's first source.
     */
    public String referenceModel() {
        return baseModel != null ? baseModel : slices.isEmpty() ? models.get(0).model() : slices.get(0).sources().get(0).model();
    }

    /** Output layers: a slice recipe's sum of slice lengths, or {@code modelLayers} (the reference's). */
    public int outputLayers(int modelLayers) {
        return slices.isEmpty() ? modelLayers : slices.stream().mapToInt(Slice::length).sum();
    }

    /** Switches mergekit writes as booleans. */
    private static final Set<String> FLAGS = Set.of("normalize", "rescale", "int8_mask");

    static void appendParameters(StringBuilder y, String indent, Map<String, ParameterValue> params) {
        if (params.isEmpty()) {
            return;
        }
        y.append(indent).append("parameters:\n");
        for (String name : new TreeSet<>(params.keySet())) {
            ParameterValue v = params.get(name);
            y.append(indent).append("  ").append(name).append(':');
            if (v instanceof ParameterValue.Constant c && FLAGS.contains(name) && (c.value() == 0 || c.value() == 1)) {
                y.append(' ').append(c.value() == 1).append('\n');
            } else {
                v.appendYaml(y, indent + "    ");
            }
        }
    }

    /** Refuses a key not in {@code known}: with its reason when evomerge refuses a mergekit key, else as unknown. */
    static void onlyKeys(String file, String prefix, JsonNode node, Set<String> known) {
        if (node == null || !node.isObject()) {
            throw new MergeConfigException(file, prefix.isEmpty() ? "(top level)" : prefix.substring(0, prefix.length() - 1),
                    "must be a mapping");
        }
        node.fieldNames().forEachRemaining(k -> {
            if (REFUSED.containsKey(k)) {
                throw new MergeConfigException(file, prefix + k, "not supported: " + REFUSED.get(k));
            }
            if (!known.contains(k)) {
                throw new MergeConfigException(file, prefix + k, "unknown key (known here: " + String.join(", ", new TreeSet<>(known)) + ")");
            }
        });
    }

    /**
     * A model reference: a location. mergekit's {@code path+adapter} (a LoRA applied on load) is
     * refused: evomerge merges full checkpoints only.
     */
    static String model(String file, String key, JsonNode node) {
        if (node == null || !node.isTextual() || node.asText().isBlank()) {
            throw new MergeConfigException(file, key, "missing (a checkpoint location)");
        }
        String location = node.asText();
        if (location.contains("+") && !location.contains("://")) {
            throw new MergeConfigException(file, key, "'" + location + "' names a LoRA adapter (model+adapter): not supported; merge "
                    + "the adapter into its model first (peft's merge_and_unload) and give that checkpoint");
        }
        return location;
    }

    private static DType dtype(String file, String key, JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        try {
            return DType.fromTorchName(node.asText());
        } catch (IllegalArgumentException e) {
            throw new MergeConfigException(file, key, e.getMessage());
        }
    }

    /**
     * {@code chat_template}: a Jinja template (written into the output's tokenizer_config.json), or
     * {@code auto} (the template most of the input models' tokenizers carry, as mergekit picks it).
     * mergekit's named templates (chatml, llama3, ...) are files bundled with mergekit: refused,
     * with how to give one.
     */
    private static String chatTemplate(String file, JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        String t = node.asText();
        if (t.equals("auto") || t.contains("{")) {
            return t;
        }
        throw new MergeConfigException(file, "chat_template", "'" + t + "' names one of mergekit's bundled templates, which evomerge "
                + "does not ship; give the template's Jinja text itself, or auto (the input models' most common template)");
    }

    private static List<Slice> slices(String file, JsonNode node, MergeMethod method, String base) {
        List<Slice> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray() || node.isEmpty()) {
            throw new MergeConfigException(file, "slices", "must be a non-empty list");
        }
        for (int i = 0; i < node.size(); i++) {
            String key = "slices[" + i + "]";
            JsonNode slice = node.get(i);
            onlyKeys(file, key + ".", slice, Set.of("sources", "base_model", "parameters"));
            JsonNode sources = slice.get("sources");
            if (sources == null || !sources.isArray() || sources.isEmpty()) {
                throw new MergeConfigException(file, key + ".sources", "must be a non-empty list");
            }
            if (method instanceof Passthrough && sources.size() != 1) {
                throw new MergeConfigException(file, key + ".sources", "a passthrough slice has exactly one source");
            }
            List<Source> list = new ArrayList<>();
            for (int j = 0; j < sources.size(); j++) {
                String sk = key + ".sources[" + j + "]";
                JsonNode src = sources.get(j);
                onlyKeys(file, sk + ".", src, Set.of("model", "layer_range", "parameters"));
                JsonNode range = src.get("layer_range");
                if (range == null || !range.isArray() || range.size() != 2 || !range.get(0).isInt() || !range.get(1).isInt()
                        || range.get(0).intValue() < 0 || range.get(0).intValue() >= range.get(1).intValue()) {
                    throw new MergeConfigException(file, sk + ".layer_range", "must be [from, to) with 0 <= from < to");
                }
                list.add(new Source(model(file, sk + ".model", src.get("model")), range.get(0).intValue(), range.get(1).intValue(),
                        parameters(file, sk + ".parameters", src.get("parameters"), method.modelParameters(), method)));
                if (list.get(j).to() - list.get(j).from() != list.get(0).to() - list.get(0).from()) {
                    throw new MergeConfigException(file, sk + ".layer_range", "covers " + (list.get(j).to() - list.get(j).from())
                            + " layers, the slice's first source " + (list.get(0).to() - list.get(0).from())
                            + " (the sources of a slice are merged layer by layer)");
                }
            }
            String sliceBase = slice.hasNonNull("base_model") ? model(file, key + ".base_model", slice.get("base_model")) : base;
            if (method.needsBase() && sliceBase == null) {
                throw new MergeConfigException(file, "base_model", "missing; " + method.name() + " merges differences from a base model");
            }
            if (method.usesBase() && sliceBase != null && list.stream().noneMatch(s -> s.model().equals(sliceBase))) {
                throw new MergeConfigException(file, key + ".sources", "none is the base model " + sliceBase + "; in slices the "
                        + "base's layers are one of the sources (as in mergekit)");
            }
            String countProblem = method instanceof Passthrough ? null
                    : method.checkModelCount((int) list.stream().filter(s -> !(method.usesBase() && s.model().equals(sliceBase))).count());
            if (countProblem != null) {
                throw new MergeConfigException(file, key + ".sources", countProblem);
            }
            out.add(new Slice(List.copyOf(list), slice.hasNonNull("base_model") ? sliceBase : null,
                    parameters(file, key + ".parameters", slice.get("parameters"), allParameters(method), method)));
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
                        + String.join(", ", new TreeSet<>(allowed)) + ")");
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
