package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.Fixtures;
import dev.evomerge.SyntheticCheckpoints;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.DType;
import dev.evomerge.io.ShardedWriter;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a GPU executor runs (float16 weights and activations), run on this CPU: the bundled models'
 * logits and greedy outputs (a merged candidate's score: {@code CandidateFloat16Test}), and a model whose residual stream carries
 * activations in the thousands ("massive activations", as real 7B Llama and Mistral models do),
 * against float32. The normalization statistics and the attention softmax are computed in float32
 * as transformers computes them; in float16, x^2 overflows past |x| = 256.
 */
class Float16PathTest {
    @TempDir
    Path tmp;

    private static final long[] TOKENS = {1, 403, 407, 261, 290, 300, 311, 420, 288, 344};

    private static float maxAbs(float[] a) {
        float m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** The largest |a - b| relative to b's largest magnitude. */
    private static double relativeError(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            assertTrue(Float.isFinite(a[i]), "float16 logit " + i + " is " + a[i]);
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst / maxAbs(b);
    }

    private static float[] logits(Checkpoint c, DataType dtype) {
        try (Transformer t = Transformer.load(c, Device.cpu(), dtype)) {
            return t.logits(TOKENS);
        }
    }

    @Test
    void theBundledModelsLogitsAndGreedyOutputsInFloat16() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(Fixtures.repoRoot().resolve("models/golden_greedy_finetunes.json").toFile());
        for (String model : List.of("stories260K", "stories260K-math", "stories260K-ja")) {
            try (Checkpoint c = Checkpoint.open(Fixtures.model(model));
                 Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
                double err = relativeError(logits(c, DataType.FLOAT16), logits(c, DataType.FLOAT32));
                assertTrue(err < 0.01, model + ": float16 logits within 1% of the largest float32 logit, got " + err);
                if (golden.has(model)) {
                    long[] prompt = StreamSupport.stream(golden.get(model).get("prompt_ids").spliterator(), false)
                            .mapToLong(JsonNode::asLong).toArray();
                    long[][] out = new long[2][];
                    int k = 0;
                    for (DataType dtype : List.of(DataType.FLOAT32, DataType.FLOAT16)) {
                        try (Transformer t = Transformer.load(c, Device.cpu(), dtype)) {
                            out[k++] = new Generator(t, tok).generate(List.of(prompt), Generator.Options.greedy(40)).get(0).tokens();
                        }
                    }
                    assertArrayEquals(out[0], out[1], model + ": 40 greedy tokens, float16 as float32");
                }
            }
        }
    }

    @Test
    void massiveActivationsStayFiniteAndAccurateInFloat16() throws Exception {
        // a small random Llama (untied head) whose embeddings are ~3000 in magnitude: the residual stream carries them through
        // every layer, as the massive activations of real 7B models
        Path plain = tmp.resolve("plain");
        SyntheticCheckpoints.write(plain, new SyntheticCheckpoints.Spec("llama", 64, 8, 4, 2, 172, 512, false, null), 3, 0.05, 0.01);
        Path massive = tmp.resolve("massive");
        Files.createDirectories(massive);
        Files.copy(plain.resolve("config.json"), massive.resolve("config.json"));
        try (Checkpoint c = Checkpoint.open(plain)) {
            List<TensorSpec> specs = new ArrayList<>();
            c.tensors().forEach((name, info) -> specs.add(new TensorSpec(name, DType.F32, info.shape())));
            try (ShardedWriter w = new ShardedWriter(massive, specs, ShardedWriter.DEFAULT_MAX_SHARD_BYTES)) {
                for (TensorSpec s : specs) {
                    float[] v = c.floats(s.name());
                    if (s.name().equals("model.embed_tokens.weight")) {
                        for (int i = 0; i < v.length; i++) {
                            v[i] *= 60_000; // N(0, 0.05) * 60000: |x| up to ~10^4, rms ~3000
                        }
                    }
                    w.write(s.name(), TensorBytes.fromFloats(v, DType.F32));
                }
                w.finish();
            }
        }
        try (Checkpoint c = Checkpoint.open(massive)) {
            float[] embed = c.floats("model.embed_tokens.weight");
            assertTrue(maxAbs(embed) > 5000, "activations in the thousands: " + maxAbs(embed));
            float[] f32 = logits(c, DataType.FLOAT32);
            float[] f16 = logits(c, DataType.FLOAT16);
            double err = relativeError(f16, f32);
            assertTrue(err < 0.01, "float16 logits within 1% of the largest float32 logit, got " + err);
        }
    }
}
