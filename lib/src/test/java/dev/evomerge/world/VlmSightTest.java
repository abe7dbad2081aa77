package dev.evomerge.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.evomerge.eval.BootstrapInterval;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.ItemResult;
import dev.evomerge.eval.OtherPictures;
import dev.evomerge.eval.VqaTask;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.Storage;
import dev.evomerge.model.LlavaVision;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sight check ({@link OtherPictures}) on the committed models: the VLM world's LLaVA reads the
 * picture (on the English test its answers hold the reference less often when each question is
 * asked about another item's picture), and JA general, which has no eyes, answers the same either way.
 */
class VlmSightTest {
    private static final int ITEMS = 80;

    @Test
    void theVlmSeesAndTheBlindModelDoesNot() {
        List<EvalItem> english = Datasets.read(Storage.withDefaults(), "../data/vlm-world/vqa_en_test.jsonl").subList(0, ITEMS);
        Path vlm = Path.of("../models/vlm-world/vlm");
        try (Checkpoint c = Checkpoint.open(vlm); LlavaVision vision = new LlavaVision(c); Transformer lm = Transformer.load(c, Device.cpu());
             Tokenizer t = Tokenizer.load(vlm, c.config())) {
            Evaluator e = new Evaluator(lm, t, 16, vision);
            VqaTask task = VqaTask.of("en-alpaca-cot", 16);
            BootstrapInterval drop = OtherPictures.drop(e.run(task, english), e.run(task, OtherPictures.of(english)));
            assertTrue(drop.low() > 0, "the VLM's answers depend on its picture: " + drop);
        }
        List<EvalItem> japanese = Datasets.read(Storage.withDefaults(), "../data/vlm-world/vqa_ja_test.jsonl").subList(0, ITEMS);
        Path ja = Path.of("../models/mini-world/ja-general");
        try (Checkpoint c = Checkpoint.open(ja); Transformer lm = Transformer.load(c, Device.cpu()); Tokenizer t = Tokenizer.load(ja, c.config())) {
            Evaluator e = new Evaluator(lm, t, 16, null);
            VqaTask task = VqaTask.of("ja-alpaca-cot", 24);
            List<ItemResult> own = e.run(task, japanese);
            List<ItemResult> others = e.run(task, OtherPictures.of(japanese));
            for (int i = 0; i < ITEMS; i++) {
                assertEquals(own.get(i).response(), others.get(i).response(), "a model without eyes answers item " + i + " the same");
            }
            assertEquals(0.0, OtherPictures.drop(own, others).mean(), 0.0);
        }
    }
}
