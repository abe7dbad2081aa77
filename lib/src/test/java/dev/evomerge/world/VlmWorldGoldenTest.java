package dev.evomerge.world;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.VqaTask;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.Storage;
import dev.evomerge.model.Llava;
import dev.evomerge.model.LlavaImage;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.vision.ImagePreprocessor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The VLM world's LLaVA as Hugging Face reads it: transformers' LlavaForConditionalGeneration,
 * AutoTokenizer and AutoImageProcessor loaded the checkpoint evomerge trained
 * (scripts/golden/vlm_world_hf.py), and evomerge's VQA prompt, image preprocessing, LLaVA forward
 * and greedy generation agree with what they gave on English and Japanese items.
 */
class VlmWorldGoldenTest {
    private static final Path VLM = Path.of("../models/vlm-world/vlm");

    @Test
    void transformersReadsTheTrainedLlavaAsEvomergeRunsIt() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(getClass().getResourceAsStream("/vlm-world-hf.json"));
        try (Llava llava = Llava.open(VLM); Checkpoint c = Checkpoint.open(VLM); Tokenizer t = Tokenizer.load(VLM, c.config())) {
            int v = c.config().vocabSize();
            for (JsonNode row : golden.get("items")) {
                String where = row.get("set").asText() + " item " + row.get("index").asInt();
                List<EvalItem> items = Datasets.read(Storage.withDefaults(), Path.of("../data/vlm-world").resolve(row.get("set").asText())
                        .toString());
                EvalItem item = items.get(row.get("index").asInt());
                LlavaImage image = llava.prepare(ImagePreprocessor.decode(item.image()));
                assertArrayEquals(floats(row.get("pixels")), image.tiles().get(0), 1e-5f, where + ": pixel values");
                long[] ids = VqaTask.of(row.get("template").asText(), 16).promptIds(t, item, llava.imageTokenId(),
                        llava.vision().featureCount(32, 32));
                assertArrayEquals(longs(row.get("ids")), ids, where + ": prompt ids");
                float[] last;
                try (NDManager m = NDManager.newBaseManager()) {
                    NDArray logits = llava.logits(m, ids, image);
                    last = logits.get(ids.length - 1).toFloatArray();
                }
                assertEquals(v, last.length);
                assertArrayEquals(floats(row.get("last_logits")), last, 2e-3f, where + ": last-position logits");
                long[] greedy = longs(row.get("greedy"));
                if (greedy.length > 0 && greedy[greedy.length - 1] == 2) {
                    greedy = Arrays.copyOf(greedy, greedy.length - 1); // evomerge reports the tokens before EOS
                }
                assertArrayEquals(greedy, llava.generate(ids, image, 16), where + ": greedy continuation");
            }
        }
    }

    private static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    private static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) a.get(i).asDouble();
        }
        return out;
    }
}
