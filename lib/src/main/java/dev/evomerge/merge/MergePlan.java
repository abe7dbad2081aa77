package dev.evomerge.merge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.DType;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.io.TensorSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A merge before it runs: the output tensors in order, each with the computation that gives its
 * values, and the checkpoint whose config and files the output takes. Nothing is merged until a
 * tensor's values are asked for, so a caller holds one output tensor at a time.
 */
public final class MergePlan {

    /**
     * One output tensor: floating-point values computed on demand, or an integer tensor copied raw;
     * {@code step} says what the values are computed from, when another builder may compute them
     * from the inputs' own tensors (null when the planner permutes rows or rounds inputs first).
     */
    record OutputTensor(TensorSpec spec, Supplier<float[]> values, Checkpoint rawSource, String rawName, Step step) {
    }

    /**
     * How one merged tensor is computed: the method on the base's and each model's tensor, with the
     * numbers resolved for this tensor, and the seed of its randomness. {@link #floats} runs it in
     * Java; a builder that holds the inputs elsewhere (a GPU executor's resident parents) runs the
     * same step there.
     */
    public record Step(MergeMethod method, String tensor, long[] shape, Source base, List<Source> models,
                       Map<String, Double> globals, long seed) {

        public double global(String name, double fallback) {
            return MergeParameters.value(globals, name, fallback);
        }

        public boolean flag(String name, boolean fallback) {
            return MergeParameters.flag(globals, name, fallback);
        }
    }

    /** One input of a step: a tensor of a checkpoint, and its numbers for this tensor (weight, density, ...). */
    public record Source(String location, Checkpoint checkpoint, String tensor, Map<String, Double> params) {

        public double param(String name, double fallback) {
            return MergeParameters.value(params, name, fallback);
        }

        public double required(String tensor, String name) {
            return MergeParameters.required(params, tensor, name);
        }
    }

    private final Checkpoint reference;
    private final List<OutputTensor> tensors;
    private final Map<String, OutputTensor> byName = new LinkedHashMap<>();
    private final int layers;
    private final Vocabulary vocabulary;
    private final java.util.function.Function<String, Checkpoint> open;

    MergePlan(Checkpoint reference, List<OutputTensor> tensors, int layers, Vocabulary vocabulary,
              java.util.function.Function<String, Checkpoint> open) {
        this.open = open;
        this.reference = reference;
        this.tensors = List.copyOf(tensors);
        this.layers = layers;
        this.vocabulary = vocabulary;
        tensors.forEach(t -> byName.put(t.spec().name(), t));
    }

    public Checkpoint reference() {
        return reference;
    }

    List<OutputTensor> tensors() {
        return tensors;
    }

    public int layers() {
        return layers;
    }

    /** The output's config.json: the reference's, with the output's dtype and layer count. */
    public ObjectNode configJson(DType dtype) {
        return withLayers(reference.config().withTorchDtype(dtype));
    }

    /** The output's config, as a model built straight from this plan reads it (in the reference's dtype). */
    public ModelConfig config() {
        return ModelConfig.parse(reference.dir().resolve("config.json").toString(), withLayers(reference.config().raw().deepCopy()));
    }

    /** The checkpoint whose tokenizer files the output uses unchanged: the reference's, or the recipe's tokenizer source. */
    public Checkpoint tokenizer() {
        return vocabulary.active() ? vocabulary.existingTokenizer() : reference;
    }

    /** An input checkpoint of this merge, opened as the merge opens it. */
    Checkpoint opened(String location) {
        return open.apply(location);
    }

    Vocabulary vocabulary() {
        return vocabulary;
    }

    /** The output's layer count, and its vocabulary size when the recipe's tokenizer changes it. */
    private ObjectNode withLayers(ObjectNode config) {
        config.put("num_hidden_layers", layers);
        if (vocabulary.active()) {
            config.put("vocab_size", vocabulary.size());
        }
        return config;
    }

    /** The output's parameter count: what one built candidate holds. */
    public long parameters() {
        return tensors.stream().mapToLong(t -> t.spec().numel()).sum();
    }

    /** The entries of the output's largest tensor: what sizes a merge's scratch. */
    public long largestTensor() {
        return tensors.stream().mapToLong(t -> t.spec().numel()).max().orElse(0);
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    public TensorSpec spec(String name) {
        return tensor(name).spec();
    }

    /** The merged values of a floating-point tensor, computed now. */
    public float[] floats(String name) {
        OutputTensor t = tensor(name);
        if (t.values() == null) {
            throw new CheckpointException(reference.dir().toString(), "tensor '" + name + "': not floating point");
        }
        return t.values().get();
    }

    /** How a floating-point tensor is computed, when a builder other than {@link #floats} may compute it; else empty. */
    public java.util.Optional<Step> step(String name) {
        return java.util.Optional.ofNullable(tensor(name).step());
    }

    private OutputTensor tensor(String name) {
        OutputTensor t = byName.get(name);
        if (t == null) {
            throw new CheckpointException(reference.dir().toString(), "tensor '" + name + "': not in the merge");
        }
        return t;
    }
}
