package dev.evomerge.cli;

import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.model.CausalLm;
import dev.evomerge.model.ComposedCheckpoint;
import dev.evomerge.model.Devices;
import dev.evomerge.model.LlavaVision;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A model from any Hadoop path, loaded on the chosen device, with its tokenizer, closed together:
 * a checkpoint (for a vision-language model also its vision tower, else {@code vision} is null),
 * or a composition directory (CALM: both parents and the trained cross-attentions).
 */
record LoadedModel(CausalLm model, Tokenizer tokenizer, LlavaVision vision, List<AutoCloseable> resources) implements AutoCloseable {

    static LoadedModel open(String location, String device) {
        CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), CheckpointCache.defaultRoot());
        Path dir = cache.localize(location);
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            if (ComposedCheckpoint.isComposition(dir)) {
                ComposedCheckpoint.Loaded c = ComposedCheckpoint.open(dir, cache::localize, Devices.parse(device));
                opened.add(c);
                Tokenizer tokenizer = Tokenizer.load(dir, c.anchorFiles().config());
                return new LoadedModel(c.composition(), tokenizer, null, List.of(tokenizer, c));
            }
            Checkpoint c = Checkpoint.open(dir);
            opened.add(c);
            Transformer t = Transformer.load(c, Devices.parse(device));
            opened.add(0, t);
            Tokenizer tokenizer = Tokenizer.load(c.dir(), c.config());
            opened.add(0, tokenizer);
            LlavaVision vision = c.vlm() == null ? null : new LlavaVision(c);
            if (vision != null) {
                opened.add(0, vision);
            }
            return new LoadedModel(t, tokenizer, vision, List.copyOf(opened));
        } catch (RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    @Override
    public void close() {
        closeAll(resources);
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                throw new IllegalStateException("cannot close " + r + ": " + e.getMessage(), e);
            }
        }
    }
}
