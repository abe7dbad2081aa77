package dev.evomerge.merge;

import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.DType;
import dev.evomerge.io.MappedBuffers;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.io.TensorNames;
import dev.evomerge.io.TensorSpec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Plans a merge: which output tensors there are, in order, and for each the computation that
 * gives its values (the method on the inputs' mapped tensors, with the numbers
 * {@link MergeParameters} resolves for it), checked against the reference's names and shapes.
 * Nothing is merged until a tensor's values are asked for.
 *
 * <p>As mergekit plans it: a {@code models} recipe is one slice over every layer; in a
 * {@code slices} recipe each output layer merges the same-offset layer of each of its slice's
 * sources, a gradient runs over the slice (layer i of n at t = i / (n - 1)), the embeddings are
 * merged from the first slice's models and the final norm and head from the last slice's.
 */
final class MergePlanner {
    private MergePlanner() {
    }

    /**
     * Where the final norm and head sit on a gradient: t = 0, as mergekit's planner reads their
     * parameters (its config reader for the module's pre and post weights is made at t = 0).
     */
    static final double POST_WEIGHTS_T = 0;

    static MergePlan plan(MergeConfig cfg, Function<String, Checkpoint> open) {
        Vocabulary vocabulary = Vocabulary.of(cfg, open);
        VlmOutput vlm = VlmOutput.of(cfg.inputs(), open);
        if (vlm != null && !vocabulary.active()) {
            vlm.requireSharedVocabulary(cfg.inputs(), open);
        }
        return cfg.slices().isEmpty() ? planModels(cfg, open, vocabulary) : planSlices(cfg, open, vocabulary);
    }

    /** One model's part in one output tensor: which of its tensors, and its own parameters (a model's, or a slice source's). */
    private record Input(String location, Checkpoint checkpoint, String tensor, Map<String, ParameterValue> parameters) {
    }

    /** Every tensor of the reference (the base, else the first model), merged across the models. */
    private static MergePlan planModels(MergeConfig cfg, Function<String, Checkpoint> open, Vocabulary vocabulary) {
        String referenceLocation = cfg.referenceModel();
        Checkpoint reference = open.apply(referenceLocation);
        List<MergeConfig.ModelEntry> entries = new ArrayList<>();
        for (MergeConfig.ModelEntry e : cfg.models()) {
            if (!(cfg.method().usesBase() && e.model().equals(cfg.baseModel()))) {
                entries.add(e); // the base has no task vector (mergekit skips it too)
            }
        }
        int layers = reference.config().numHiddenLayers();
        List<MergePlan.OutputTensor> tensors = new ArrayList<>();
        for (TensorInfo t : reference.tensors().values()) {
            List<Input> inputs = new ArrayList<>();
            for (MergeConfig.ModelEntry e : entries) {
                inputs.add(new Input(e.model(), open.apply(e.model()), t.name(), e.parameters()));
            }
            Input base = cfg.method().usesBase() && cfg.baseModel() != null ? new Input(referenceLocation, reference, t.name(), Map.of())
                    : null;
            tensors.add(output(cfg, vocabulary, new TensorSpec(t.name(), t.dtype(), t.shape()), depth(t.name(), layers), base, inputs,
                    Map.of(), reference, t));
        }
        return new MergePlan(reference, tensors, layers, vocabulary, open);
    }

