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

    /** scripts/eval --task vqa on a small LLaVA: the score line and per-item results with each answer's score. */
    @Test
    void evalScoresAVqaSetWithABootstrapInterval() throws IOException {
        Path vlm = dev.evomerge.TinyVlm.write(tmp.resolve("vlm"), Fixtures.model("stories260K"), 5);
        Path set = Fixtures.repoRoot().resolve("lib/src/test/resources/vqa/ja-vg-vqa-sample.parquet");
        Path results = tmp.resolve("results");
        String out = run(Eval::run, "--model", vlm.toString(), "--task", "vqa", "--template", "plain", "--data", set.toString(),
                "--max-new-tokens", "8", "--device", "cpu", "--out", results.toString());
        assertTrue(out.startsWith("task vqa (plain) on 3 items of " + set + "\nrougeL (x100)  "), out);
        assertTrue(out.contains("95% bootstrap interval ["), out);
        List<String> lines = Files.readAllLines(results.resolve("results.jsonl"));
        assertEquals(3, lines.size());
        com.fasterxml.jackson.databind.JsonNode first = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines.get(0));
        assertEquals("青い帯です。", first.get("reference").asText());
        assertEquals(new dev.evomerge.eval.VqaScore().score("青い帯です。", first.get("response").asText()), first.get("score").asDouble());
        assertEquals(first.get("response").asText().contains("青い帯です"), first.get("correct").asBoolean());
        assertTrue(out.contains("\nreference held "), out);
        String blind = run(Eval::run, "--model", model(), "--task", "vqa", "--data", set.toString(), "--device", "cpu");
        assertTrue(blind.contains("no vision tower: answered from the questions alone"), blind);
    }

    /** scripts/compose trains a composition from its config; scripts/eval and scripts/generate run it like a model. */
    @Test
    void aCompositionTrainsThenEvaluatesAndGeneratesLikeAModel() throws IOException {
        Path config = tmp.resolve("compose.yaml");
        Files.writeString(config, "out: composed\nanchor: " + Fixtures.model("mini-world/en-math") + "\naugmenting: "
                + Fixtures.model("mini-world/ja-general") + "\nlayers: {every: 2}\ndata: " + Fixtures.data("mini-world/mini_mgsm_ja_fitness.jsonl")
                + "\ntemplate: ja-alpaca-cot\nsteps: 3\nbatch_size: 4\nmax_length: 160\nlearning_rate: 0.01\nlog_every: 3\n");
        Path out = tmp.resolve("out");
        String trained = run(Compose::run, config.toString(), out.toString());
        assertTrue(trained.contains("composing out: anchor ") && trained.contains("2 cross-attention(s) [1<-1, 3<-3]"), trained);
        assertTrue(trained.contains(out + ": 164,096 new parameters"), trained);
        String eval = run(Eval::run, "--model", out.toString(), "--task", "mgsm", "--lang", "ja", "--max-new-tokens", "12", "--data",
                Fixtures.data("mini-world/mini_mgsm_ja_test.jsonl").toString(), "--limit", "4", "--device", "cpu");
        assertTrue(eval.contains("on 4 items of") && eval.contains("accuracy (ja)"), eval);
        String generated = run(Generate::run, "--model", out.toString(), "--prompt", "みさきは", "--max-new-tokens", "5", "--device", "cpu");
        assertFalse(generated.isBlank(), "it continues the prompt");
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
    void evalPrintsAccuracyWithItsIntervalAndWritesPerItemResults() throws IOException {
        String data = Fixtures.data("mgsm/mgsm_ja.tsv").toString();
        Path out = tmp.resolve("eval");
        String printed = run(Eval::run, "--model", Fixtures.model("stories260K-ja").toString(), "--task", "mgsm", "--lang", "ja",
                "--data", data, "--limit", "3", "--max-new-tokens", "8", "--out", out.toString(), "--device", "cpu");
        assertTrue(printed.contains("task mgsm-ja (ja-alpaca-cot) on 3 items"), printed);
        assertTrue(printed.contains("accuracy       0.0000  95% CI [0.0000, 0.5615]  (0/3)  -- small set"), printed);
        assertTrue(printed.contains("accuracy (ja)  "), printed);
        List<String> lines = Files.readAllLines(out.resolve("results.jsonl"));
        assertEquals(3, lines.size());
        // With the byte-level stories tokenizer the Japanese template is longer than the model's 512
        // positions: the item is answered by no one and recorded as such, and the evaluation goes on.
        assertTrue(lines.get(0).contains("\"reference\":\"18\"") && lines.get(0).contains("exceeds max_position_embeddings 512"),
                lines.get(0));

        String loss = run(Eval::run, "--model", Fixtures.model("stories260K-ja").toString(), "--task", "likelihood",
                "--data", data, "--split", "range:0:4", "--device", "cpu");
        assertTrue(loss.lines().anyMatch(l -> l.matches("mean_loss=\\d+\\.\\d{6} tokens=\\d+")), loss);
    }

    @Test
    void unknownOptionsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(Generate::run, "--model", model(), "--temperature", "0.7"));
        assertTrue(e.getMessage().startsWith("generate: unknown option '--temperature'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
