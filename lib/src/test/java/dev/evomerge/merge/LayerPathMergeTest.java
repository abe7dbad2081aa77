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
import dev.evomerge.io.ModelConfig;
import dev.evomerge.io.Storage;
import dev.evomerge.model.LayerPath;
import dev.evomerge.model.LayerStore;
import dev.evomerge.model.Transformer;
import dev.evomerge.model.WeightSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A layer path as a recipe (YAML both ways) and as a checkpoint (written, then run again by the engine or read as a plain model). */
class LayerPathMergeTest {
    private static final long[] TOKENS = {1, 403, 407, 261, 32, 290, 77, 301};
    private static final String JA = Fixtures.model("stories260K-ja").toString();
    private static final String MATH = Fixtures.model("stories260K-math").toString();
    private static final String BASE = Fixtures.model("stories260K").toString();

    @TempDir
    Path tmp;

    private static MergeConfig psRecipe() {
        return MergeConfig.parse("ps", """
                merge_method: task_arithmetic
                base_model: %s
                models:
                  - {model: %s, parameters: {weight: 0.625}}
                  - {model: %s, parameters: {weight: 0.375}}
                dtype: float32
                """.formatted(BASE, MATH, JA));
    }

    private static LayerPath randomPath(SplittableRandom r, int pool) {
        List<LayerPath.Step> steps = new ArrayList<>();
        int depth = 1 + r.nextInt(12);
        for (int i = 0; i < depth; i++) {
            steps.add(new LayerPath.Step(r.nextInt(pool), r.nextInt(5), r.nextBoolean() ? 1.0 : r.nextDouble() * 2));
        }
        return new LayerPath(steps, r.nextInt(pool));
    }

