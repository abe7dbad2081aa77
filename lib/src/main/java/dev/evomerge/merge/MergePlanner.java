package dev.evomerge.merge;

import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.MappedBuffers;
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
 */
final class MergePlanner {
    private MergePlanner() {
    }

    static MergePlan plan(MergeConfig cfg, Function<String, Checkpoint> open) {
        return cfg.slices().isEmpty() ? planModels(cfg, open) : planSlices(cfg, open);
    }

    /** Every tensor of the reference (the base, else the first model), merged across the models. */
    private static MergePlan planModels(MergeConfig cfg, Function<String, Checkpoint> open) {
        String referenceLocation = cfg.baseModel() != null ? cfg.baseModel() : cfg.models().get(0).model();
        Checkpoint reference = open.apply(referenceLocation);
        List<Checkpoint> models = new ArrayList<>();
        List<MergeConfig.ModelEntry> entries = new ArrayList<>();
        for (MergeConfig.ModelEntry e : cfg.models()) {
            if (cfg.method().usesBase() && e.model().equals(cfg.baseModel())) {
                continue; // the base has no task vector (mergekit skips it too)
            }
            models.add(open.apply(e.model()));
            entries.add(e);
        }
        int layers = reference.config().numHiddenLayers();
        List<MergePlan.OutputTensor> tensors = new ArrayList<>();
        for (TensorInfo t : reference.tensors().values()) {
            for (int m = 0; m < models.size(); m++) {
                TensorInfo other = models.get(m).tensors().get(t.name());
                if (other == null) {
                    throw new CheckpointException(entries.get(m).model(), "tensor '" + t.name() + "': missing (the base has it)");
                }
                if (!Arrays.equals(other.shape(), t.shape())) {
                    throw new CheckpointException(entries.get(m).model(), "tensor '" + t.name() + "': shape "
                            + other.shapeString() + " differs from " + t.shapeString()
                            + " (different vocabularies are not merged: align them first)");
                }
            }
            TensorSpec spec = new TensorSpec(t.name(), t.dtype(), t.shape());
            tensors.add(t.dtype().isFloatingPoint()
                    ? new MergePlan.OutputTensor(spec, () -> mergeTensor(cfg, spec, MergeParameters.depth(spec.name(), layers), reference, models, entries), null, null)
                    : new MergePlan.OutputTensor(spec, null, reference, t.name()));
        }
        return new MergePlan(reference, tensors, layers);
    }

    /**
     * Passthrough slices: layers [from, to) of each slice's model, renumbered in output order;
     * the embeddings, final norm and head come from the base (else the first slice's model).
     */
    private static MergePlan planSlices(MergeConfig cfg, Function<String, Checkpoint> open) {
        String referenceLocation = cfg.baseModel() != null ? cfg.baseModel() : cfg.slices().get(0).model();
        Checkpoint reference = open.apply(referenceLocation);
        List<MergePlan.OutputTensor> layerTensors = new ArrayList<>();
        int k = 0;
        int outputLayers = cfg.slices().stream().mapToInt(sl -> sl.to() - sl.from()).sum();
        for (int s = 0; s < cfg.slices().size(); s++) {
            MergeConfig.Slice slice = cfg.slices().get(s);
            Checkpoint source = open.apply(slice.model());
            if (slice.to() > source.config().numHiddenLayers()) {
                throw new MergeConfigException("the recipe", "slices[" + s + "].sources[0].layer_range", "[" + slice.from() + ", "
                        + slice.to() + ") but " + slice.model() + " has " + source.config().numHiddenLayers() + " layers");
            }
            for (int l = slice.from(); l < slice.to(); l++, k++) {
                String prefix = TensorNames.layerPrefix(l);
                String outPrefix = TensorNames.layerPrefix(k);
                for (TensorInfo t : source.tensors().values()) {
                    if (!t.name().startsWith(prefix)) {
                        continue;
                    }
                    String suffix = t.name().substring(prefix.length());
                    TensorInfo like = reference.tensors().get(TensorNames.layer(0, suffix));
                    if (like == null || !Arrays.equals(like.shape(), t.shape())) {
                        throw new CheckpointException(slice.model(), "tensor '" + t.name() + "': shape " + t.shapeString()
                                + " does not fit the layers of " + referenceLocation);
                    }
                    TensorSpec spec = new TensorSpec(outPrefix + suffix, t.dtype(), t.shape());
                    double depth = MergeParameters.depth(spec.name(), outputLayers); // gradients run over the output's depth
                    layerTensors.add(t.dtype().isFloatingPoint()
                            ? new MergePlan.OutputTensor(spec, () -> passthrough(cfg, slice, source, t.name(), spec, depth), null, null)
                            : new MergePlan.OutputTensor(spec, null, source, t.name()));
                }
            }
        }
        int layers = outputLayers;
        List<MergePlan.OutputTensor> tensors = new ArrayList<>();
        List<MergePlan.OutputTensor> tail = new ArrayList<>();
        for (TensorInfo t : reference.tensors().values()) {
            if (t.name().startsWith(TensorNames.LAYERS)) {
                continue;
            }
            TensorSpec spec = new TensorSpec(t.name(), t.dtype(), t.shape());
            MergePlan.OutputTensor o = t.dtype().isFloatingPoint()
                    ? new MergePlan.OutputTensor(spec, () -> reference.floats(t.name()), null, null)
                    : new MergePlan.OutputTensor(spec, null, reference, t.name());
            (TensorNames.isEmbeddings(t.name()) ? tensors : tail).add(o);
        }
        tensors.addAll(layerTensors);
        tensors.addAll(tail);
        return new MergePlan(reference, tensors, layers);
    }

