package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.DType;
import dev.evomerge.io.SafetensorsFile;
import dev.evomerge.io.SafetensorsWriter;
import dev.evomerge.io.Storage;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.io.TensorSpec;
import dev.evomerge.model.Djl;
import dev.evomerge.model.Llava;
import dev.evomerge.model.LlavaImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A LLaVA's language model merged with LLMs, through every merge method: the tiny random LLaVA
 * of scripts/golden/llava_hf.py (hub layout) and two LLMs made here from its language model
 * (its tensors plus seeded noise, written as a plain Llama checkpoint: {@code model.*}). The
 * independent check: the same recipe with the VLM's language model written as a plain LLM in the
 * VLM's place must give the same language-model bytes; the vision tensors must be the VLM's.
 */
class VlmMergeTest {
    private static final Path VLM = Path.of("src/test/resources/llava-tiny-hub");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    private static Path vlmAsLlm;
    private static Path base;
    private static Path llm;
    private final CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), Path.of("unused-cache"));

    @BeforeAll
    static void languageModels() throws IOException {
        Djl.init();
        vlmAsLlm = languageModel("vlm-as-llm", 0, 0);
        base = languageModel("base", 1, 0.05f);
        llm = languageModel("llm", 2, 0.05f);
    }

    /** The VLM's language model as a plain LLM, each tensor plus N(0, noise^2) noise of {@code seed}. */
    private static Path languageModel(String name, long seed, float noise) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Random random = new Random(seed);
        try (Checkpoint vlm = Checkpoint.open(VLM)) {
            List<TensorSpec> specs = new ArrayList<>();
            vlm.tensors().values().forEach(t -> specs.add(new TensorSpec(t.name(), DType.F32, t.shape())));
            try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("model.safetensors"), specs)) {
                for (TensorInfo t : vlm.tensors().values()) {
                    float[] v = vlm.floats(t.name());
                    for (int i = 0; i < v.length; i++) {
                        v[i] += noise * (float) random.nextGaussian();
                    }
                    w.write(t.name(), TensorBytes.fromFloats(v, DType.F32));
                }
                w.finish();
            }
            Files.writeString(dir.resolve("config.json"), vlm.vlm().textConfig().toPrettyString());
        }
        return dir;
    }

    static Stream<String> recipes() {
        return Stream.of(
                "merge_method: linear\nmodels:\n  - model: VLM\n    parameters: {weight: 0.6}\n  - model: LLM\n    parameters: {weight: 0.4}\n",
                "merge_method: slerp\nbase_model: VLM\nmodels:\n  - model: LLM\nparameters: {t: 0.3}\n",
                "merge_method: nuslerp\nmodels:\n  - model: VLM\n    parameters: {weight: 0.7}\n  - model: LLM\n    parameters: {weight: 0.3}\n",
                "merge_method: model_stock\nbase_model: BASE\nmodels:\n  - model: VLM\n  - model: LLM\n",
                "merge_method: passthrough\nslices:\n  - sources:\n      - model: VLM\n        layer_range: [0, 2]\n"
                        + "  - sources:\n      - model: LLM\n        layer_range: [1, 2]\n",
                gta("task_arithmetic"), gta("ties"), gta("dare_ties"), gta("dare_linear"), gta("breadcrumbs"),
                gta("breadcrumbs_ties"), gta("della"), gta("della_linear"),
                // the VLM as the base of a task-arithmetic merge: its language model is what the task vectors add to
                "merge_method: ties\nbase_model: VLM\nmodels:\n  - model: LLM\n    parameters: {weight: 0.8, density: 0.6}\n"
                        + "  - model: BASE\n    parameters: {weight: 0.3, density: 0.6}\n");
    }

    private static String gta(String method) {
        String extra = method.startsWith("della") ? ", epsilon: 0.1" : method.startsWith("breadcrumbs") ? ", gamma: 0.05" : "";
        return "merge_method: " + method + "\nbase_model: BASE\nmodels:\n  - model: VLM\n    parameters: {weight: 0.6, density: 0.7"
                + extra + "}\n  - model: LLM\n    parameters: {weight: 0.5, density: 0.6" + extra + "}\nseed: 7\n";
    }

    @ParameterizedTest
    @MethodSource("recipes")
    void everyMethodGivesALlavaWithTheMergedLanguageModelAndTheVlmsOwnTensors(String template) throws IOException {
        String method = template.substring("merge_method: ".length(), template.indexOf('\n'));
        Path out = tmp.resolve("vlm-" + method + "-" + template.hashCode());
        Path plain = tmp.resolve("llm-" + method + "-" + template.hashCode());
        Merger.merge(recipe(template, VLM), out, cache);
        Merger.merge(recipe(template, vlmAsLlm), plain, cache);

        JsonNode config = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals("llava", config.get("model_type").asText());
        assertEquals("float32", config.get("torch_dtype").asText());
        assertEquals(JSON.readTree(plain.resolve("config.json").toFile()).get("num_hidden_layers"),
                config.get("text_config").get("num_hidden_layers"));
        try (Checkpoint merged = Checkpoint.open(out); Checkpoint reference = Checkpoint.open(plain);
             SafetensorsFile stored = SafetensorsFile.open(out.resolve("model.safetensors"));
             SafetensorsFile vlm = SafetensorsFile.open(VLM.resolve("model.safetensors"))) {
            assertEquals(reference.tensors().keySet(), merged.tensors().keySet());
            for (String name : reference.tensors().keySet()) {
                assertTrue(stored.contains("language_model." + name), "stored under the VLM's name: language_model." + name);
                assertArrayEquals(bytes(reference.bytes(name)), bytes(merged.bytes(name)), name + " as the plain-LLM merge gives it");
            }
            int own = 0;
            for (TensorInfo t : vlm.tensors()) {
                if (!t.name().startsWith("language_model.")) {
                    own++;
                    assertEquals(t.dtype(), stored.tensor(t.name()).dtype());
                    assertArrayEquals(bytes(vlm.bytes(t.name())), bytes(stored.bytes(t.name())), t.name() + " byte for byte");
                }
            }
            assertEquals(own, merged.vlmTensors().size());
            assertEquals(reference.tensors().size() + own, stored.tensors().size(), "nothing else stored");
            if (!method.equals("passthrough")) { // passthrough's first two layers are the VLM's own
                assertFalse(java.util.Arrays.equals(bytes(vlm.bytes("language_model.model.layers.0.mlp.up_proj.weight")),
                        bytes(stored.bytes("language_model.model.layers.0.mlp.up_proj.weight"))), "the language model merged");
            }
        }
        try (Llava llava = Llava.open(out); NDManager m = NDManager.newBaseManager()) { // it loads and runs
            long[] ids = new long[19];
            java.util.Arrays.fill(ids, 2, 18, llava.imageTokenId());
            ids[0] = 1;
            float[] logits = llava.logits(m, ids, new LlavaImage(List.of(new float[3 * 16 * 16]), 16, 16)).toFloatArray();
            assertEquals(19 * 64, logits.length);
            for (float v : logits) {
                assertTrue(Float.isFinite(v));
            }
        }
    }

    /**
     * transformers loads what evomerge wrote and computes the same: scripts/golden/llava_merge_hf.py
     * ran evomerge's scripts/merge on this recipe (the tiny LLaVA and an LLM made from its language
     * model) and recorded LlavaForConditionalGeneration's logits of the result.
     */
    @Test
    void theMergedVlmComputesWhatTransformersComputesFromTheSameExport() throws IOException {
        Path resources = Path.of("src/test/resources").toAbsolutePath();
        String recipe = Files.readString(resources.resolve("llava-tiny-merge.yml")).replace("RESOURCES/", resources + "/");
        Path out = tmp.resolve("hf-checked");
        Merger.merge(MergeConfig.parse("llava-tiny-merge.yml", recipe), out, cache);
        JsonNode golden = JSON.readTree(resources.resolve("llava-tiny-hf.json").toFile());
        JsonNode merged = JSON.readTree(resources.resolve("llava-tiny-merged-hf.json").toFile());
        long[] ids = new long[golden.get("input_ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = golden.get("input_ids").get(i).asLong();
        }
        float[] pixels = new float[golden.get("pixel_values").size()];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) golden.get("pixel_values").get(i).asDouble();
        }
        try (Llava llava = Llava.open(out); NDManager m = NDManager.newBaseManager()) {
            float[] logits = llava.logits(m, ids, new LlavaImage(List.of(pixels), 16, 16)).toFloatArray();
            assertEquals(merged.get("logits").size(), logits.length);
            for (int i = 0; i < logits.length; i++) {
                assertEquals(merged.get("logits").get(i).asDouble(), logits[i], 1e-4, "logit " + i);
            }
        }
    }

    /** A data-flow-space merge (a layer path) through a pool with the VLM in it: a LLaVA whose language model is the path. */
    @Test
    void aLayerPathThroughAPoolWithTheVlmIsALlava() throws IOException {
        dev.evomerge.model.LayerPath path = new dev.evomerge.model.LayerPath(List.of(new dev.evomerge.model.LayerPath.Step(0, 0, 1.0),
                new dev.evomerge.model.LayerPath.Step(1, 1, 0.8), new dev.evomerge.model.LayerPath.Step(0, 1, 1.0)), 0);
        Path out = tmp.resolve("path-vlm");
        Path plain = tmp.resolve("path-llm");
        LayerPathCheckpoint.write(new LayerPathMerge(List.of(new AsIs(VLM.toString()), new AsIs(llm.toString())), path, null), out, cache);
        LayerPathCheckpoint.write(new LayerPathMerge(List.of(new AsIs(vlmAsLlm.toString()), new AsIs(llm.toString())), path, null), plain,
                cache);
        try (Checkpoint merged = Checkpoint.open(out); Checkpoint reference = Checkpoint.open(plain);
             SafetensorsFile vlm = SafetensorsFile.open(VLM.resolve("model.safetensors"))) {
            assertEquals(3, merged.config().numHiddenLayers());
            assertEquals(List.of(1.0, 0.8, 1.0), merged.config().layerScales());
            assertEquals(reference.tensors().keySet(), merged.tensors().keySet());
            for (String name : reference.tensors().keySet()) {
                assertArrayEquals(bytes(reference.bytes(name)), bytes(merged.bytes(name)), name);
            }
            for (String name : merged.vlmTensors().keySet()) {
                assertArrayEquals(bytes(vlm.bytes(name)), bytes(merged.vlmBytes(name)), name + " byte for byte");
            }
        }
        try (Llava llava = Llava.open(out); NDManager m = NDManager.newBaseManager()) {
            assertEquals(3, llava.languageModel().depth());
        }
    }

    @Test
    void languageModelsOfAnotherShapeOrVocabularyAreOneClearError() throws IOException {
        Path wide = tmp.resolve("wide");
        Files.createDirectories(wide);
        ObjectNode text;
        try (Checkpoint vlm = Checkpoint.open(VLM)) {
            text = vlm.vlm().textConfig();
        }
        text.put("intermediate_size", 80);
        Files.writeString(wide.resolve("config.json"), text.toPrettyString());
        try (Checkpoint l = Checkpoint.open(llm)) {
            List<TensorSpec> specs = new ArrayList<>();
            l.tensors().values().forEach(t -> specs.add(new TensorSpec(t.name(), DType.F32, t.name().contains("mlp.")
                    ? (t.name().contains("down_proj") ? new long[] {48, 80} : new long[] {80, 48}) : t.shape())));
            try (SafetensorsWriter w = SafetensorsWriter.create(wide.resolve("model.safetensors"), specs)) {
                for (TensorSpec s : specs) {
                    w.write(s.name(), TensorBytes.fromFloats(new float[(int) TensorInfo.numel(s.shape())], DType.F32));
                }
                w.finish();
            }
        }
        Exception shape = assertThrows(CheckpointException.class, () -> Merger.merge(MergeConfig.parse("t.yaml",
                "merge_method: linear\nmodels:\n  - model: " + VLM + "\n    parameters: {weight: 0.5}\n  - model: " + wide
                        + "\n    parameters: {weight: 0.5}\n"), tmp.resolve("no"), cache));
        assertEquals(wide + ": tensor 'model.layers.0.mlp.down_proj.weight': shape [48, 80] differs from [48, 96] "
                + "(the models are not the same architecture)", shape.getMessage());
        assertFalse(Files.exists(tmp.resolve("no")), "nothing half-written");

        // Same shapes, tokens numbered differently: refused before anything is merged.
        Path vlmWithTokenizer = tmp.resolve("vlm-tok");
        copy(VLM, vlmWithTokenizer);
        Files.writeString(vlmWithTokenizer.resolve("tokenizer.json"), "{\"model\": {\"vocab\": {\"a\": 0, \"b\": 1, \"c\": 2}}}");
        Path other = tmp.resolve("llm-tok");
        copy(llm, other);
        Files.writeString(other.resolve("tokenizer.json"), "{\"model\": {\"vocab\": {\"a\": 0, \"c\": 1, \"b\": 2}}}");
        Exception vocab = assertThrows(CheckpointException.class, () -> Merger.merge(MergeConfig.parse("t.yaml",
                "merge_method: linear\nmodels:\n  - model: " + vlmWithTokenizer + "\n    parameters: {weight: 0.5}\n  - model: " + other
                        + "\n    parameters: {weight: 0.5}\n"), tmp.resolve("no"), cache));
        assertEquals(other + ": tokenizer.json: token 'c' is id 1 here but 2 in " + vlmWithTokenizer
                + ": the language models do not share a vocabulary (give tokenizer: {source: ...} to build one)", vocab.getMessage());
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    private static MergeConfig recipe(String template, Path vlm) {
        return MergeConfig.parse("t.yaml", template.replace("VLM", vlm.toString()).replace("BASE", base.toString())
                .replace("LLM", llm.toString()));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