    /** Slices: the embeddings (first slice's models), each slice's layers in output order, the tail (last slice's models). */
    private static MergePlan planSlices(MergeConfig cfg, Function<String, Checkpoint> open, Vocabulary vocabulary) {
        MergeConfig.Slice first = cfg.slices().get(0);
        MergeConfig.Slice last = cfg.slices().get(cfg.slices().size() - 1);
        String referenceLocation = cfg.referenceModel();
        Checkpoint reference = open.apply(referenceLocation);
        int outputLayers = cfg.outputLayers(0);
        List<MergePlan.OutputTensor> head = new ArrayList<>();
        List<MergePlan.OutputTensor> tail = new ArrayList<>();
        for (TensorInfo t : reference.tensors().values()) {
            if (t.name().startsWith(TensorNames.LAYERS)) {
                continue;
            }
            boolean embeddings = TensorNames.isEmbeddings(t.name());
            MergeConfig.Slice from = embeddings ? first : last;
            TensorSpec spec = new TensorSpec(t.name(), t.dtype(), t.shape());
            (embeddings ? head : tail).add(sliceOutput(cfg, vocabulary, from, -1, spec, embeddings ? 0 : POST_WEIGHTS_T, open));
        }
        List<MergePlan.OutputTensor> tensors = new ArrayList<>(head);
        int k = 0;
        for (int s = 0; s < cfg.slices().size(); s++) {
            MergeConfig.Slice slice = cfg.slices().get(s);
            for (int j = 0; j < slice.sources().size(); j++) {
                MergeConfig.Source src = slice.sources().get(j);
                int depth = open.apply(src.model()).config().numHiddenLayers();
                if (src.to() > depth) {
                    throw new MergeConfigException("the recipe", "slices[" + s + "].sources[" + j + "].layer_range", "[" + src.from()
                            + ", " + src.to() + ") but " + src.model() + " has " + depth + " layers");
                }
            }
            int n = slice.length();
            for (int i = 0; i < n; i++, k++) {
                double t = n > 1 ? i / (double) (n - 1) : 1; // mergekit: a gradient runs over the slice
                MergeConfig.Source lead = slice.sources().get(0);
                String prefix = TensorNames.layerPrefix(lead.from() + i);
                for (TensorInfo layerTensor : open.apply(lead.model()).tensors().values()) {
                    if (!layerTensor.name().startsWith(prefix)) {
                        continue;
                    }
                    String suffix = layerTensor.name().substring(prefix.length());
                    TensorInfo like = reference.tensors().get(TensorNames.layer(0, suffix));
                    if (like == null || !Arrays.equals(like.shape(), layerTensor.shape())) {
                        throw new CheckpointException(lead.model(), "tensor '" + layerTensor.name() + "': shape "
                                + layerTensor.shapeString() + " does not fit the layers of " + referenceLocation);
                    }
                    TensorSpec spec = new TensorSpec(TensorNames.layerPrefix(k) + suffix, layerTensor.dtype(), layerTensor.shape());
                    tensors.add(sliceOutput(cfg, vocabulary, slice, i, spec, t, open));
                }
            }
        }
        tensors.addAll(tail);
        return new MergePlan(reference, tensors, outputLayers, vocabulary, open);
    }

    /**
     * One output tensor of a slice: layer {@code offset} of each source (-1: a tensor outside the
     * layers, same name in every source), the slice's base among its sources.
     */
    private static MergePlan.OutputTensor sliceOutput(MergeConfig cfg, Vocabulary vocabulary, MergeConfig.Slice slice, int offset,
                                                      TensorSpec spec, double t, Function<String, Checkpoint> open) {
        String baseModel = slice.baseModel() != null ? slice.baseModel() : cfg.baseModel();
        String suffix = offset < 0 ? null : spec.name().substring(spec.name().indexOf('.', TensorNames.LAYERS.length()) + 1);
        Input base = null;
        Input lead = null; // the first source: integer tensors are copied from it
        List<Input> inputs = new ArrayList<>();
        for (MergeConfig.Source src : slice.sources()) {
            String name = offset < 0 ? spec.name() : TensorNames.layer(src.from() + offset, suffix);
            Checkpoint c = open.apply(src.model());
            if (!c.tensors().containsKey(name)) {
                throw new CheckpointException(src.model(), "tensor '" + name + "': missing (the slice's output tensor " + spec.name()
                        + " merges it)");
            }
            Input in = new Input(src.model(), c, name, src.parameters());
            lead = lead == null ? in : lead;
            if (cfg.method().usesBase() && src.model().equals(baseModel)) {
                base = in;
            } else {
                inputs.add(in);
            }
        }
        return output(cfg, vocabulary, spec, t, base, inputs, slice.parameters(), lead.checkpoint(),
                lead.checkpoint().tensors().get(lead.tensor()));
    }

    /** The output tensor: merged when floating point, else copied raw from {@code rawSource}. */
    private static MergePlan.OutputTensor output(MergeConfig cfg, Vocabulary vocabulary, TensorSpec spec, double t, Input base,
                                                 List<Input> inputs, Map<String, ParameterValue> sliceParameters, Checkpoint rawSource,
                                                 TensorInfo raw) {
        if (!spec.dtype().isFloatingPoint()) {
            return new MergePlan.OutputTensor(spec, null, rawSource, raw.name(), null);
        }
        List<Input> all = new ArrayList<>(inputs);
        if (base != null) {
            all.add(base);
        }
        for (Input in : all) { // every input shaped as the output, but for rows a vocabulary permutes
            TensorInfo other = in.checkpoint().tensors().get(in.tensor());
            if (other == null) {
                throw new CheckpointException(in.location(), "tensor '" + in.tensor() + "': missing (the base has it)");
            }
            if (!Arrays.equals(other.shape(), spec.shape()) && !vocabulary.permutes(spec.name())) {
                throw new CheckpointException(in.location(), "tensor '" + in.tensor() + "': shape " + other.shapeString()
                        + " differs from " + Arrays.toString(spec.shape()) + (TensorNames.isEmbeddings(spec.name())
                        || spec.name().equals(TensorNames.HEAD) ? " (different vocabularies: give tokenizer: {source: union})"
                        : " (the models are not the same architecture)"));
            }
        }
        TensorSpec out = vocabulary.permutes(spec.name()) ? vocabulary.spec(spec) : spec;
        MergePlan.Step step = step(cfg, out, t, base, inputs, sliceParameters);
        // A step another builder may compute from the inputs' own tensors: not when rows are permuted or inputs rounded first.
        boolean plain = !vocabulary.permutes(spec.name()) && all.stream().noneMatch(in -> rounds(cfg, in));
        return new MergePlan.OutputTensor(out, () -> merge(cfg, vocabulary, step), null, null, plain ? step : null);
    }