    private static float[] passthrough(MergeConfig cfg, MergeConfig.Slice slice, Checkpoint source, String sourceName,
                                       TensorSpec spec, double t) {
        Map<String, Double> params = MergeParameters.resolve(cfg.method().modelParameters(), slice.parameters(), cfg.parameters(), spec.name(), t);
        return cfg.method().merge(new MergeInput(spec.name(), spec.shape(), (MergeInput.ModelTensor) null,
                List.of(new MergeInput.ModelTensor(source.floats(sourceName), params)), Map.of(), 0));
    }

    private static float[] mergeTensor(MergeConfig cfg, TensorSpec spec, double t, Checkpoint reference,
                                       List<Checkpoint> models, List<MergeConfig.ModelEntry> entries) {
        List<MergeInput.ModelTensor> inputs = new ArrayList<>();
        List<ByteBuffer> mapped = new ArrayList<>();
        for (int m = 0; m < models.size(); m++) {
            Map<String, Double> params = MergeParameters.resolve(cfg.method().modelParameters(), entries.get(m).parameters(), cfg.parameters(),
                    spec.name(), t);
            inputs.add(mappedTensor(models.get(m), spec.name(), params, mapped));
        }
        Map<String, Double> globals = MergeParameters.resolve(cfg.method().globalParameters(), Map.of(), cfg.parameters(), spec.name(), t);
        // The base too is decoded by the method, whole or chunk by chunk, as the models are.
        MergeInput.ModelTensor base = cfg.method().usesBase() && cfg.baseModel() != null
                ? mappedTensor(reference, spec.name(), Map.of(), mapped) : null;
        try {
            return cfg.method().merge(new MergeInput(spec.name(), spec.shape(), base, inputs, globals,
                    TensorSeeds.of(cfg.seed(), spec.name())));
        } finally {
            mapped.forEach(MappedBuffers::unmap); // the inputs are done with: the result is a new array
        }
    }

    /** Tensor {@code name} of {@code checkpoint} as its mapped bytes, the mapping added to {@code mapped} (to unmap). */
    private static MergeInput.ModelTensor mappedTensor(Checkpoint checkpoint, String name, Map<String, Double> params,
                                                       List<ByteBuffer> mapped) {
        TensorInfo stored = checkpoint.tensor(name);
        ByteBuffer bytes = checkpoint.bytes(name);
        mapped.add(bytes);
        return MergeInput.ModelTensor.stored(bytes, stored.dtype(), (int) stored.numel(), params);
    }
}
