package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.evomerge.Fixtures;
import dev.evomerge.SyntheticCheckpoints;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.DType;
import dev.evomerge.io.ShardedWriter;
import dev.evomerge.io.Storage;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.io.TensorNames;
import dev.evomerge.io.TensorSpec;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.Merger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transformer runs a path of layers: a model's own path is the model; a path with a repeated layer is a stacked model. */
class LayerPathTest {
    private static final long[] TOKENS = {1, 403, 407, 261, 32, 290, 77, 301};

    @TempDir
    Path tmp;

    private static List<LayerPath.Step> steps(int model, int... layers) {
        List<LayerPath.Step> out = new ArrayList<>();
        for (int l : layers) {
            out.add(new LayerPath.Step(model, l, 1.0));
        }
        return out;
    }

    @Test
    void aModelsOwnLayersInOrderWithUnitScalesAreTheModelBitForBit() {
        try (Checkpoint c = Checkpoint.open(Fixtures.model("stories260K-math"));
             Transformer model = Transformer.load(c, Device.cpu());
             Transformer path = Transformer.load(List.of(WeightSource.of(c)), new LayerPath(steps(0, 0, 1, 2, 3, 4), 0), Device.cpu())) {
            assertEquals(5, path.depth());
            assertArrayEquals(model.logits(TOKENS), path.logits(TOKENS));
        }
    }

