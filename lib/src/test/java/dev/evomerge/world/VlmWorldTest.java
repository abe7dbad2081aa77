package dev.evomerge.world;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.Fixtures;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.JapaneseDetector;
import dev.evomerge.io.SafetensorsFile;
import dev.evomerge.io.Storage;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VlmWorldTest {
    private static final PrintStream QUIET = new PrintStream(java.io.OutputStream.nullOutputStream());
    private static final List<String> SETS = List.of("vlm_train.jsonl", "vqa_ja_fitness.jsonl", "vqa_ja_test.jsonl", "vqa_en_test.jsonl");

    /** The committed data is what conf/vlm-world.yaml draws: regenerated here, compared byte for byte. */
    @Test
    void theCommittedDataIsWhatTheConfigDraws(@TempDir Path tmp) throws Exception {
        VlmWorld.Settings s = VlmWorld.read(Path.of("../conf/vlm-world.yaml"));
        VlmWorld.writeData(s.withData(tmp), QUIET);
        for (String f : SETS) {
            assertArrayEquals(Files.readAllBytes(Path.of("../data/vlm-world").resolve(f)), Files.readAllBytes(tmp.resolve(f)), f);
        }
    }

    /**
     * The committed sets as the evaluation reads them: a Japanese test split of at least 500 with
     * Japanese references, and no picture in two sets (none of the evaluation's in training).
     */
    @Test
    void theSplitsAreJapaneseAndNoPictureIsInTwoSets() {
        Set<String> seen = new HashSet<>();
        int pictures = 0;
        for (String f : SETS) {
            List<EvalItem> items = Datasets.read(Storage.withDefaults(), Fixtures.data("vlm-world/" + f).toString());
            if (f.equals("vqa_ja_test.jsonl")) {
                assertTrue(items.size() >= 500, "a test split of at least 500, got " + items.size());
            }
            for (EvalItem item : items) {
                assertTrue(seen.add(Base64.getEncoder().encodeToString(item.image())), f + " item " + item.index() + ": a picture seen before");
                pictures++;
                if (f.startsWith("vqa_ja")) {
                    assertTrue(JapaneseDetector.isJapaneseScript(item.answerText()), item.answerText());
                    assertTrue(JapaneseDetector.isJapaneseScript(item.question()), item.question());
                }
            }
        }
        assertEquals(seen.size(), pictures);
    }

    /**
     * Each knob of the training mix gives its own form of item (the instruction it is asked in, the
     * question's and the answer's language), and word references are the answer's word alone.
     */
    @Test
    void theTrainingMixHasEachFormItsKnobAsks(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("world.yaml"), """
                seed: 4
                data: {out: data, picture_size: 16, captions: 3, english: 10, japanese_questions_answered_in_english: 5,
                       japanese_instruction_answered_in_english: 6, japanese_questions_answered_in_japanese: 7,
                       english_questions_in_japanese_instruction: 8, japanese_instruction_answered_in_japanese: 9,
                       vqa_ja_reference: word, vqa_ja_fitness: 4, vqa_ja_test: 6,
                       vqa_en_test: 2}
                vlm: {out: vlm, language_model: base, data: data/vlm_train.jsonl, stages: [{train: [projector], steps: 1}]}
                """);
        VlmWorld.writeData(VlmWorld.read(tmp.resolve("world.yaml")), QUIET);
        Map<String, Integer> forms = new TreeMap<>();
        for (String line : Files.readAllLines(tmp.resolve("data/vlm_train.jsonl"))) {
            JsonNode row = new ObjectMapper().readTree(line);
            String q = row.get("question").asText();
            String a = row.get("answer").asText();
            String form = (row.has("template") ? row.get("template").asText() : "default") + " / "
                    + (JapaneseDetector.isJapaneseScript(q) ? "ja" : "en") + " / "
                    + (a.startsWith("答えは") ? "ja" : a.startsWith("The answer is") ? "en" : "caption");
            forms.merge(form, 1, Integer::sum);
        }
        assertEquals(Map.of("default / en / caption", 3, "default / en / en", 10, "default / ja / en", 5, "ja-alpaca-cot / ja / en", 6,
                "default / ja / ja", 7, "ja-alpaca-cot / en / en", 8, "ja-alpaca-cot / ja / ja", 9), forms);
        for (String split : List.of("vqa_ja_fitness.jsonl", "vqa_ja_test.jsonl")) {
            for (EvalItem item : Datasets.read(Storage.withDefaults(), tmp.resolve("data").resolve(split).toString())) {
                String word = item.answerText();
                assertTrue(!word.contains("答え") && !word.endsWith("。") && word.length() <= 3 && JapaneseDetector.isJapaneseScript(word),
                        split + ": a word reference, got " + word);
            }
        }
        Files.writeString(tmp.resolve("bad.yaml"), Files.readString(tmp.resolve("world.yaml")).replace("reference: word", "reference: phrase"));
        Exception e = assertThrows(RuntimeException.class, () -> VlmWorld.read(tmp.resolve("bad.yaml")));
        assertTrue(e.getMessage().contains("vqa_ja_reference") && e.getMessage().contains("'phrase'"), e.getMessage());
    }

    /**
     * A world in small (a few dozen pictures, a tiny tower, a few steps) built twice from a real
     * language model: the same files; the tower learned (its weights left their initial values).
     */
    @Test
    void aSmallWorldBuildsTwiceToTheSameBytes(@TempDir Path tmp) throws Exception {
        String yaml = """
                seed: 4
                data: {out: data, picture_size: 16, captions: 8, english: 40, japanese_questions_answered_in_english: 8,
                       japanese_instruction_answered_in_english: 8, vqa_ja_fitness: 4,
                       vqa_ja_test: 6, vqa_en_test: 4}
                vlm:
                  out: models/vlm
                  language_model: %s
                  vision: {hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, patch_size: 8}
                  data: data/vlm_train.jsonl
                  stages:
                    - {train: [vision_tower, projector], steps: 3, batch_size: 8, max_length: 200, warmup_steps: 1,
                       learning_rate: 0.01, log_every: 1, seed: 3}
                    - {train: [projector, language_model], steps: 2, batch_size: 8, max_length: 200, warmup_steps: 1,
                       learning_rate: 0.01, log_every: 1, seed: 4}
                """.formatted(Fixtures.model("mini-world/base"));
        for (String copy : List.of("a", "b")) {
            Files.createDirectories(tmp.resolve(copy));
            Files.writeString(tmp.resolve(copy).resolve("world.yaml"), yaml);
            VlmWorld.build(VlmWorld.read(tmp.resolve(copy).resolve("world.yaml")), QUIET);
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(tmp.resolve("a"))) {
            files = walk.filter(Files::isRegularFile).map(p -> tmp.resolve("a").relativize(p)).sorted().toList();
        }
        assertTrue(files.contains(Path.of("models/vlm/preprocessor_config.json")), files.toString());
        for (Path f : files) {
            if (!f.getFileName().toString().equals("loss.png")) {
                assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(f)), Files.readAllBytes(tmp.resolve("b").resolve(f)),
                        f.toString());
            }
        }
        try (SafetensorsFile st = SafetensorsFile.open(tmp.resolve("a/models/vlm/model.safetensors"))) {
            float[] fc1 = dev.evomerge.io.TensorBytes.toFloats(st.bytes("vision_tower.vision_model.encoder.layers.0.mlp.fc1.bias"),
                    dev.evomerge.io.DType.F32, 32);
            assertTrue(Stream.of(0, 1, 2, 3).anyMatch(i -> fc1[i] != 0f), "biases start at 0: the tower was trained");
            float[] unused = dev.evomerge.io.TensorBytes.toFloats(st.bytes("vision_tower.vision_model.post_layernorm.bias"),
                    dev.evomerge.io.DType.F32, 16);
            assertFalse(Stream.of(0, 1, 2, 3).anyMatch(i -> unused[i] != 0f), "the final norm LLaVA never reads stays as it was");
            assertEquals(769, st.tensor("language_model.model.embed_tokens.weight").shape()[0], "768 tokens and <image>");
        }
        String tokenizer = Files.readString(tmp.resolve("a/models/vlm/tokenizer.json"));
        assertTrue(tokenizer.contains("\"id\":768,\"content\":\"<image>\""), "the image token is the tokenizer's");
        assertNotEquals(Files.readString(tmp.resolve("a/data/vqa_ja_test.jsonl")), Files.readString(tmp.resolve("a/data/vqa_ja_fitness.jsonl")));
    }

    /** A stage trains only what it names: after a stage of the tower and projector, the language model is the base's. */
    @Test
    void aStageLeavesWhatItDoesNotNameAsItWas(@TempDir Path tmp) throws Exception {
        Path base = Fixtures.model("mini-world/base");
        Files.writeString(tmp.resolve("world.yaml"), """
                seed: 4
                data: {out: data, picture_size: 16, english: 24, vqa_ja_fitness: 2, vqa_ja_test: 2, vqa_en_test: 2}
                vlm:
                  out: vlm
                  language_model: %s
                  vision: {hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, patch_size: 8}
                  data: data/vlm_train.jsonl
                  stages:
                    - {train: [vision_tower, projector], steps: 2, batch_size: 8, max_length: 200, warmup_steps: 1,
                       learning_rate: 0.01, log_every: 1, seed: 3}
                """.formatted(base));
        VlmWorld.build(VlmWorld.read(tmp.resolve("world.yaml")), QUIET);
        try (SafetensorsFile vlm = SafetensorsFile.open(tmp.resolve("vlm/model.safetensors"));
             SafetensorsFile lm = SafetensorsFile.open(base.resolve("model.safetensors"))) {
            for (var t : lm.tensors()) {
                float[] expected = dev.evomerge.io.TensorBytes.toFloats(lm.bytes(t.name()), t.dtype(), (int) t.numel());
                float[] actual = dev.evomerge.io.TensorBytes.toFloats(vlm.bytes("language_model." + t.name()), t.dtype(),
                        (int) vlm.tensor("language_model." + t.name()).numel());
                // the <image> row comes after the base's rows; q_proj is kept scaled by 1/sqrt(head_dim) in memory, so its
                // bytes may round back to a neighbouring float (one ulp): a trained weight moves by far more
                assertArrayEquals(expected, java.util.Arrays.copyOf(actual, expected.length), 1e-6f, t.name());
            }
            float[] projector = dev.evomerge.io.TensorBytes.toFloats(vlm.bytes("multi_modal_projector.linear_1.bias"),
                    dev.evomerge.io.DType.F32, (int) vlm.tensor("multi_modal_projector.linear_1.bias").numel());
            assertTrue(Stream.of(0, 1, 2, 3).anyMatch(i -> projector[i] != 0f), "the projector was trained");
        }
    }
}
