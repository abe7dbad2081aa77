package dev.evomerge.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.evomerge.Fixtures;
import dev.evomerge.TinyVlm;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.Storage;
import dev.evomerge.model.Djl;
import dev.evomerge.model.Llava;
import dev.evomerge.model.LlavaImage;
import dev.evomerge.model.LlavaVision;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import dev.evomerge.vision.ImagePreprocessor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VQA task end to end on a small LLaVA that speaks through a real tokenizer ({@link TinyVlm}:
 * stories260K behind a tiny CLIP tower): the batched evaluation (left-padded prompts, each row's
 * image features in its own image tokens) against each item generated alone by
 * {@link Llava#generate}, unpadded; the score against the scorer applied by hand.
 */
class VqaEvaluationTest {
    @TempDir
    Path tmp;

    static {
        Djl.init();
    }

    @Test
    void batchedAnswersAreEachItemsOwnAndScoredByTheRule() throws Exception {
        Path dir = TinyVlm.write(tmp.resolve("vlm"), Fixtures.model("stories260K"), 5);
        List<EvalItem> items = Datasets.read(Storage.withDefaults(), Path.of("src/test/resources/vqa/ja-vg-vqa-sample.parquet").toString());
        VqaTask task = VqaTask.of("plain", 12);
        try (Checkpoint vlm = Checkpoint.open(dir); LlavaVision vision = new LlavaVision(vlm);
             Transformer lm = Transformer.load(vlm, Device.cpu()); Tokenizer tokenizer = Tokenizer.load(dir, vlm.config())) {
            List<ItemResult> batched = new Evaluator(lm, tokenizer, 3, vision).run(task, items);
            List<ItemResult> single = new Evaluator(lm, tokenizer, 1, vision).run(task, items);
            VqaScore scorer = new VqaScore();
            Llava llava = Llava.of(vision, lm);
            double total = 0;
            for (int i = 0; i < items.size(); i++) {
                EvalItem item = items.get(i);
                LlavaImage image = vision.prepare(ImagePreprocessor.decode(item.image()));
                long[] ids;
                try (NDManager m = NDManager.newBaseManager()) {
                    int n = (int) vision.features(m, image).getShape().get(0);
                    assertEquals(16, n, "a 16x16 image in 4x4 patches, the class token dropped");
                    ids = task.promptIds(tokenizer, item, TinyVlm.IMAGE_TOKEN, n);
                }
                long[] bos = tokenizer.encode("", true); // the plain template: the image first, then the question
                assertArrayEquals(bos, Arrays.copyOf(ids, bos.length));
                assertTrue(Arrays.stream(ids, bos.length, bos.length + 16).allMatch(id -> id == TinyVlm.IMAGE_TOKEN));
                assertEquals(16, Arrays.stream(ids).filter(id -> id == TinyVlm.IMAGE_TOKEN).count());
                assertArrayEquals(tokenizer.encode("\n" + item.question() + "\n", false), Arrays.copyOfRange(ids, bos.length + 16,
                        ids.length));
                String alone = tokenizer.decode(llava.generate(ids, image, 12));
                for (String stop : task.stopStrings()) {
                    alone = alone.contains(stop) ? alone.substring(0, alone.indexOf(stop)) : alone;
                }
                assertEquals(alone.strip(), batched.get(i).response(), "item " + i + " in a padded batch of 3");
                assertEquals(alone.strip(), single.get(i).response(), "item " + i + " alone");
                assertEquals(scorer.score(item.answerText(), alone.strip()), batched.get(i).score(), 0.0);
                assertEquals(item.answerText(), batched.get(i).reference());
                total += batched.get(i).score();
            }
            assertTrue(batched.stream().anyMatch(r -> !r.response().isEmpty()), "it says something");
            Summary s = Summary.of(batched);
            assertEquals(total / items.size(), s.meanScore(), 1e-12);
            assertEquals(s.meanScore(), new TaskSpec("vqa", "vqa", "x", "all", null, "plain", 12).metric(s), 0.0);

            // Without a vision tower the model answers from the question alone: the template without the image, greedy.
            List<ItemResult> blind = new Evaluator(lm, tokenizer, 2).run(task, items);
            for (int i = 0; i < items.size(); i++) {
                String prompt = task.textOnlyPrompt(items.get(i));
                assertFalse(prompt.contains(VqaTask.IMAGE), prompt);
                String alone = tokenizer.decode(new dev.evomerge.model.Generator(lm, tokenizer).generate(
                        List.of(tokenizer.encode(prompt, true)), dev.evomerge.model.Generator.Options.greedy(12)).get(0).tokens());
                for (String stop : task.stopStrings()) {
                    alone = alone.contains(stop) ? alone.substring(0, alone.indexOf(stop)) : alone;
                }
                assertEquals(alone.strip(), blind.get(i).response(), "item " + i + " without its image");
            }
        }
    }

    /** The likelihood task on a VQA set with a VLM: the loss of the text given the image, batched, against one unpadded forward by hand. */
    @Test
    void likelihoodOfTheTextGivenTheImageIsTheForwardsOwn() throws Exception {
        Path dir = TinyVlm.write(tmp.resolve("vlm"), Fixtures.model("stories260K"), 5);
        List<EvalItem> items = Datasets.read(Storage.withDefaults(), Path.of("src/test/resources/vqa/ja-vg-vqa-sample.parquet").toString());
        LikelihoodTask task = new LikelihoodTask();
        try (Checkpoint vlm = Checkpoint.open(dir); LlavaVision vision = new LlavaVision(vlm);
             Transformer lm = Transformer.load(vlm, Device.cpu()); Tokenizer tokenizer = Tokenizer.load(dir, vlm.config())) {
            List<ItemResult> batched = new Evaluator(lm, tokenizer, 3, vision).run(task, items);
            List<ItemResult> textOnly = new Evaluator(lm, tokenizer, 3).run(task, items);
            Llava llava = Llava.of(vision, lm);
            for (int i = 0; i < items.size(); i++) {
                LlavaImage image = vision.prepare(ImagePreprocessor.decode(items.get(i).image()));
                long[] text = tokenizer.encode("\n" + LikelihoodTask.text(items.get(i)), false);
                long[] ids = new long[1 + 16 + text.length];
                Arrays.fill(ids, TinyVlm.IMAGE_TOKEN);
                ids[0] = tokenizer.bosId();
                System.arraycopy(text, 0, ids, 17, text.length);
                double loss = 0;
                try (NDManager m = NDManager.newBaseManager()) {
                    float[] logp = llava.logits(m, ids, image).logSoftmax(-1).toFloatArray();
                    int v = 512;
                    for (int t = 17; t < ids.length; t++) {
                        loss -= logp[(t - 1) * v + (int) ids[t]];
                    }
                }
                assertEquals(text.length, batched.get(i).tokens());
                assertEquals(loss, batched.get(i).loss(), 1e-3 * text.length, "item " + i);
                assertTrue(Math.abs(batched.get(i).loss() - textOnly.get(i).loss()) > 1e-3, "the image changes the loss");
            }
        }
    }
}
