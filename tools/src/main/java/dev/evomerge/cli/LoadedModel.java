package dev.evomerge.cli;

import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.model.Devices;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;

/** A checkpoint (from any Hadoop path), its model on the chosen device and its tokenizer, closed together. */
record LoadedModel(Checkpoint checkpoint, Transformer model, Tokenizer tokenizer) implements AutoCloseable {

    static LoadedModel open(String location, String device) {
        CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), CheckpointCache.defaultRoot());
        Checkpoint c = Checkpoint.open(cache.localize(location));
        try {
            Transformer t = Transformer.load(c, Devices.parse(device));
            return new LoadedModel(c, t, Tokenizer.load(c.dir(), c.config()));
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    @Override
    public void close() {
        tokenizer.close();
        model.close();
        checkpoint.close();
    }
}
