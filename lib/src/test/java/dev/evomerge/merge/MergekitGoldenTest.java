package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.Fixtures;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.DType;
import dev.evomerge.io.Storage;
import dev.evomerge.io.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * evomerge's merges against mergekit's own output for the same recipes on the bundled models
 * (golden digests made by {@code scripts/golden/mergekit_recipes.py}): float32 arithmetic written
 * as bfloat16, a gradient over the layers and where the embeddings and final norm sit on it,
 * mergekit's classic two-source slerp slices with filtered gradients, per-slice gradients and
 * per-source and per-slice parameters, passthrough from two models with a per-slice scale, and the
 * union of two vocabularies that differ by added tokens. Also: every method both tools have
 * declares the same parameters.
 */
class MergekitGoldenTest {
    private static final JsonNode GOLDEN = read();

    @TempDir
    Path tmp;

    private static JsonNode read() {
        try (var in = MergekitGoldenTest.class.getResourceAsStream("/mergekit-golden.json")) {
            return new ObjectMapper().readTree(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path fixture(String name) {
        return Fixtures.repoRoot().resolve("lib/src/test/resources/tokenizer-fixtures").resolve(name);
    }

    /** The recipe with the golden script's model names replaced by their locations here. */
    private static String recipe(String key) {
        String text = GOLDEN.at("/recipes/" + key + "/recipe").asText();
        Map<String, Path> names = Map.of("MATHTOK", fixture("stories260K-math-tok"), "JATOK", fixture("stories260K-ja-tok"),
                "BASE", Fixtures.model("stories260K"), "MATH", Fixtures.model("stories260K-math"), "JA", Fixtures.model("stories260K-ja"));
        for (String n : List.of("MATHTOK", "JATOK", "BASE", "MATH", "JA")) {
            text = text.replace(n, names.get(n).toString());
        }
        return text;
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear-out-bf16", "task-arithmetic-gradient", "slerp-slices", "linear-two-slices", "passthrough-scaled",
                            "union-tokenizer"})
    void mergesAsMergekitDoes(String key) throws Exception {
        MergeConfig cfg = MergeConfig.parse(key, recipe(key));
        Path out = tmp.resolve(key);
        Merger.merge(cfg, out, new CheckpointCache(Storage.withDefaults(), tmp.resolve("cache")));
        JsonNode golden = GOLDEN.at("/recipes/" + key);
        try (Checkpoint c = Checkpoint.open(out)) {
            assertEquals(golden.at("/config/vocab_size").asInt(), c.config().vocabSize(), "vocab_size");
            JsonNode tensors = golden.get("tensors");
            List<String> expectedNames = new ArrayList<>();
            tensors.fieldNames().forEachRemaining(expectedNames::add);
            assertEquals(new TreeSet<>(expectedNames), new TreeSet<>(c.tensors().keySet()), "tensor names");
            for (String name : expectedNames) {
                JsonNode g = tensors.get(name);
                TensorInfo info = c.tensors().get(name);
                assertEquals(g.get("dtype").asText(), info.dtype().torchName(), name);
                List<Long> shape = new ArrayList<>();
                g.get("shape").forEach(d -> shape.add(d.asLong()));
                assertEquals(shape, java.util.Arrays.stream(info.shape()).boxed().toList(), name);
                float[] v = c.floats(name);
                double sum = 0;
                double sumsq = 0;
                for (float x : v) {
                    sum += x;
                    sumsq += (double) x * x;
                }
                // float32 arithmetic in another order than torch's: agreement to float32 rounding, summed over the tensor
                double scale = Math.sqrt(g.get("sumsq").asDouble() * v.length) + 1e-12;
                assertEquals(g.get("sum").asDouble(), sum, 1e-5 * scale, name + " sum");
                assertEquals(g.get("sumsq").asDouble(), sumsq, 1e-5 * g.get("sumsq").asDouble() + 1e-12, name + " sum of squares");
                double ulp = info.dtype() == DType.BF16 ? Math.pow(2, -7) : 1e-5; // one bfloat16 step, relative
                for (Iterator<Map.Entry<String, JsonNode>> it = g.get("at").fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    double expected = e.getValue().asDouble();
                    assertEquals(expected, v[Integer.parseInt(e.getKey())], ulp * Math.abs(expected) + 1e-7, name + "[" + e.getKey() + "]");
                }
            }
        }
        if (golden.has("added_tokens")) {
            JsonNode tok = new ObjectMapper().readTree(out.resolve("tokenizer.json").toFile());
            List<String> ours = new ArrayList<>();
            tok.get("added_tokens").forEach(t -> ours.add(t.get("content").asText()));
            List<String> theirs = new ArrayList<>();
            golden.get("added_tokens").forEach(t -> theirs.add(t.asText()));
            assertEquals(theirs, ours, "the output vocabulary's added tokens, in order");
        }
    }

    @Test
    void everyMethodBothToolsHaveDeclaresTheSameParameters() {
        for (Iterator<Map.Entry<String, JsonNode>> it = GOLDEN.get("methods").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            List<String> globals = new ArrayList<>();
            e.getValue().get("parameters").forEach(p -> globals.add(p.asText()));
            List<String> perModel = new ArrayList<>();
            e.getValue().get("tensor_parameters").forEach(p -> perModel.add(p.asText()));
            if (List.of("arcee_fusion", "karcher").contains(e.getKey())) {
                assertThrows(IllegalArgumentException.class, () -> MergeMethods.byName(e.getKey()), e.getKey() + " is refused");
                continue;
            }
            MergeMethod m = MergeMethods.byName(e.getKey());
            // slerp's t is global in mergekit; evomerge declares it per model too (a per-model t is refused at parse time)
            assertEquals(new TreeSet<>(globals), new TreeSet<>(m.globalParameters()), e.getKey() + " global parameters");
            assertEquals(new TreeSet<>(perModel), new TreeSet<>(m.modelParameters()), e.getKey() + " per-model parameters");
        }
    }

    @Test
    void aFloat32MergeWrittenAsBfloat16IsTheFloat32MergeRoundedOnce() throws Exception {
        CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), tmp.resolve("cache"));
        String f32 = recipe("linear-out-bf16").replace("out_dtype: bfloat16", "");
        Merger.merge(MergeConfig.parse("f32", f32), tmp.resolve("f32"), cache);
        Merger.merge(MergeConfig.parse("bf16", recipe("linear-out-bf16")), tmp.resolve("bf16"), cache);
        // dtype bfloat16 alone: the float32 inputs are rounded to bfloat16 first, as mergekit casts them
        Merger.merge(MergeConfig.parse("cast", f32.replace("dtype: float32", "dtype: bfloat16")), tmp.resolve("cast"), cache);
        try (Checkpoint a = Checkpoint.open(tmp.resolve("f32")); Checkpoint b = Checkpoint.open(tmp.resolve("bf16"));
             Checkpoint cast = Checkpoint.open(tmp.resolve("cast"))) {
            assertEquals("float32", a.config().torchDtype());
            assertEquals("bfloat16", b.config().torchDtype());
            int differ = 0;
            for (String name : a.tensors().keySet()) {
                float[] once = dev.evomerge.io.TensorBytes.toFloats(dev.evomerge.io.TensorBytes.fromFloats(a.floats(name), DType.BF16),
                        DType.BF16, a.floats(name).length);
                assertTrue(java.util.Arrays.equals(once, b.floats(name)), name + ": the float32 merge rounded once");
                float[] c = cast.floats(name);
                for (int i = 0; i < c.length; i++) {
                    differ += c[i] != once[i] ? 1 : 0;
                }
            }
            assertTrue(differ > 0, "rounding the inputs first is not rounding the result once");
        }
    }
}
