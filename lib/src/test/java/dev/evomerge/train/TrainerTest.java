package dev.evomerge.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.eval.MgsmTask;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.model.Generator;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import dev.evomerge.world.MiniWorldData;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    private static final Path STORIES = Path.of("../models/stories260K");
    private static final PrintStream QUIET = new PrintStream(java.io.OutputStream.nullOutputStream());

    @TempDir
    static Path shared;
    static Path tokenizer;
    static Path questions;

    /** A tokenizer learned from a little of the mini world's text, and eight Japanese questions to learn by heart. */
    @BeforeAll
    static void world() throws Exception {
        List<MiniWorldData.Example> examples = MiniWorldData.jaGeneral(3, 8);
        List<String> corpus = new ArrayList<>(MiniWorldData.pretraining(1, 200, 2, java.util.Set.of()));
        examples.forEach(e -> corpus.add(MgsmTask.JA_ALPACA_COT.replace("{input}", e.question()) + e.answer()));
        tokenizer = shared.resolve("tokenizer");
        Files.createDirectories(tokenizer);
        BpeTrainer.write(tokenizer, BpeTrainer.train(corpus, 600), 160);
        questions = shared.resolve("qa.jsonl");
        MiniWorldData.writeJsonl(questions, examples);
    }

    private static TrainConfig config(Path out, int steps, long seed) {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.put("model_type", "llama").put("hidden_size", 32).put("intermediate_size", 64).put("num_hidden_layers", 2)
                .put("num_attention_heads", 2).put("num_key_value_heads", 1).put("vocab_size", 0)
                .put("max_position_embeddings", 160).put("rms_norm_eps", 1e-5).put("rope_theta", 10000.0)
                .put("tie_word_embeddings", false).put("bos_token_id", 1).put("eos_token_id", 2);
        return new TrainConfig(out, tokenizer, null, c, new TrainingSettings(questions, "ja-alpaca-cot", steps, 8, 160, 1e-2, 1e-3,
                5, 0.0, 0.9, 0.95, 1.0, seed, 10));
    }

    /** The training forward (no cache, right padding) gives the logits the cached inference forward gives. */
    @Test
    void theTrainingForwardGivesTheInferenceForwardsLogits() {
        try (Checkpoint c = Checkpoint.open(STORIES); Transformer model = Transformer.load(c, Device.cpu());
             NDManager m = NDManager.newBaseManager()) {
            long[] longer = {1, 400, 30, 291, 77, 12, 9};
            long[] shorter = {1, 55, 300, 4};
            long[][] batch = {longer, {1, 55, 300, 4, 2, 2, 2}}; // the shorter one right-padded
            float[] logits = model.forward(model.tokens(m, batch)).toType(DataType.FLOAT32, false).toFloatArray();
            int v = model.config().vocabSize();
            float[] expectLonger = model.logits(longer);
            float[] expectShorter = model.logits(shorter);
            assertArrayEquals(expectLonger, java.util.Arrays.copyOfRange(logits, 0, longer.length * v), 1e-4f);
            assertArrayEquals(expectShorter, java.util.Arrays.copyOfRange(logits, longer.length * v,
                    longer.length * v + shorter.length * v), 1e-4f, "padding after a sequence changes none of its logits");
        }
    }

    /** Loading fuses, transposes and scales; checkpointTensors undoes it: the checkpoint's own tensors come back. */
    @Test
    void checkpointTensorsAreTheLoadedCheckpointsOwn() {
        try (Checkpoint c = Checkpoint.open(STORIES); Transformer model = Transformer.load(c, Device.cpu())) {
            Map<String, NDArray> tensors = model.checkpointTensors();
            assertEquals(c.tensors().keySet(), tensors.keySet(), "every tensor (tied: no lm_head), named as transformers names them");
            for (var e : tensors.entrySet()) {
                assertArrayEquals(c.tensor(e.getKey()).shape(), e.getValue().getShape().getShape(), e.getKey());
                assertArrayEquals(c.floats(e.getKey()), e.getValue().toFloatArray(), 1e-6f, e.getKey());
            }
        }
    }

    /**
     * A new model learns eight question-answer pairs by heart: the loss falls from about ln(V) to
     * near zero, the checkpoint it writes loads, and greedy generation from the evaluation prompt
     * gives the trained answers. The same config writes the same bytes again.
     */
    @Test
    void trainsANewModelThatAnswersFromItsCheckpointAndRetrainsToTheSameBytes(@TempDir Path dir) throws Exception {
        Trainer.Result r = Trainer.train(config(dir.resolve("a/model"), 100, 7), QUIET);
        double first = r.log().get(0).loss();
        double last = r.log().get(r.log().size() - 1).loss();
        assertTrue(first > 3.0, "starts near ln(V): " + first);
        assertTrue(last < 0.1, "learns the answers by heart: " + last);
        assertEquals(10, r.log().size());
        Path out = dir.resolve("a/model"); // the same folder name: the curve's title names it
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "generation_config.json", "training_log.csv", "loss.png")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertEquals(11, Files.readAllLines(out.resolve("training_log.csv")).size(), "header and ten rows");
        List<MiniWorldData.Example> examples = MiniWorldData.jaGeneral(3, 8);
        try (Checkpoint c = Checkpoint.open(out); Transformer model = Transformer.load(c, Device.cpu());
             Tokenizer t = Tokenizer.load(out, c.config())) {
            assertFalse(c.config().tieWordEmbeddings());
            List<String> prompts = examples.stream().map(e -> MgsmTask.JA_ALPACA_COT.replace("{input}", e.question())).toList();
            List<Generator.Result> answers = new Generator(model, t).generateText(prompts, Generator.Options.greedy(60));
            int right = 0;
            for (int i = 0; i < examples.size(); i++) {
                right += answers.get(i).text().equals(examples.get(i).answer()) ? 1 : 0;
            }
            assertTrue(right >= 7, right + " of 8 answers reproduced: " + answers.get(0).text());
            assertEquals(Generator.Finish.EOS, answers.get(0).finish(), "it learned to stop");
        }
        Trainer.train(config(dir.resolve("b/model"), 100, 7), QUIET);
        for (String f : List.of("model.safetensors", "training_log.csv", "loss.png", "config.json")) {
            assertArrayEquals(Files.readAllBytes(out.resolve(f)), Files.readAllBytes(dir.resolve("b/model").resolve(f)), f);
        }
        Trainer.train(config(dir.resolve("c/model"), 100, 8), QUIET);
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(out.resolve("model.safetensors")),
                Files.readAllBytes(dir.resolve("c/model").resolve("model.safetensors"))), "another seed, another model");
    }

    /** Question-answer data: the prompt as evaluation forms it, the loss on the answer and EOS only. */
    @Test
    void aQuestionsTargetsAreItsAnswerAndTheEndOnly() {
        try (Tokenizer t = Tokenizer.load(tokenizer, (Integer) null)) {
            TrainingSet set = TrainingSet.read(questions, t, "ja-alpaca-cot", 1000, 2);
            MiniWorldData.Example e = MiniWorldData.jaGeneral(3, 8).get(0);
            long[] prompt = t.encode(MgsmTask.JA_ALPACA_COT.replace("{input}", e.question()));
            long[] answer = t.encode(e.answer(), false);
            TrainingSet.Sequence s = set.sequences().get(0);
            assertEquals(prompt.length + answer.length + 1, s.ids().length);
            assertArrayEquals(prompt, java.util.Arrays.copyOf(s.ids(), prompt.length));
            assertEquals(2, s.ids()[s.ids().length - 1]);
            for (int i = 0; i < s.ids().length; i++) {
                assertEquals(i >= prompt.length, s.target()[i], "position " + i);
            }
            TrainingSet.Batch b = set.batches(3, 1, 2).next();
            assertEquals(3, b.ids().length);
            int longest = java.util.Arrays.stream(b.ids()).mapToInt(x -> x.length).max().orElseThrow();
            assertTrue(java.util.Arrays.stream(b.ids()).allMatch(x -> x.length == longest));
        }
    }

    /** A line that names its own template is put in that one; the others in the run's. */
    @Test
    void aLineMayNameItsOwnTemplate(@TempDir Path dir) throws Exception {
        Path mixed = dir.resolve("mixed.jsonl");
        Files.writeString(mixed, "{\"question\":\"Q1\",\"answer\":\"A1\"}\n"
                + "{\"question\":\"Q2\",\"answer\":\"A2\",\"template\":\"en-alpaca-cot\"}\n");
        try (Tokenizer t = Tokenizer.load(tokenizer, (Integer) null)) {
            TrainingSet set = TrainingSet.read(mixed, t, "ja-alpaca-cot", 1000, 2);
            long[] ja = t.encode(MgsmTask.JA_ALPACA_COT.replace("{input}", "Q1"));
            long[] en = t.encode(MgsmTask.EN_ALPACA_COT.replace("{input}", "Q2"));
            assertArrayEquals(ja, java.util.Arrays.copyOf(set.sequences().get(0).ids(), ja.length));
            assertArrayEquals(en, java.util.Arrays.copyOf(set.sequences().get(1).ids(), en.length));
        }
        Files.writeString(mixed, "{\"question\":\"Q\",\"answer\":\"A\",\"template\":\"nope\"}\n");
        try (Tokenizer t = Tokenizer.load(tokenizer, (Integer) null)) {
            Exception e = assertThrows(RuntimeException.class, () -> TrainingSet.read(mixed, t, "ja-alpaca-cot", 1000, 2));
            assertTrue(e.getMessage().contains("mixed.jsonl") && e.getMessage().contains("line 1: field 'template': unknown template 'nope'"),
                    e.getMessage());
        }
    }

    @Test
    void refusesToFineTuneATiedModelWithAOneLineReason(@TempDir Path dir) {
        TrainConfig tied = new TrainConfig(dir.resolve("out"), tokenizer, STORIES, null, new TrainingSettings(questions,
                "ja-alpaca-cot", 1, 1, 64, 1e-3, 1e-4, 0, 0, 0.9, 0.95, 1, 0, 1));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Trainer.train(tied, QUIET));
        assertTrue(e.getMessage().contains("stories260K") && e.getMessage().contains("tie_word_embeddings"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out")), "nothing written");
    }
}
