package dev.evomerge.driver;

import dev.evomerge.io.CheckpointHeaders;
import dev.evomerge.io.Storage;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.io.TensorNames;
import dev.evomerge.merge.AsIs;
import dev.evomerge.merge.LayerPathMerge;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.Recipe;
import dev.evomerge.model.LayerPath;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The properties of a candidate an objective can read ({@link Objective#PROPERTIES}), from
 * checkpoint headers alone (no weights): {@code depth}, the decoder layers a forward runs
 * through (a layer path's steps, else the model's layer count), and {@code parameters}, the
 * weights it holds (a path: model A's embeddings, norm and head plus each step's layer, counted
 * once per step as an export writes it). Headers are read once per location.
 */
final class CandidateProperties {
    private final Storage storage;
    private final Map<String, CheckpointHeaders> headers = new HashMap<>();

    CandidateProperties(Storage storage) {
        this.storage = storage;
    }

    /** The properties the objectives read, by name. */
    Map<String, Double> of(Recipe recipe, List<Objective> objectives) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Objective o : objectives) {
            if ("depth".equals(o.property())) {
                out.put("depth", (double) depth(recipe));
            } else if ("parameters".equals(o.property())) {
                out.put("parameters", (double) parameters(recipe));
            }
        }
        return out;
    }

    int depth(Recipe recipe) {
        return recipe instanceof LayerPathMerge path ? path.path().depth() : headers(recipe).config().numHiddenLayers();
    }

    long parameters(Recipe recipe) {
        if (!(recipe instanceof LayerPathMerge merge)) {
            return headers(recipe).parameters();
        }
        LayerPath path = merge.path();
        long total = 0;
        for (TensorInfo t : headers(merge.pool().get(path.embeddingsFrom())).tensors().values()) {
            total += t.name().startsWith(TensorNames.LAYERS) ? 0 : t.numel();
        }
        for (LayerPath.Step s : path.steps()) {
            String prefix = TensorNames.LAYERS + s.layer() + ".";
            for (TensorInfo t : headers(merge.pool().get(s.model())).tensors().values()) {
                total += t.name().startsWith(prefix) ? t.numel() : 0;
            }
        }
        return total;
    }

    /** The headers of the checkpoint a recipe's tensors are shaped like: the model itself, or a merge's base (else first model). */
    private CheckpointHeaders headers(Recipe recipe) {
        String location;
        if (recipe instanceof AsIs asIs) {
            location = asIs.location();
        } else if (recipe instanceof MergeConfig cfg) {
            location = cfg.referenceModel();
        } else {
            throw new IllegalArgumentException("no checkpoint shape for a " + recipe.getClass().getSimpleName());
        }
        return headers.computeIfAbsent(location, l -> CheckpointHeaders.read(storage, l));
    }
}
