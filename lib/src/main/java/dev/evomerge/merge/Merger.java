package dev.evomerge.merge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.AtomicDirectory;
import dev.evomerge.io.AtomicFiles;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.DType;
import dev.evomerge.io.MappedBuffers;
import dev.evomerge.io.ShardedWriter;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.io.TensorNames;
import dev.evomerge.io.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;

/**
 * Builds a merged model from a {@link MergeConfig}, tensor by tensor: only the current tensor of
 * each input and the output are in memory. The output is a Hugging Face checkpoint in the
 * config's dtype (default: the base's), with the base's config.json ({@code torch_dtype}
 * updated), the tokenizer of {@code tokenizer_source} (default: the base), the recipe as
 * {@code mergekit_config.yml} and a model card; written into a staging directory and renamed into
 * place only when complete.
 */
public final class Merger {
    private Merger() {
    }

    public static void merge(MergeConfig cfg, Path out, CheckpointCache cache) {
        Map<String, Checkpoint> open = new LinkedHashMap<>();
        try (AtomicDirectory staging = AtomicDirectory.create(out)) {
            Function<String, Checkpoint> opener = location -> openOnce(open, location, cache);
            MergePlan plan = plan(cfg, opener);
            DType dtype = cfg.dtype() != null ? cfg.dtype() : storedDtype(plan.reference());
            List<TensorSpec> specs = plan.tensors().stream().map(o -> new TensorSpec(o.spec().name(),
                    o.spec().dtype().isFloatingPoint() ? dtype : o.spec().dtype(), o.spec().shape())).toList();
            try (ShardedWriter writer = new ShardedWriter(staging.path(), specs, ShardedWriter.DEFAULT_MAX_SHARD_BYTES)) {
                for (MergePlan.OutputTensor o : plan.tensors()) {
                    if (o.values() == null) {
                        ByteBuffer raw = o.rawSource().bytes(o.rawName());
                        writer.write(o.spec().name(), raw); // integer tensors pass through
                        MappedBuffers.unmap(raw);
                    } else {
                        writer.write(o.spec().name(), TensorBytes.fromFloats(o.values().get(), dtype));
                    }
                }
                writer.finish();
            }
            writeSideFiles(cfg, staging.path(), plan.configJson(dtype), plan.reference(), tokenizerCheckpoint(cfg, opener, plan.reference()));
            staging.commit();
        } finally {
            open.values().forEach(Checkpoint::close);
        }
    }

    /**
     * The merge as a list of output tensors whose values are computed when asked for, in order:
     * what {@link #merge} streams to disk and what an evolve candidate loads straight onto its
     * device. The checkpoints {@code open} returns belong to the caller.
     */
    public static MergePlan plan(MergeConfig cfg, Function<String, Checkpoint> open) {
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
                    ? new MergePlan.OutputTensor(spec, () -> mergeTensor(cfg, spec, depth(spec.name(), layers), reference, models, entries), null, null)
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
                    double depth = depth(spec.name(), outputLayers); // gradients run over the output's depth
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
        Map<String, Double> params = resolve(cfg.method().modelParameters(), slice.parameters(), cfg.parameters(), spec.name(), t);
        return cfg.method().merge(new MergeInput(spec.name(), spec.shape(), (MergeInput.ModelTensor) null,
                List.of(new MergeInput.ModelTensor(source.floats(sourceName), params)), Map.of(), 0));
    }

    private static float[] mergeTensor(MergeConfig cfg, TensorSpec spec, double t, Checkpoint reference,
                                       List<Checkpoint> models, List<MergeConfig.ModelEntry> entries) {
        List<MergeInput.ModelTensor> inputs = new ArrayList<>();
        List<ByteBuffer> mapped = new ArrayList<>();
        for (int m = 0; m < models.size(); m++) {
            Map<String, Double> params = resolve(cfg.method().modelParameters(), entries.get(m).parameters(), cfg.parameters(),
                    spec.name(), t);
            inputs.add(mappedTensor(models.get(m), spec.name(), params, mapped));
        }
        Map<String, Double> globals = resolve(cfg.method().globalParameters(), Map.of(), cfg.parameters(), spec.name(), t);
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

    /**
     * The numbers of {@code names} for one tensor at depth {@code t}: a model's (or slice's) own
     * parameter wins over the global one, as in mergekit; a filter list that matches nothing gives none.
     */
    private static Map<String, Double> resolve(Set<String> names, Map<String, ParameterValue> own,
                                               Map<String, ParameterValue> global, String tensor, double t) {
        Map<String, Double> out = new HashMap<>();
        for (String p : names) {
            ParameterValue v = own.getOrDefault(p, global.get(p));
            Double resolved = v == null ? null : v.resolve(tensor, t);
            if (resolved != null) {
                out.put(p, resolved);
            }
        }
        return out;
    }

    /**
     * Relative depth in [0, 1] for gradients: layer i of L is i / (L - 1); the embeddings sit
     * at 0, the final norm and the head at 1.
     */
    static double depth(String tensorName, int layers) {
        OptionalInt layer = TensorNames.layerOf(tensorName);
        if (layer.isPresent()) {
            return layers <= 1 ? 0 : layer.getAsInt() / (double) (layers - 1);
        }
        return TensorNames.isEmbeddings(tensorName) ? 0 : 1;
    }

    private static Checkpoint openOnce(Map<String, Checkpoint> open, String location, CheckpointCache cache) {
        Checkpoint c = open.get(location);
        if (c == null) {
            c = Checkpoint.open(cache.localize(location));
            open.put(location, c);
        }
        return c;
    }

    private static DType storedDtype(Checkpoint c) {
        return c.tensors().values().stream().map(TensorInfo::dtype).filter(DType::isFloatingPoint).findFirst().orElse(DType.F32);
    }

    private static Checkpoint tokenizerCheckpoint(MergeConfig cfg, Function<String, Checkpoint> open, Checkpoint reference) {
        String source = cfg.tokenizerSource();
        if (source == null || source.equals("base")) {
            return reference;
        }
        return open.apply(source);
    }

    private static void writeSideFiles(MergeConfig cfg, Path dir, ObjectNode config, Checkpoint reference, Checkpoint tokenizer) {
        try {
            Files.writeString(dir.resolve("config.json"), config.toPrettyString());
            for (Path f : tokenizer.tokenizerFiles()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
            Path generation = reference.dir().resolve("generation_config.json");
            if (Files.isRegularFile(generation)) {
                Files.copy(generation, dir.resolve("generation_config.json"));
            }
            Files.writeString(dir.resolve("mergekit_config.yml"), cfg.toYaml());
            StringBuilder card = new StringBuilder("---\nlibrary_name: transformers\ntags:\n- merge\n- evomerge\n---\n# Merged model\n\n")
                    .append("Made with evomerge using the **").append(cfg.method().name()).append("** merge method");
            if (cfg.baseModel() != null) {
                card.append(" with `").append(cfg.baseModel()).append("` as the base");
            }
            card.append(".\n\nModels merged:\n");
            cfg.models().forEach(m -> card.append("- `").append(m.model()).append("`\n"));
            cfg.slices().forEach(sl -> card.append("- `").append(sl.model()).append("` layers ").append(sl.from()).append("-")
                    .append(sl.to() - 1).append("\n"));
            card.append("\nThe recipe is `mergekit_config.yml` (mergekit's format; evomerge's `seed` fixes DARE/DELLA masks).\n");
            AtomicFiles.writeString(dir.resolve("README.md"), card.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir + ": " + e.getMessage(), e);
        }
    }
}