    @Test
    void aLayerPathRecipeRoundTripsThroughItsYamlAndTravelsAsItself() throws Exception {
        SplittableRandom r = new SplittableRandom(5);
        for (int trial = 0; trial < 100; trial++) {
            List<Recipe> pool = new ArrayList<>(List.of(new AsIs("s3a://bucket/ja:" + trial), new AsIs(MATH)));
            if (r.nextBoolean()) {
                pool.add(psRecipe());
            }
            LayerPathMerge m = new LayerPathMerge(pool, randomPath(r, pool.size()), r.nextBoolean() ? null : dev.evomerge.io.DType.BF16);
            String yaml = m.toYaml();
            Recipe back = Recipe.parse("trial " + trial, yaml);
            assertEquals(m, back, yaml);
            assertEquals(yaml, back.toYaml(), "canonical");
        }
        LayerPathMerge m = new LayerPathMerge(List.of(new AsIs(JA), psRecipe()), randomPath(r, 2), null);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(m);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(m, in.readObject());
        }
    }

    @Test
    void aBrokenLayerPathRecipeIsOneLineNamingTheKey() {
        String pool = "merge_method: layer_path\npool: [{model: a}, {model: b}]\n";
        assertMessage("r.yml: key 'path': missing or empty", () -> Recipe.parse("r.yml", pool + "path: []\n"));
        assertMessage("r.yml: key 'path[1]': needs model (a pool index below 2)", () -> Recipe.parse("r.yml",
                pool + "path: [{model: 0, layer: 0}, {model: 2, layer: 1}]\n"));
        assertMessage("r.yml: key 'path[0].scale': must be a finite number", () -> Recipe.parse("r.yml",
                pool + "path: [{model: 0, layer: 0, scale: .nan}]\n"));
        assertMessage("r.yml: key 'pool': missing or empty", () -> Recipe.parse("r.yml", "merge_method: layer_path\npool: []\n"));
        assertMessage("r.yml: key 'embeddings_from': 3 is not a pool index", () -> Recipe.parse("r.yml",
                pool + "path: [{model: 0, layer: 0}]\nembeddings_from: 3\n"));
        assertMessage("r.yml: key 'slices': unknown key of a layer_path merge", () -> Recipe.parse("r.yml",
                pool + "path: [{model: 0, layer: 0}]\nslices: []\n"));
    }

    private static void assertMessage(String start, org.junit.jupiter.api.function.Executable call) {
        Exception e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    private CheckpointCache cache() {
        return new CheckpointCache(Storage.withDefaults(), tmp.resolve("cache"));
    }

    @Test
    void aPathWithUnitScalesIsWrittenAsThePlainCheckpointThatPassthroughStacks() throws Exception {
        // math 0, 1; ja 1, 1, 3; math 4 (ja's layer 1 twice), ja's embeddings and head
        List<LayerPath.Step> steps = List.of(new LayerPath.Step(1, 0, 1), new LayerPath.Step(1, 1, 1), new LayerPath.Step(0, 1, 1),
                new LayerPath.Step(0, 1, 1), new LayerPath.Step(0, 3, 1), new LayerPath.Step(1, 4, 1));
        LayerPathMerge path = new LayerPathMerge(List.of(new AsIs(JA), new AsIs(MATH)), new LayerPath(steps, 0), null);
        MergeRun.run(path, tmp.resolve("path").toString(), Storage.withDefaults(), cache());
        MergeConfig stack = MergeConfig.parse("stack", """
                merge_method: passthrough
                slices:
                  - sources: [{model: %s, layer_range: [0, 2]}]
                  - sources: [{model: %s, layer_range: [1, 2]}]
                  - sources: [{model: %s, layer_range: [1, 2]}]
                  - sources: [{model: %s, layer_range: [3, 4]}]
                  - sources: [{model: %s, layer_range: [4, 5]}]
                dtype: float32
                """.formatted(MATH, JA, JA, JA, MATH));
        Merger.merge(stack, tmp.resolve("stack"), cache());
        try (Checkpoint p = Checkpoint.open(tmp.resolve("path")); Checkpoint s = Checkpoint.open(tmp.resolve("stack"));
             Checkpoint ja = Checkpoint.open(Path.of(JA))) {
            ModelConfig c = p.config();
            assertEquals("llama", c.raw().get("model_type").asText()); // a plain model: transformers' LlamaForCausalLM
            assertFalse(c.raw().has(ModelConfig.LAYER_SCALES));
            assertTrue(c.layerScales().isEmpty());
            assertEquals(6, c.numHiddenLayers());
            assertEquals(s.tensors().keySet().stream().sorted().toList(), p.tensors().keySet().stream().sorted().toList());
            for (String name : p.tensors().keySet()) {
                // the layers equal passthrough's stack; the embeddings and head are model A's (passthrough takes its first slice's)
                Checkpoint expected = name.contains("layers.") ? s : ja;
                assertArrayEquals(expected.floats(name), p.floats(name), name);
            }
            assertTrue(Files.isRegularFile(tmp.resolve("path/tokenizer.json")));
            assertEquals(path, Recipe.parse("layer_path.yml", Files.readString(tmp.resolve("path/layer_path.yml"))));
        }
    }

    @Test
    void aScaledPathWrittenAndLoadedAgainRunsAsThePathDid() throws Exception {
        SplittableRandom r = new SplittableRandom(11);
        List<LayerPath.Step> steps = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            steps.add(new LayerPath.Step(r.nextInt(2), r.nextInt(5), 0.5 + r.nextDouble()));
        }
        LayerPath lp = new LayerPath(steps, 1);
        LayerPathMerge path = new LayerPathMerge(List.of(new AsIs(JA), new AsIs(MATH)), lp, null);
        MergeRun.run(path, tmp.resolve("scaled").toString(), Storage.withDefaults(), cache());
        try (Checkpoint ja = Checkpoint.open(Path.of(JA)); Checkpoint math = Checkpoint.open(Path.of(MATH));
             LayerStore store = LayerStore.open(List.of(WeightSource.of(ja), WeightSource.of(math)), Device.cpu());
             Transformer walked = store.transformer(lp);
             Checkpoint written = Checkpoint.open(tmp.resolve("scaled"));
             Transformer reloaded = Transformer.load(written, Device.cpu())) {
            assertEquals(ModelConfig.LAYER_PATH_MODEL_TYPE, written.config().raw().get("model_type").asText());
            assertEquals("llama", written.config().modelType());
            assertEquals(steps.stream().map(LayerPath.Step::scale).toList(), written.config().layerScales());
            assertEquals(9, reloaded.depth());
            assertArrayEquals(walked.logits(TOKENS), reloaded.logits(TOKENS));
        }
    }

    @Test
    void aParameterSpaceRecipeInThePoolIsMergedAsItsCheckpointWouldBe() throws Exception {
        // PS+DFS: the same path over the inline recipe and over the recipe merged to disk first writes the same checkpoint
        MergeConfig ps = psRecipe();
        Merger.merge(ps, tmp.resolve("ps"), cache());
        LayerPath lp = new LayerPath(List.of(new LayerPath.Step(0, 0, 1), new LayerPath.Step(1, 2, 0.75),
                new LayerPath.Step(0, 2, 1.25), new LayerPath.Step(0, 4, 1)), 0);
        MergeRun.run(new LayerPathMerge(List.of(ps, new AsIs(JA)), lp, null), tmp.resolve("inline").toString(), Storage.withDefaults(),
                cache());
        MergeRun.run(new LayerPathMerge(List.of(new AsIs(tmp.resolve("ps").toString()), new AsIs(JA)), lp, null),
                tmp.resolve("ondisk").toString(), Storage.withDefaults(), cache());
        try (Checkpoint a = Checkpoint.open(tmp.resolve("inline")); Checkpoint b = Checkpoint.open(tmp.resolve("ondisk"))) {
            assertEquals(b.tensors().keySet(), a.tensors().keySet());
            for (String name : a.tensors().keySet()) {
                assertArrayEquals(b.floats(name), a.floats(name), name);
            }
            assertEquals(b.config().raw(), a.config().raw());
        }
    }
}
