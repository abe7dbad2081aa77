package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.Fixtures;
import dev.evomerge.io.Checkpoint;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * The bundled real models reproduce their golden greedy outputs exactly: the base's from
 * llama2.c's run.c (which reproduces Karpathy's published sample), the fine-tunes' from an
 * independent PyTorch forward.
 */
class GoldenGenerationTest {

    private static long[] ids(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToLong(JsonNode::asLong).toArray();
    }

    /** Greedy continuation of {@code prompt} until the whole sequence has {@code total} tokens. */
    private static long[] greedy(String model, long[] prompt, int total) {
        try (Checkpoint c = Checkpoint.open(Fixtures.model(model));
             Transformer t = Transformer.load(c, Device.cpu());
             Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
            Generator.Result r = new Generator(t, tok).generate(List.of(prompt),
                    new Generator.Options(total - prompt.length, List.of(), false)).get(0);
            long[] all = Arrays.copyOf(prompt, prompt.length + r.tokens().length);
            System.arraycopy(r.tokens(), 0, all, prompt.length, r.tokens().length);
            return all;
        }
    }

    @Test
    void baseModelReproducesTheGolden120TokensFromBos() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(Fixtures.model("stories260K").resolve("golden_greedy_120.json").toFile());
        long[] expected = ids(golden.get("greedy_ids"));
        assertArrayEquals(expected, greedy("stories260K", new long[] {1}, expected.length));
        try (Checkpoint c = Checkpoint.open(Fixtures.model("stories260K"));
             Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
            assertEquals(golden.get("text").asText(), tok.decode(Arrays.copyOfRange(expected, 1, expected.length)));
        }
    }

    @Test
    void fineTunesReproduceTheirGoldenOutputs() throws IOException {
        JsonNode all = new ObjectMapper().readTree(Fixtures.repoRoot().resolve("models/golden_greedy_finetunes.json").toFile());
        for (String model : List.of("stories260K-math", "stories260K-ja")) {
            JsonNode g = all.get(model);
            long[] prompt = ids(g.get("prompt_ids"));
            try (Checkpoint c = Checkpoint.open(Fixtures.model(model));
                 Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
                assertArrayEquals(prompt, tok.encode(g.get("prompt").asText()), model + " prompt tokens");
            }
            long[] expected = ids(g.get("greedy_ids_100"));
            assertArrayEquals(expected, greedy(model, prompt, expected.length), model + " prompted");
            long[] unconditional = ids(g.get("unconditional_greedy_ids_60"));
            assertArrayEquals(unconditional, greedy(model, new long[] {1}, unconditional.length), model + " from BOS");
        }
    }
}
