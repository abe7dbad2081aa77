package dev.evomerge.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.Fixtures;
import dev.evomerge.io.SafetensorsFile;
import dev.evomerge.model.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inspect, generate, forward and score commands on the bundled models. */
class ModelCommandsTest {
    @TempDir
    Path tmp;

    private static String run(BiConsumer<String[], PrintStream> command, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        command.accept(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String model() {
        return Fixtures.model("stories260K").toString();
    }

    @Test
    void inspectPrintsTheParameterCount() {
        String out = run(Inspect::run, model());
        assertTrue(out.contains("parameters  260,032"), out);
        assertTrue(out.contains("model.layers.4.mlp.down_proj.weight"), out);
    }

    @Test
    void generatePrintsTheGreedyCompletion() {
        String out = run(Generate::run, "--model", model(), "--prompt", "Once upon a time", "--max-new-tokens", "12",
                "--device", "cpu");
        // The golden BOS-only text continues "Once upon a time, there was a little girl named Lily."
        assertTrue(out.startsWith(", there was a little girl named"), out);
    }

    @Test
    void forwardWritesLogitsOfEveryToken() throws IOException {
        Path file = tmp.resolve("logits.safetensors");
        run(Forward::run, "--model", model(), "--token-ids", "1,403,407", "--out", file.toString(), "--device", "cpu");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new long[] {3, 512}, f.tensor("logits").shape());
            float[] logits = f.floats("logits");
            // Greedy from BOS is 403 then 407 (golden): the argmax of rows 0 and 1.
            assertEquals(403, argmax(logits, 0, 512));
            assertEquals(407, argmax(logits, 1, 512));
        }
        try (var left = Files.list(tmp)) {
            assertEquals(List.of("logits.safetensors"), left.map(p -> p.getFileName().toString()).toList());
        }
    }

    private static int argmax(float[] flat, int row, int width) {
        int best = 0;
        for (int i = 1; i < width; i++) {
            if (flat[row * width + i] > flat[row * width + best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void scoreCountsTokensAsDocumented() throws IOException {
        Path data = tmp.resolve("d.jsonl");
        Files.writeString(data, "{\"text\": \"Once upon a time\"}\n\n{\"prompt\": \"Lily was\", \"completion\": \" happy.\"}\n");
        String out = run(Score::run, "--model", model(), "--data", data.toString(), "--device", "cpu");
        String last = out.strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.matches("mean_loss=\\d+\\.\\d{6} tokens=\\d+"), last);
        int expectedTokens;
        try (Tokenizer tok = Tokenizer.load(Fixtures.model("stories260K"), (Integer) null)) {
            expectedTokens = tok.encode("Once upon a time", false).length
                    + tok.encode("Lily was happy.").length - tok.encode("Lily was").length;
        }
        assertEquals("tokens=" + expectedTokens, last.split(" ")[1]);
        double loss = Double.parseDouble(last.split(" ")[0].substring("mean_loss=".length()));
        assertTrue(loss > 0 && loss < Math.log(512), "a trained model beats uniform guessing: " + loss);

        Files.writeString(data, "{\"text\": \"fine\"}\n{\"question\": \"no\"}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(Score::run, "--model", model(), "--data", data.toString(), "--device", "cpu"));
        assertEquals(data + ":2: needs a string \"text\", or string \"prompt\" and \"completion\"", e.getMessage());
    }

    @Test
    void unknownOptionsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(Generate::run, "--model", model(), "--temperature", "0.7"));
        assertTrue(e.getMessage().startsWith("generate: unknown option '--temperature'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
