package dev.evomerge.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.evomerge.eval.DatasetException;
import dev.evomerge.eval.VqaTask;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.Storage;
import dev.evomerge.model.Llava;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.vision.ImagePreprocessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training loss of a batch whose prompts put the image at different places (an English and a
 * Japanese instruction, named per line) against an independent computation: each row's answer
 * log-likelihood from the inference path ({@link Llava#logits}, which splices one image's
 * features into one prompt), summed over the answers' tokens and EOS and averaged.
 */
class VlmTrainerLossTest {
    private static final Path VLM = Path.of("../models/vlm-world/vlm");

    @Test
    void aBatchOfTwoTemplatesHasTheLossOfItsRowsRunOneByOne(@TempDir Path tmp) throws Exception {
        List<String> lines = Files.readAllLines(Path.of("../data/vlm-world/vqa_ja_fitness.jsonl")).subList(0, 2);
        String japanese = lines.get(1).replaceFirst("\\}$", ",\"template\":\"ja-alpaca-cot\"}");
        Files.write(tmp.resolve("mixed.jsonl"), List.of(lines.get(0), japanese));
        try (Llava llava = Llava.open(VLM); Checkpoint c = Checkpoint.open(VLM); Tokenizer t = Tokenizer.load(VLM, c.config());
             NDManager m = NDManager.newBaseManager()) {
            int imageTokens = llava.vision().featureCount(32, 32);
            long eos = c.config().eosTokenIds().get(0);
            TrainingSet set = TrainingSet.readVqa(Storage.withDefaults(), tmp.resolve("mixed.jsonl").toString(), t,
                    VqaTask.of("en-alpaca-cot", 0), llava.imageTokenId(), imageTokens, 256, eos);
            TrainingSet.Batch batch = set.batches(2, 1, eos).next();
            assertNotEquals(firstImageToken(batch.ids()[0], llava.imageTokenId()), firstImageToken(batch.ids()[1], llava.imageTokenId()),
                    "the two templates put the image at different places");
            ImagePreprocessor preprocessor = ImagePreprocessor.read(VLM.resolve("preprocessor_config.json"));
            double loss = VlmTrainer.loss(m, batch, llava.languageModel(), llava.vision().tower(), llava.vision().projector(),
                    preprocessor, llava.imageTokenId(), imageTokens).getFloat();

            double nll = 0;
            int targets = 0;
            for (int b = 0; b < 2; b++) {
                long[] ids = batch.ids()[b];
                NDArray logp = llava.logits(m, ids, llava.prepare(ImagePreprocessor.decode(batch.images().get(b)))).logSoftmax(-1);
                for (int i = 1; i < ids.length; i++) {
                    if (batch.weights()[b][i] > 0) {
                        nll -= logp.getFloat(i - 1, ids[i]);
                        targets++;
                    }
                }
            }
            assertEquals(nll / targets, loss, 1e-4, "mean negative log-likelihood of the answers");
        }
    }

    /** A line naming a template there is not: one line naming the file, the item and the field. */
    @Test
    void aLineNamingAnUnknownTemplateIsRefused(@TempDir Path tmp) throws Exception {
        String line = Files.readAllLines(Path.of("../data/vlm-world/vqa_ja_fitness.jsonl")).get(0);
        Files.writeString(tmp.resolve("bad.jsonl"), line.replaceFirst("\\}$", ",\"template\":\"nope\"}") + "\n");
        try (Checkpoint c = Checkpoint.open(VLM); Tokenizer t = Tokenizer.load(VLM, c.config())) {
            DatasetException e = assertThrows(DatasetException.class, () -> TrainingSet.readVqa(Storage.withDefaults(),
                    tmp.resolve("bad.jsonl").toString(), t, VqaTask.of("en-alpaca-cot", 0), 768, 16, 256, 2));
            assertTrue(e.getMessage().contains("bad.jsonl") && e.getMessage().contains("item 1: field 'template': unknown VQA template 'nope'"),
                    e.getMessage());
        }
    }

    private static int firstImageToken(long[] ids, long imageToken) {
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == imageToken) {
                at.add(i);
            }
        }
        return at.get(0);
    }
}
