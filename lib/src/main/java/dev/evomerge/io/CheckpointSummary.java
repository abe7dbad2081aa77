package dev.evomerge.io;

import java.io.Serializable;
import java.util.Locale;

/** What a checkpoint is, in one row: enough to check that parents agree before loading weights. */
public record CheckpointSummary(
        String location,
        String modelType,
        int layers,
        int hiddenSize,
        int vocabSize,
        long parameters,
        long weightBytes,
        int weightFiles) implements Serializable {

    /** Localizes (through the cache) and validates the checkpoint at {@code location}. */
    public static CheckpointSummary of(String location, CheckpointCache cache) {
        try (Checkpoint c = Checkpoint.open(cache.localize(location))) {
            ModelConfig cfg = c.config();
            return new CheckpointSummary(location, cfg.modelType(), cfg.numHiddenLayers(), cfg.hiddenSize(),
                    cfg.vocabSize(), c.parameterCount(), c.weightBytes(), c.weightFiles().size());
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: %s, %d layers, hidden %d, vocab %d, %,d parameters in %d file(s)",
                location, modelType, layers, hiddenSize, vocabSize, parameters, weightFiles);
    }
}