    @Test
    void aPathThatRepeatsLayersIsThePassthroughMergeThatStacksThem() throws Exception {
        // stories260K-math layers 0, 1, 2, then stories260K-ja layers 2, 2, 3 (layer 2 twice), math's layer 4, math's
        // embeddings and head, against mergekit's passthrough of the same slices (embeddings from the first slice's model,
        // norm and head from the last slice's: both math), written as a checkpoint and loaded as a plain model
        String math = Fixtures.model("stories260K-math").toString();
        String ja = Fixtures.model("stories260K-ja").toString();
        MergeConfig stack = MergeConfig.parse("stack", """
                merge_method: passthrough
                slices:
                  - sources: [{model: %s, layer_range: [0, 3]}]
                  - sources: [{model: %s, layer_range: [2, 3]}]
                  - sources: [{model: %s, layer_range: [2, 4]}]
                  - sources: [{model: %s, layer_range: [4, 5]}]
                dtype: float32
                """.formatted(math, ja, ja, math));
        Merger.merge(stack, tmp.resolve("stacked"), new CheckpointCache(Storage.withDefaults(), tmp.resolve("cache")));
        List<LayerPath.Step> path = steps(0, 0, 1, 2);
        path.addAll(steps(1, 2, 2, 3));
        path.addAll(steps(0, 4));
        try (Checkpoint m = Checkpoint.open(Path.of(math)); Checkpoint j = Checkpoint.open(Path.of(ja));
             Checkpoint s = Checkpoint.open(tmp.resolve("stacked"));
             Transformer stacked = Transformer.load(s, Device.cpu());
             Transformer walked = Transformer.load(List.of(WeightSource.of(m), WeightSource.of(j)), new LayerPath(path, 0), Device.cpu());
             Tokenizer tok = Tokenizer.load(m.dir(), m.config())) {
            assertEquals(7, stacked.config().numHiddenLayers());
            assertEquals(7, walked.depth());
            assertArrayEquals(stacked.logits(TOKENS), walked.logits(TOKENS));
            // generation and likelihood run on the path's depth: a KV cache per step, a layer visited twice has two
            Generator.Options greedy = Generator.Options.greedy(24);
            List<long[]> prompts = List.of(new long[] {1, 403, 407}, new long[] {1, 261});
            List<Generator.Result> a = new Generator(stacked, tok).generate(prompts, greedy);
            List<Generator.Result> b = new Generator(walked, tok).generate(prompts, greedy);
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(a.get(i).tokens(), b.get(i).tokens());
            }
            List<Likelihood.Item> items = List.of(Likelihood.Item.wholeText(tok, "Question: 3 + 4? Answer: 7."),
                    Likelihood.Item.wholeText(tok, "今日は"));
            assertEquals(new Likelihood(stacked, 2).score(items), new Likelihood(walked, 2).score(items));
            assertEquals(stacked.parameters().size() - 7 * 6 + 6 * 6, walked.parameters().size(), "layer 2 of ja is held once");
        }
    }

    @Test
    void aScaleMultipliesTheHiddenStateEnteringItsLayer() throws Exception {
        // Scaling what enters the first layer by s is scaling the embeddings by s (an untied head stays as it is).
        Path dir = RandomCheckpoints.write(tmp.resolve("untied"), new SyntheticCheckpoints.Spec("llama", 24, 3, 3, 2, 40, 512, false,
                null), 9);
        Path scaled = scaledEmbeddings(dir, 0.75f);
        List<LayerPath.Step> path = new ArrayList<>(List.of(new LayerPath.Step(0, 0, 0.75), new LayerPath.Step(0, 1, 1.0)));
        try (Checkpoint c = Checkpoint.open(dir); Checkpoint sc = Checkpoint.open(scaled);
             Transformer plain = Transformer.load(c, Device.cpu());
             Transformer viaPath = Transformer.load(List.of(WeightSource.of(c)), new LayerPath(path, 0), Device.cpu());
             Transformer viaWeights = Transformer.load(sc, Device.cpu())) {
            assertArrayEquals(viaWeights.logits(TOKENS), viaPath.logits(TOKENS));
            assertFalse(Arrays.equals(plain.logits(TOKENS), viaPath.logits(TOKENS)));
        }
    }

    @Test
    void aPathThatCannotRunIsOneClearError() throws Exception {
        Path wide = RandomCheckpoints.write(tmp.resolve("wide"), new SyntheticCheckpoints.Spec("llama", 96, 8, 4, 2, 172, 512, true,
                null), 1);
        try (Checkpoint s = Checkpoint.open(Fixtures.model("stories260K")); Checkpoint w = Checkpoint.open(wide)) {
            List<WeightSource> both = List.of(WeightSource.of(s), WeightSource.of(w));
            CheckpointException shapes = assertThrows(CheckpointException.class,
                    () -> Transformer.load(both, new LayerPath(List.of(new LayerPath.Step(0, 0, 1), new LayerPath.Step(1, 0, 1)), 0),
                            Device.cpu()));
            assertTrue(shapes.getMessage().contains("config.json key 'hidden_size': 96 but"), shapes.getMessage());
            CheckpointException layer = assertThrows(CheckpointException.class,
                    () -> Transformer.load(both.subList(0, 1), new LayerPath(steps(0, 0, 5), 0), Device.cpu()));
            assertTrue(layer.getMessage().endsWith("layer path step names layer 5 of 5"), layer.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new LayerPath(List.of(), 0));
            assertThrows(IllegalArgumentException.class,
                    () -> Transformer.load(both.subList(0, 1), new LayerPath(steps(1, 0), 0), Device.cpu()));
        }
    }

    /** A copy of a checkpoint whose embeddings are multiplied by {@code s} (in float32, as the model would). */
    private Path scaledEmbeddings(Path dir, float s) throws Exception {
        Path out = Files.createDirectories(tmp.resolve("scaled"));
        try (Checkpoint c = Checkpoint.open(dir)) {
            List<TensorSpec> specs = new ArrayList<>();
            for (TensorInfo t : c.tensors().values()) {
                specs.add(new TensorSpec(t.name(), DType.F32, t.shape()));
            }
            try (ShardedWriter w = new ShardedWriter(out, specs, ShardedWriter.DEFAULT_MAX_SHARD_BYTES)) {
                for (TensorInfo t : c.tensors().values()) {
                    float[] v = c.floats(t.name());
                    if (t.name().equals(TensorNames.EMBEDDINGS)) {
                        for (int i = 0; i < v.length; i++) {
                            v[i] *= s;
                        }
                    }
                    w.write(t.name(), TensorBytes.fromFloats(v, DType.F32));
                }
                w.finish();
            }
        }
        for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(dir.resolve(f), out.resolve(f));
        }
        return out;
    }
}
