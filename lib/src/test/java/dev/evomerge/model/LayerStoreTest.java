package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import dev.evomerge.Fixtures;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.Split;
import dev.evomerge.eval.TaskSpec;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.Storage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Views of a shared store: each layer loaded once, nothing left behind when a view is used and closed, each view its own path. */
class LayerStoreTest {
    private static final long[] TOKENS = {1, 403, 407, 261, 32, 290, 77, 301};

    private static LayerPath path(int... modelLayerPairs) {
        List<LayerPath.Step> steps = new java.util.ArrayList<>();
        for (int i = 0; i < modelLayerPairs.length; i += 2) {
            steps.add(new LayerPath.Step(modelLayerPairs[i], modelLayerPairs[i + 1], 1 + i * 0.05));
        }
        return new LayerPath(steps, 0);
    }

    @Test
    void viewsShareTheLoadedLayersAndLeaveNothingBehind() {
        TaskSpec task = new TaskSpec("en", "likelihood", Fixtures.data("mgsm/mgsm_en.tsv").toString(), "range:0:6", null, null, 16);
        List<EvalItem> items = Split.parse(task.split()).select(Datasets.read(Storage.withDefaults(), task.data()));
        try (Checkpoint a = Checkpoint.open(Fixtures.model("stories260K-ja"));
             Checkpoint b = Checkpoint.open(Fixtures.model("stories260K-math"));
             Tokenizer tokenizer = Tokenizer.load(a.dir(), a.config());
             LayerStore store = LayerStore.open(List.of(WeightSource.of(a), WeightSource.of(b)), Device.cpu())) {
            LayerPath first = path(0, 0, 1, 2, 0, 2, 1, 2, 0, 4);
            float[] expected;
            try (Transformer own = Transformer.load(List.of(WeightSource.of(a), WeightSource.of(b)), first, Device.cpu())) {
                expected = own.logits(TOKENS);
            }
            try (Transformer view = store.transformer(first)) {
                assertArrayEquals(expected, view.logits(TOKENS));
            }
            assertEquals(4, store.loadedLayers()); // A0, B2, A2, A4: B2, visited twice, is loaded once
            int weights = ((BaseNDManager) store.manager()).getManagedArrays().size();
            for (int round = 0; round < 3; round++) {
                try (Transformer view = store.transformer(path(0, 0, 1, 2, 0, 4))) {
                    new Evaluator(view, tokenizer, 4).run(task.toTask(), items);
                    view.logits(TOKENS);
                }
            }
            assertEquals(4, store.loadedLayers()); // layers already there: nothing new loaded
            assertEquals(weights, ((BaseNDManager) store.manager()).getManagedArrays().size(), "arrays left in the store");
            try (Transformer again = store.transformer(first)) {
                assertArrayEquals(expected, again.logits(TOKENS)); // a closed view took nothing of the store with it
            }
        }
    }
}