    /** The method's inputs for one tensor, each parameter read from the input's own, then the slice's, then the global ones. */
    private static MergePlan.Step step(MergeConfig cfg, TensorSpec spec, double t, Input base, List<Input> inputs,
                                       Map<String, ParameterValue> sliceParameters) {
        List<MergePlan.Source> models = new ArrayList<>();
        for (Input in : inputs) {
            models.add(new MergePlan.Source(in.location(), in.checkpoint(), in.tensor(), MergeParameters.resolve(
                    cfg.method().modelParameters(), spec.name(), t, in.parameters(), sliceParameters, cfg.parameters())));
        }
        Map<String, Double> globals = MergeParameters.resolve(cfg.method().globalParameters(), spec.name(), t, sliceParameters,
                cfg.parameters());
        MergePlan.Source baseSource = base == null ? null : new MergePlan.Source(base.location(), base.checkpoint(), base.tensor(),
                Map.of());
        return new MergePlan.Step(cfg.method(), spec.name(), spec.shape(), baseSource, List.copyOf(models), globals,
                TensorSeeds.of(cfg.seed(), spec.name()));
    }

    /** The method on the step's inputs, read from their mapped tensors. */
    private static float[] merge(MergeConfig cfg, Vocabulary vocabulary, MergePlan.Step step) {
        List<MergeInput.ModelTensor> models = new ArrayList<>();
        List<ByteBuffer> mapped = new ArrayList<>();
        for (MergePlan.Source in : step.models()) {
            models.add(tensor(cfg, vocabulary, in, in.params(), mapped));
        }
        try {
            // The base too is decoded by the method, whole or chunk by chunk, as the models are.
            return step.method().merge(new MergeInput(step.tensor(), step.shape(), step.base() == null ? null
                    : tensor(cfg, vocabulary, step.base(), Map.of(), mapped), models, step.globals(), step.seed()));
        } finally {
            mapped.forEach(MappedBuffers::unmap); // the inputs are done with: the result is a new array
        }
    }

    /** Whether an input is rounded to the recipe's {@code dtype} before merging: when that is narrower than its stored type. */
    private static boolean rounds(MergeConfig cfg, Input in) {
        DType compute = cfg.dtype();
        return compute != null && compute.isFloatingPoint() && compute.size() < in.checkpoint().tensor(in.tensor()).dtype().size();
    }

    /**
     * One input's values for the method: its stored bytes, mapped and decoded as the method reads
     * them; rows permuted into the output vocabulary for an embedding tensor; rounded to the
     * recipe's {@code dtype} first when that is narrower than the stored type (mergekit casts the
     * inputs to {@code dtype} before merging; evomerge then computes in float32).
     */
    private static MergeInput.ModelTensor tensor(MergeConfig cfg, Vocabulary vocabulary, MergePlan.Source in, Map<String, Double> params,
                                                 List<ByteBuffer> mapped) {
        TensorInfo stored = in.checkpoint().tensor(in.tensor());
        DType compute = cfg.dtype();
        boolean round = compute != null && compute.isFloatingPoint() && compute.size() < stored.dtype().size();
        if (vocabulary.permutes(in.tensor())) {
            float[] rows = vocabulary.rows(in.location(), in.tensor(), round ? compute : null);
            return new MergeInput.ModelTensor(rows, params);
        }
        ByteBuffer bytes = in.checkpoint().bytes(in.tensor());
        mapped.add(bytes);
        if (round) {
            float[] values = TensorBytes.toFloats(bytes, stored.dtype(), (int) stored.numel());
            return new MergeInput.ModelTensor(TensorBytes.toFloats(TensorBytes.fromFloats(values, compute), compute, values.length), params);
        }
        return MergeInput.ModelTensor.stored(bytes, stored.dtype(), (int) stored.numel(), params);
    }

    /**
     * Relative depth in [0, 1] for gradients in a {@code models} recipe (one slice over every
     * layer): layer i of L is i / (L - 1) (1 when L = 1); the embeddings sit at 0, the final norm
     * and the head at {@link #POST_WEIGHTS_T}.
     */
    static double depth(String tensorName, int layers) {
        java.util.OptionalInt layer = TensorNames.layerOf(tensorName);
        if (layer.isPresent()) {
            return layers <= 1 ? 1 : layer.getAsInt() / (double) (layers - 1);
        }
        return TensorNames.isEmbeddings(tensorName) ? 0 : POST_WEIGHTS_T;
    }
}
