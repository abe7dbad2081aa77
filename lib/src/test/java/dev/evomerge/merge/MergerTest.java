package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.evomerge.Fixtures;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.DType;
import dev.evomerge.io.SafetensorsFile;
import dev.evomerge.io.Storage;
import dev.evomerge.model.Generator;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MergerTest {
    @TempDir
    Path tmp;

    private final CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), Path.of("unused-cache"));

    private static String m(String name) {
        return Fixtures.model(name).toString();
    }

    private Path merge(String yaml, String out) {
        Path dir = tmp.resolve(out);
        Merger.merge(MergeConfig.parse("test.yaml", yaml), dir, cache);
        return dir;
    }

    private String daresTies() {
        return "merge_method: dare_ties\nbase_model: " + m("stories260K") + "\nmodels:\n"
                + "  - model: " + m("stories260K-math") + "\n    parameters: {weight: 0.5, density: [0.7, 0.5, 0.7]}\n"
                + "  - model: " + m("stories260K-ja") + "\n    parameters:\n      weight:\n        - filter: self_attn\n"
                + "          value: 0.6\n        - value: 0.4\n      density: 0.6\nseed: 42\n";
    }

    @Test
    void mergingTheBundledFineTunesGivesACheckpointTheModelCodeRuns() throws IOException {
        String yaml = daresTies();
        Path out = merge(yaml, "merged");
        try (Checkpoint c = Checkpoint.open(out); Transformer t = Transformer.load(c, Device.cpu());
             Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
            assertEquals(260_032, c.parameterCount());
            assertEquals("float32", c.config().torchDtype());
            Generator.Result r = new Generator(t, tok).generate(List.of(new long[] {1}), Generator.Options.greedy(10)).get(0);
            assertEquals(10, r.tokens().length);
        }
        // the recipe, written in its canonical form: the same recipe read back
        assertEquals(MergeConfig.parse("test.yaml", yaml), MergeConfig.parse("written", Files.readString(out.resolve("mergekit_config.yml"))));
        assertTrue(Files.readString(out.resolve("README.md")).contains("**dare_ties**"));
        assertTrue(Files.exists(out.resolve("tokenizer.json")));
        // The same recipe gives bit-identical weights.
        Path again = merge(yaml, "again");
        assertArrayEquals(Files.readAllBytes(out.resolve("model.safetensors")), Files.readAllBytes(again.resolve("model.safetensors")));
        // A different seed draws other DARE masks.
        Path other = merge(yaml.replace("seed: 42", "seed: 43"), "other");
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(out.resolve("model.safetensors")),
                Files.readAllBytes(other.resolve("model.safetensors"))));
    }

    @Test
    void linearWithOneModelAtWeightOneIsTheIdentityAndDtypeIsHonoured() throws IOException {
        Path out = merge("merge_method: linear\nmodels:\n  - model: " + m("stories260K-ja") + "\n    parameters: {weight: 1.0}\n", "id");
        try (SafetensorsFile a = SafetensorsFile.open(out.resolve("model.safetensors"));
             SafetensorsFile b = SafetensorsFile.open(Fixtures.model("stories260K-ja").resolve("model.safetensors"))) {
            for (var t : b.tensors()) {
                assertArrayEquals(b.floats(t.name()), a.floats(t.name()), t.name());
            }
        }
        Path bf16 = merge("merge_method: linear\nmodels:\n  - model: " + m("stories260K-ja") + "\n    parameters: {weight: 1.0}\n"
                + "dtype: bfloat16\n", "bf16");
        try (Checkpoint c = Checkpoint.open(bf16)) {
            assertEquals("bfloat16", c.config().torchDtype());
            assertTrue(c.tensors().values().stream().allMatch(t -> t.dtype() == DType.BF16));
        }
    }

    @Test
    void passthroughSlicesStackLayerRanges() throws IOException {
        Path out = merge("merge_method: passthrough\nslices:\n"
                + "  - sources:\n      - model: " + m("stories260K") + "\n        layer_range: [0, 3]\n"
                + "  - sources:\n      - model: " + m("stories260K-ja") + "\n        layer_range: [2, 5]\n", "stacked");
        try (Checkpoint c = Checkpoint.open(out);
             SafetensorsFile ja = SafetensorsFile.open(Fixtures.model("stories260K-ja").resolve("model.safetensors"));
             SafetensorsFile base = SafetensorsFile.open(Fixtures.model("stories260K").resolve("model.safetensors"))) {
            assertEquals(6, c.config().numHiddenLayers());
            assertArrayEquals(base.floats("model.layers.2.mlp.up_proj.weight"), c.floats("model.layers.2.mlp.up_proj.weight"));
            assertArrayEquals(ja.floats("model.layers.2.mlp.up_proj.weight"), c.floats("model.layers.3.mlp.up_proj.weight"));
            assertArrayEquals(ja.floats("model.layers.4.self_attn.q_proj.weight"), c.floats("model.layers.5.self_attn.q_proj.weight"));
            assertArrayEquals(base.floats("model.embed_tokens.weight"), c.floats("model.embed_tokens.weight"));
            try (Transformer t = Transformer.load(c, Device.cpu()); Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
                assertEquals(5, new Generator(t, tok).generate(List.of(new long[] {1}), Generator.Options.greedy(5)).get(0).tokens().length);
            }
        }
        // A scale gradient runs over each slice, as in mergekit: output layer 4 is the second of the second slice's
        // three layers, t = 1/2.
        Path scaled = merge("merge_method: passthrough\nparameters: {scale: [0.0, 1.0]}\nslices:\n"
                + "  - sources:\n      - model: " + m("stories260K") + "\n        layer_range: [0, 3]\n"
                + "  - sources:\n      - model: " + m("stories260K-ja") + "\n        layer_range: [2, 5]\n", "scaled");
        try (Checkpoint c = Checkpoint.open(scaled);
             SafetensorsFile ja = SafetensorsFile.open(Fixtures.model("stories260K-ja").resolve("model.safetensors"))) {
            float[] source = ja.floats("model.layers.3.mlp.up_proj.weight"); // output layer 4
            float[] got = c.floats("model.layers.4.mlp.up_proj.weight");
            for (int i = 0; i < source.length; i += 101) {
                assertEquals(source[i] * 0.5f, got[i], 1e-6f);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> merge("merge_method: passthrough\nslices:\n"
                + "  - sources:\n      - model: " + m("stories260K") + "\n        layer_range: [3, 9]\n", "too-deep"));
        assertTrue(e.getMessage().contains("key 'slices[0].sources[0].layer_range': [3, 9) but"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("too-deep")));
    }

    @Test
    void gradientsAndFiltersResolvePerTensor() {
        ParameterValue g = new ParameterValue.Gradient(new double[] {0.7, 0.5, 0.7});
        assertEquals(0.7, g.resolve("x", 0), 1e-12);
        assertEquals(0.6, g.resolve("x", 0.25), 1e-12); // halfway between 0.7 (t=0) and 0.5 (t=0.5)
        assertEquals(0.5, g.resolve("x", 0.5), 1e-12);
        assertEquals(0.7, g.resolve("x", 1), 1e-12);
        ParameterValue f = new ParameterValue.Filtered(java.util.Arrays.asList("self_attn", null),
                List.of(new ParameterValue.Constant(0.6), new ParameterValue.Constant(0.4)));
        assertEquals(0.6, f.resolve("model.layers.1.self_attn.q_proj.weight", 0));
        assertEquals(0.4, f.resolve("model.layers.1.mlp.up_proj.weight", 0));
        assertEquals(0.0, MergePlanner.depth("model.embed_tokens.weight", 5));
        assertEquals(0.5, MergePlanner.depth("model.layers.2.mlp.up_proj.weight", 5));
        assertEquals(1.0, MergePlanner.depth("model.layers.4.input_layernorm.weight", 5));
        assertEquals(0.0, MergePlanner.depth("model.norm.weight", 5)); // as mergekit's planner reads the final norm and head
    }

    @Test
    void badConfigsAreOneLineNamingFileAndKey() {
        String base = "base_model: " + m("stories260K") + "\nmodels:\n  - model: " + m("stories260K-math") + "\n";
        assertConfig("merge_method: frankenmerge\n" + base, "test.yaml: key 'merge_method': unknown merge method 'frankenmerge'");
        assertConfig("merge_method: ties\n" + base + "    parameters: {weight: 1, density: 1.5}\n",
                "test.yaml: key 'models[0].parameters.density': value 1.5 is outside [0.0, 1.0]");
        assertConfig("merge_method: ties\n" + base + "    parameters: {weight: .nan}\n",
                "test.yaml: key 'models[0].parameters.weight': value NaN is not a finite number");
        assertConfig("merge_method: ties\n" + base + "    parameters: {weight: 1, temperature: 2}\n",
                "test.yaml: key 'models[0].parameters.temperature': not a parameter of ties");
        assertConfig("merge_method: dare_ties\nmodels:\n  - model: x\n", "test.yaml: key 'base_model': missing");
        assertConfig("merge_method: linear\nmodel: x\n", "test.yaml: key 'model': unknown key");
        assertConfig("merge_method: slerp\nbase_model: a\nmodels:\n  - model: b\n  - model: c\nparameters: {t: 0.5}\n",
                "test.yaml: key 'models': slerp merges exactly two models: the base and one other, got 2 besides the base");
        assertConfig("merge_method: ties\nbase_model: a\nslices:\n  - sources:\n      - model: b\n        layer_range: [0, 2]\n",
                "test.yaml: key 'slices[0].sources': none is the base model a; in slices the base's layers are one of the sources");
        assertConfig("merge_method: linear\nslices:\n  - sources:\n      - {model: a, layer_range: [0, 2]}\n      - {model: b, layer_range: [1, 4]}\n",
                "test.yaml: key 'slices[0].sources[1].layer_range': covers 3 layers, the slice's first source 2");
        assertConfig("merge_method: passthrough\nslices:\n  - sources:\n      - {model: a, layer_range: [0, 2]}\n      - {model: b, layer_range: [0, 2]}\n",
                "test.yaml: key 'slices[0].sources': a passthrough slice has exactly one source");
    }

    private static void assertConfig(String yaml, String expectedStart) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MergeConfig.parse("test.yaml", yaml));
        assertTrue(e.getMessage().startsWith(expectedStart), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void badInputsLeaveNoOutputBehind() throws IOException {
        // A model path that does not exist.
        assertMergeFails("merge_method: linear\nmodels:\n  - model: /no/such/model\n    parameters: {weight: 1}\n",
                "/no/such/model: no such checkpoint directory");
        // A pickled checkpoint.
        Path pickled = Files.createDirectories(tmp.resolve("pickled"));
        Files.copy(Fixtures.model("stories260K").resolve("config.json"), pickled.resolve("config.json"));
        Files.write(pickled.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        assertMergeFails("merge_method: linear\nmodels:\n  - model: " + pickled + "\n    parameters: {weight: 1}\n",
                "is a pickled PyTorch checkpoint");
        // Shapes that differ (a model of another size).
        Path other = dev.evomerge.model.RandomCheckpointsAccess.write(tmp.resolve("other"));
        assertMergeFails("merge_method: task_arithmetic\nbase_model: " + m("stories260K") + "\nmodels:\n  - model: " + other
                + "\n    parameters: {weight: 1}\n", "differs from");
    }

    private void assertMergeFails(String yaml, String expected) throws IOException {
        Path out = tmp.resolve("out-" + System.nanoTime());
        RuntimeException e = assertThrows(RuntimeException.class, () -> Merger.merge(MergeConfig.parse("t.yaml", yaml), out, cache));
        assertTrue(e instanceof CheckpointException || e instanceof IllegalArgumentException, e.toString());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(Files.exists(out));
        try (var left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith("." + out.getFileName())), "staging left behind");
        }
    }
}
