package dev.evomerge.merge;

import dev.evomerge.io.AtomicDirectory;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Builds a merged model from a recipe, tensor by tensor: only the current tensor of each input and
 * the output are in memory. {@link MergePlanner} plans the output tensors, {@link MergeParameters}
 * resolves each tensor's numbers, the {@link MergeMethod} does the arithmetic, and
 * {@link MergedCheckpoint} writes a Hugging Face checkpoint in the recipe's dtype (default: the
 * base's) into a staging directory renamed into place only when complete.
 */
public final class Merger {
    private Merger() {
    }

    public static void merge(MergeConfig cfg, Path out, CheckpointCache cache) {
        Map<String, Checkpoint> open = new LinkedHashMap<>();
        try (AtomicDirectory staging = AtomicDirectory.create(out)) {
            Function<String, Checkpoint> opener = location -> open.computeIfAbsent(location,
                    l -> Checkpoint.open(cache.localize(l)));
            MergePlan plan = plan(cfg, opener);
            MergedCheckpoint.write(cfg, plan, staging.path());
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
        return MergePlanner.plan(cfg, open);
    }

    /**
     * The vision-language model whose vision tower and projector a recipe's output has: the first
     * VLM among its inputs (as {@link MergedCheckpoint} writes it); null when all are LLMs.
     */
    public static Checkpoint visionSource(Recipe recipe, Function<String, Checkpoint> open) {
        VlmOutput vlm = VlmOutput.of(recipe.inputs(), open);
        return vlm == null ? null : vlm.checkpoint();
    }
}
