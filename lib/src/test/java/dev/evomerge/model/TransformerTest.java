package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.evomerge.Fixtures;
import dev.evomerge.SyntheticCheckpoints;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransformerTest {
    @TempDir
    Path tmp;

    private static final SyntheticCheckpoints.Spec LLAMA_GQA_TIED =
            new SyntheticCheckpoints.Spec("llama", 32, 4, 2, 2, 48, 512, true, null);
    private static final SyntheticCheckpoints.Spec LLAMA_MHA_UNTIED =
            new SyntheticCheckpoints.Spec("llama", 24, 3, 3, 2, 40, 512, false, null);
    private static final SyntheticCheckpoints.Spec QWEN2_BIASES_GQA =
            new SyntheticCheckpoints.Spec("qwen2", 32, 8, 2, 2, 48, 512, false, null);
    private static final SyntheticCheckpoints.Spec MISTRAL_WINDOW =
            new SyntheticCheckpoints.Spec("mistral", 32, 4, 1, 2, 48, 512, false, 4);

    private static long[] randomTokens(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(3, 512);
        }
        return t;
    }

    /** Logits [T][V] of one unpadded sequence through the DJL model. */
    private static float[][] djlLogits(Transformer model, long[] tokens) {
        float[] flat = model.logits(tokens);
        int v = model.config().vocabSize();
        float[][] out = new float[tokens.length][v];
        for (int t = 0; t < tokens.length; t++) {
            System.arraycopy(flat, t * v, out[t], 0, v);
        }
        return out;
    }

    @Test
    void logitsMatchAPlainDoublePrecisionImplementationForEveryFamily() throws IOException {
        for (SyntheticCheckpoints.Spec spec : List.of(LLAMA_GQA_TIED, LLAMA_MHA_UNTIED, QWEN2_BIASES_GQA, MISTRAL_WINDOW)) {
            Path dir = RandomCheckpoints.write(tmp.resolve(spec.modelType() + spec.kvHeads() + spec.tied()), spec, 3);
            long[] tokens = randomTokens(10, 5);
            try (Checkpoint c = Checkpoint.open(dir); Transformer model = Transformer.load(c, Device.cpu())) {
                double[][] expected = new ReferenceForward(c).logits(tokens);
                float[][] actual = djlLogits(model, tokens);
                double worst = 0;
                for (int t = 0; t < tokens.length; t++) {
                    for (int v = 0; v < expected[t].length; v++) {
                        worst = Math.max(worst, Math.abs(expected[t][v] - actual[t][v]));
                    }
                }
                assertTrue(worst < 1e-4, spec + ": max |logit difference| " + worst);
            }
        }
    }

    @Test
    void kvCacheDecodingEqualsFullRecomputation() throws IOException {
        Path dir = RandomCheckpoints.write(tmp.resolve("m"), MISTRAL_WINDOW, 4);
        long[] tokens = randomTokens(12, 9);
        try (Checkpoint c = Checkpoint.open(dir); Transformer model = Transformer.load(c, Device.cpu())) {
            float[][] full = djlLogits(model, tokens);
            try (NDManager m = model.manager().newSubManager();
                 KvCache cache = new KvCache(m, c.config().numHiddenLayers(), 1)) {
                for (int t = 0; t < tokens.length; t++) {
                    try (NDScope ignored = new NDScope()) {
                        float[] step = model.forward(model.tokens(m, new long[][] {{tokens[t]}}),
                                Transformer.longs(m, new long[][] {{1}}), cache, true).toFloatArray();
                        assertArrayEquals(full[t], step, 1e-4f, "position " + t);
                    }
                }
            }
        }
    }

    @Test
    void aLeftPaddedBatchEqualsEachSequenceRunAlone() throws IOException {
        Path dir = RandomCheckpoints.write(tmp.resolve("q"), QWEN2_BIASES_GQA, 6);
        List<long[]> prompts = List.of(randomTokens(3, 1), randomTokens(7, 2), randomTokens(5, 3));
        try (Checkpoint c = Checkpoint.open(dir); Transformer model = Transformer.load(c, Device.cpu());
             Tokenizer tok = Tokenizer.load(dir, c.config())) {
            Generator g = new Generator(model, tok);
            Generator.Options o = new Generator.Options(10, List.of(), false);
            List<Generator.Result> batched = g.generate(prompts, o);
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(g.generate(List.of(prompts.get(i)), o).get(0).tokens(), batched.get(i).tokens(), "prompt " + i);
            }
            // Likelihood: right-padded batches give each item's own score.
            List<Likelihood.Item> items = List.of(new Likelihood.Item(new long[] {1}, randomTokens(6, 7)),
                    new Likelihood.Item(new long[] {1, 5, 9}, randomTokens(2, 8)),
                    new Likelihood.Item(new long[] {1}, randomTokens(11, 9)));
            List<Likelihood.Score> together = new Likelihood(model, 3).score(items);
            List<Likelihood.Score> alone = new Likelihood(model, 1).score(items);
            for (int i = 0; i < items.size(); i++) {
                assertEquals(alone.get(i).loss(), together.get(i).loss(), 1e-4, "item " + i);
                assertEquals(items.get(i).continuation().length, together.get(i).tokens());
            }
        }
    }

    @Test
    void likelihoodIsTheReferenceCrossEntropyOfTheContinuation() throws IOException {
        Path dir = RandomCheckpoints.write(tmp.resolve("l"), LLAMA_GQA_TIED, 8);
        long[] prefix = {1, 17, 33};
        long[] continuation = randomTokens(5, 10);
        try (Checkpoint c = Checkpoint.open(dir); Transformer model = Transformer.load(c, Device.cpu())) {
            long[] all = new long[prefix.length + continuation.length];
            System.arraycopy(prefix, 0, all, 0, prefix.length);
            System.arraycopy(continuation, 0, all, prefix.length, continuation.length);
            double[][] logits = new ReferenceForward(c).logits(all);
            double expected = 0;
            for (int t = prefix.length; t < all.length; t++) {
                double[] row = logits[t - 1];
                double max = java.util.Arrays.stream(row).max().orElseThrow();
                double logSum = max + Math.log(java.util.Arrays.stream(row).map(x -> Math.exp(x - max)).sum());
                expected += logSum - row[(int) all[t]];
            }
            Likelihood.Score s = new Likelihood(model, 4).score(List.of(new Likelihood.Item(prefix, continuation))).get(0);
            assertEquals(5, s.tokens());
            assertEquals(expected, s.loss(), 1e-3);
        }
    }

    @Test
    void stopStringsCutTheTextAndEosEndsASequence() throws IOException {
        try (Checkpoint c = Checkpoint.open(Fixtures.model("stories260K")); Transformer model = Transformer.load(c, Device.cpu());
             Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
            Generator g = new Generator(model, tok);
            // The golden greedy text from BOS begins "Once upon a time, there was a little girl named Lily. She ..."
            Generator.Result lily = g.generate(List.of(new long[] {1}), new Generator.Options(60, List.of("Lily", "zebra"), true)).get(0);
            assertEquals("Once upon a time, there was a little girl named ", lily.text());
            assertEquals(Generator.Finish.STOP_STRING, lily.finish());
            Generator.Result dot = g.generate(List.of(new long[] {1}), new Generator.Options(60, List.of("."), true)).get(0);
            assertEquals("Once upon a time, there was a little girl named Lily", dot.text());
            Generator.Result length = g.generate(List.of(new long[] {1}), Generator.Options.greedy(3)).get(0);
            assertEquals(3, length.tokens().length);
            assertEquals(Generator.Finish.LENGTH, length.finish());
        }
        // Make the model's first greedy token (403) its end-of-sequence token: generation ends at once, empty.
        Path copy = copyOfStories("eos");
        Files.writeString(copy.resolve("config.json"), Files.readString(copy.resolve("config.json"))
                .replace("\"eos_token_id\": 2", "\"eos_token_id\": [2, 403]"));
        try (Checkpoint c = Checkpoint.open(copy); Transformer model = Transformer.load(c, Device.cpu());
             Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
            Generator.Result r = new Generator(model, tok).generate(List.of(new long[] {1}), Generator.Options.greedy(20)).get(0);
            assertEquals(Generator.Finish.EOS, r.finish());
            assertEquals(0, r.tokens().length);
        }
    }

    @Test
    void badInputsAreClearErrors() throws IOException {
        Path extraLayer = copyOfStories("layers");
        Files.writeString(extraLayer.resolve("config.json"), Files.readString(extraLayer.resolve("config.json"))
                .replace("\"num_hidden_layers\": 5", "\"num_hidden_layers\": 6"));
        try (Checkpoint c = Checkpoint.open(extraLayer)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> Transformer.load(c, Device.cpu()));
            assertTrue(e.getMessage().contains("tensor 'model.layers.5.self_attn.q_proj.weight': missing"), e.getMessage());
        }
        Path wrongSize = copyOfStories("size");
        Files.writeString(wrongSize.resolve("config.json"), Files.readString(wrongSize.resolve("config.json"))
                .replace("\"intermediate_size\": 172", "\"intermediate_size\": 100"));
        try (Checkpoint c = Checkpoint.open(wrongSize)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> Transformer.load(c, Device.cpu()));
            assertTrue(e.getMessage().contains("tensor 'model.layers.0.mlp.gate_proj.weight': shape [172, 64] but config.json implies [100, 64]"),
                    e.getMessage());
        }
        try (Checkpoint c = Checkpoint.open(Fixtures.model("stories260K")); Transformer model = Transformer.load(c, Device.cpu());
             Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new Generator(model, tok).generate(List.of(new long[] {1, 512}), Generator.Options.greedy(1)));
            assertEquals("token id 512 is out of range [0, 512)", e.getMessage());
        }
    }

    @Test
    void theForwardTrainsUnderAutograd() throws IOException {
        Path dir = RandomCheckpoints.write(tmp.resolve("g"), LLAMA_GQA_TIED, 12);
        long[] tokens = randomTokens(6, 13);
        try (Checkpoint c = Checkpoint.open(dir); Transformer model = Transformer.load(c, Device.cpu())) {
            NDArray norm = model.parameters().get(1); // model.norm.weight [D]
            norm.setRequiresGradient(true);
            float analytic;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = lossOf(model, tokens);
                gc.backward(loss);
                analytic = norm.getGradient().getFloat(3);
            }
            // Central finite difference on the same element, in double from the reference forward.
            float[] w = c.floats("model.norm.weight");
            double h = 1e-3;
            double plus = referenceLoss(c, tokens, 3, w[3] + h);
            double minus = referenceLoss(c, tokens, 3, w[3] - h);
            double numeric = (plus - minus) / (2 * h);
            assertEquals(numeric, analytic, 1e-2 * Math.max(1, Math.abs(numeric)));
        }
    }

    /** Sum of the logits of token 7 at every position: a simple differentiable scalar. */
    private static NDArray lossOf(Transformer model, long[] tokens) {
        NDManager m = model.manager().newSubManager();
        KvCache cache = new KvCache(m, model.config().numHiddenLayers(), 1);
        long[][] mask = new long[1][tokens.length];
        java.util.Arrays.fill(mask[0], 1);
        return model.forward(model.tokens(m, new long[][] {tokens}), Transformer.longs(m, mask), cache, false)
                .get(":, :, 7").sum();
    }

    private double referenceLoss(Checkpoint c, long[] tokens, int index, double value) throws IOException {
        Path dir = tmp.resolve("fd" + System.nanoTime());
        Files.createDirectories(dir);
        for (Path f : List.of(c.dir().resolve("config.json"), c.dir().resolve("tokenizer.json"))) {
            Files.copy(f, dir.resolve(f.getFileName()));
        }
        // Rewrite the checkpoint with one norm weight changed.
        List<dev.evomerge.io.TensorSpec> specs = c.tensors().values().stream()
                .map(t -> new dev.evomerge.io.TensorSpec(t.name(), t.dtype(), t.shape())).toList();
        try (dev.evomerge.io.ShardedWriter w = new dev.evomerge.io.ShardedWriter(dir, specs, Long.MAX_VALUE)) {
            for (dev.evomerge.io.TensorSpec s : specs) {
                float[] v = c.floats(s.name());
                if (s.name().equals("model.norm.weight")) {
                    v[index] = (float) value;
                }
                w.write(s.name(), dev.evomerge.io.TensorBytes.fromFloats(v, dev.evomerge.io.DType.F32));
            }
            w.finish();
        }
        try (Checkpoint changed = Checkpoint.open(dir)) {
            double[][] logits = new ReferenceForward(changed).logits(tokens);
            double s = 0;
            for (double[] row : logits) {
                s += row[7];
            }
            return s;
        }
    }

    @Test
    void generationFreesEveryArrayItCreates() throws IOException {
        try (Checkpoint c = Checkpoint.open(Fixtures.model("stories260K")); Transformer model = Transformer.load(c, Device.cpu());
             Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
            int before = model.manager().getManagedArrays().size();
            Generator g = new Generator(model, tok);
            Likelihood l = new Likelihood(model, 2);
            for (int i = 0; i < 50; i++) {
                g.generate(List.of(new long[] {1, 403}, new long[] {1}), Generator.Options.greedy(5));
                l.score(List.of(new Likelihood.Item(new long[] {1}, new long[] {403, 407, 261})));
            }
            assertEquals(before, model.manager().getManagedArrays().size(), "arrays left attached to the model");
        }
    }

    private Path copyOfStories(String name) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(Fixtures.model("stories260K").resolve(f), dir.resolve(f));
        }
        return dir;
    }
}
