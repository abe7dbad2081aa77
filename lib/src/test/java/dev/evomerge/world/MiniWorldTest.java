package dev.evomerge.world;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MiniWorldTest {
    private static final PrintStream QUIET = new PrintStream(java.io.OutputStream.nullOutputStream());
    private static final List<String> SETS = List.of("pretraining.jsonl", "en_math.jsonl", "ja_general.jsonl",
            "mini_mgsm_ja_fitness.jsonl", "mini_mgsm_ja_test.jsonl");

    /** The committed data is what conf/mini-world.yaml draws: regenerated here, compared byte for byte. */
    @Test
    void theCommittedDataIsWhatTheConfigDraws(@TempDir Path tmp) throws Exception {
        MiniWorld.Settings s = MiniWorld.read(Path.of("../conf/mini-world.yaml"));
        MiniWorld.Settings here = new MiniWorld.Settings(s.seed(), tmp, s.documents(), s.linesPerDocument(), s.enGeneral(),
                s.jaAnsweredInEnglish(), s.enMath(), s.enMathFromJapanese(),
                s.jaGeneral(), s.fitness(), s.test(), s.tokenizer(), s.vocabSize(), s.tokenizerSample(), s.training());
        MiniWorld.writeData(here, QUIET);
        for (String f : SETS) {
            assertArrayEquals(Files.readAllBytes(Path.of("../data/mini-world").resolve(f)), Files.readAllBytes(tmp.resolve(f)), f);
        }
        assertEquals(500, Files.readAllLines(tmp.resolve("mini_mgsm_ja_test.jsonl")).size(), "a test split of 500 problems");
    }

    /** A world in small (a few hundred texts, a tiny model, a few steps), built twice from nothing: the same files. */
    @Test
    void aSmallWorldBuildsTwiceToTheSameBytes(@TempDir Path tmp) throws Exception {
        String yaml = """
                seed: 3
                data: {out: data, pretraining_documents: 300, lines_per_document: 2, en_math: 120, ja_general: 120,
                       mini_mgsm_ja_fitness: 10, mini_mgsm_ja_test: 20}
                tokenizer: {out: models/tokenizer, vocab_size: 500}
                train:
                  - {out: models/base, data: data/pretraining.jsonl, steps: 6, batch_size: 8, max_length: 200, seed: 1, log_every: 2,
                     init: {hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 2,
                            max_position_embeddings: 200}}
                  - {out: models/en-math, data: data/en_math.jsonl, template: en-alpaca-cot, init: {from: models/base},
                     steps: 4, batch_size: 8, max_length: 200, seed: 2, log_every: 2}
                """;
        for (String copy : List.of("a", "b")) {
            Files.createDirectories(tmp.resolve(copy));
            Files.writeString(tmp.resolve(copy).resolve("world.yaml"), yaml);
            MiniWorld.Report r = MiniWorld.build(MiniWorld.read(tmp.resolve(copy).resolve("world.yaml")), QUIET);
            assertEquals(2, r.runs().size());
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(tmp.resolve("a"))) {
            files = walk.filter(Files::isRegularFile).map(p -> tmp.resolve("a").relativize(p)).sorted().toList();
        }
        assertTrue(files.contains(Path.of("models/en-math/model.safetensors")), files.toString());
        assertTrue(files.contains(Path.of("models/tokenizer/tokenizer.json")), files.toString());
        for (Path f : files) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(f)), Files.readAllBytes(tmp.resolve("b").resolve(f)),
                    f.toString());
        }
    }
}
