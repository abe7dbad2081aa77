package dev.evomerge.world;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.model.Generator;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The mini world's checkpoints as Hugging Face reads them: transformers' AutoTokenizer and
 * AutoModelForCausalLM loaded each model evomerge trained (scripts/golden/mini_world_hf.py), and
 * evomerge's tokenizer, engine and greedy generator agree with what they gave: the same ids, the
 * same last-position logits, the same continuation.
 */
class MiniWorldGoldenTest {
    private static final Path MODELS = Path.of("../models/mini-world");

    @Test
    void transformersReadsTheTrainedCheckpointsAsEvomergeRunsThem() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(getClass().getResourceAsStream("/mini-world-hf.json"));
        List<String> prompts = new ArrayList<>();
        golden.get("prompts").forEach(p -> prompts.add(p.asText()));
        for (var entry : (Iterable<java.util.Map.Entry<String, JsonNode>>) golden.get("models")::fields) {
            Path dir = MODELS.resolve(entry.getKey());
            try (Checkpoint c = Checkpoint.open(dir); Transformer model = Transformer.load(c, Device.cpu());
                 Tokenizer t = Tokenizer.load(dir, c.config())) {
                int v = c.config().vocabSize();
                List<Generator.Result> answers = new Generator(model, t).generateText(prompts, Generator.Options.greedy(40));
                for (int i = 0; i < prompts.size(); i++) {
                    JsonNode row = entry.getValue().get(i);
                    String where = entry.getKey() + ", prompt " + i;
                    long[] ids = t.encode(prompts.get(i));
                    assertArrayEquals(longs(row.get("ids")), ids, where + ": token ids");
                    float[] logits = model.logits(ids);
                    float[] last = Arrays.copyOfRange(logits, (ids.length - 1) * v, ids.length * v);
                    float[] expected = new float[v];
                    for (int j = 0; j < v; j++) {
                        expected[j] = (float) row.get("last_logits").get(j).asDouble();
                    }
                    assertArrayEquals(expected, last, 2e-3f, where + ": last-position logits");
                    long[] greedy = longs(row.get("greedy"));
                    if (greedy.length > 0 && greedy[greedy.length - 1] == 2) {
                        greedy = Arrays.copyOf(greedy, greedy.length - 1); // evomerge reports the tokens before EOS
                    }
                    assertArrayEquals(greedy, answers.get(i).tokens(), where + ": greedy continuation");
                    assertEquals(row.get("text").asText(), answers.get(i).text(), where + ": decoded text");
                }
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
}
