package dev.evomerge.cli;

import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.model.Devices;
import dev.evomerge.model.LlavaVision;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;

/**
 * A checkpoint (from any Hadoop path), its model on the chosen device and its tokenizer, and for a
 * vision-language model its vision tower (else null), closed together.
 */
record LoadedModel(Checkpoint checkpoint, Transformer model, Tokenizer tokenizer, LlavaVision vision) implements AutoCloseable {

    static LoadedModel open(String location, String device) {
        CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), CheckpointCache.defaultRoot());
        Checkpoint c = Checkpoint.open(cache.localize(location));
        try {
            Transformer t = Transformer.load(c, Devices.parse(device));
            try {
                return new LoadedModel(c, t, Tokenizer.load(c.dir(), c.config()), c.vlm() == null ? null : new LlavaVision(c));
            } catch (RuntimeException e) {
                t.close();
                throw e;
            }
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    @Override
    public void close() {
        tokenizer.close();
        model.close();
        if (vision != null) {
            vision.close();
        }
        checkpoint.close();
    }
}
