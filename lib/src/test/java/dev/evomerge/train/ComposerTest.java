package dev.evomerge.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.evomerge.Fixtures;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.model.ComposedCheckpoint;
import dev.evomerge.model.Composition;
import dev.evomerge.model.Djl;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training a composition on the mini world: EN math as the anchor, JA general as the augmenting
 * model, CALM's every-2nd-layer pairs, a few steps on the mini-MGSM-ja fitness questions.
 */
class ComposerTest {
    private static final PrintStream QUIET = new PrintStream(java.io.OutputStream.nullOutputStream());
    private static final Path ANCHOR = Fixtures.model("mini-world/en-math");
    private static final Path AUGMENTING = Fixtures.model("mini-world/ja-general");

    static {
        Djl.init();
    }

    @TempDir
    Path tmp;

    private static TrainingSettings settings(int steps) {
        return new TrainingSettings(Fixtures.data("mini-world/mini_mgsm_ja_fitness.jsonl"), "ja-alpaca-cot", steps, 8, 160, 1e-2,
                1e-3, 1, 0.0, 0.9, 0.95, 1.0, 3, steps);
    }

    private ComposeConfig config(String out, Path anchor, Path augmenting) {
        return new ComposeConfig(tmp.resolve(out).toString(), anchor.toString(), augmenting.toString(), 2, List.of(), 0, settings(4), null);
    }

    @Test
    void onlyTheNewWeightsTrainAndTheSavedCompositionIsTheTrainedOne() throws Exception {
        try (Checkpoint a = Checkpoint.open(ANCHOR); Checkpoint b = Checkpoint.open(AUGMENTING);
             Transformer anchor = Transformer.load(a, Device.cpu()); Transformer augmenting = Transformer.load(b, Device.cpu());
             Tokenizer tokenizer = Tokenizer.load(a.dir(), a.config());
             Composition c = Composition.create(anchor, augmenting, Composition.everyKth(4, 4, 2), 4, 3);
             NDManager m = NDManager.newBaseManager()) {
            assertEquals(List.of(new Composition.Pair(1, 1), new Composition.Pair(3, 3)), c.pairs());
            Map<String, float[]> before = floats(anchor.checkpointTensors());
            before.putAll(prefixed(floats(augmenting.checkpointTensors())));
            TrainingSettings s = settings(4);
            long eos = a.config().eosTokenIds().get(0);
            TrainingLoop.Outcome done = TrainingLoop.run(c, c.parameters(), TrainingSet.read(s.data(), tokenizer, s.template(),
                    s.maxLength(), eos), s, eos, QUIET);
            assertEquals(c.parameters().stream().mapToLong(NDArray::size).sum(), done.parameters());
            Map<String, float[]> after = floats(anchor.checkpointTensors());
            after.putAll(prefixed(floats(augmenting.checkpointTensors())));
            assertEquals(before.keySet(), after.keySet());
            before.forEach((name, v) -> assertArrayEquals(v, after.get(name), name + " frozen"));
            float[] wo = c.tensors().get("composition.0.o_proj.weight").toFloatArray();
            assertTrue(java.util.Arrays.stream(toDoubles(wo)).anyMatch(x -> x != 0), "Wo trained away from zero");

            Path saved = Files.createDirectories(tmp.resolve("saved"));
            ComposedCheckpoint.write(saved, c, ANCHOR.toString(), a, AUGMENTING.toString(), b, new com.fasterxml.jackson.databind.ObjectMapper()
                    .createObjectNode());
            long[][] prompt = {tokenizer.encode("みさきはいぬを10匹持っています。")};
            try (ComposedCheckpoint.Loaded loaded = ComposedCheckpoint.open(saved, Path::of, Device.cpu())) {
                assertArrayEquals(c.forward(anchor.tokens(m, prompt)).toFloatArray(),
                        loaded.composition().forward(loaded.anchor().tokens(m, prompt)).toFloatArray(), "reloaded: the same logits");
                assertFalse(java.util.Arrays.equals(anchor.forward(anchor.tokens(m, prompt)).toFloatArray(),
                        loaded.composition().forward(loaded.anchor().tokens(m, prompt)).toFloatArray()), "not the anchor any more");
            }
        }
    }

    @Test
    void composingIsDeterministicAndLeavesTheParentsAsTheyWere() throws Exception {
        String anchorHash = ComposedCheckpoint.contentHash(ANCHOR);
        String augmentingHash = ComposedCheckpoint.contentHash(AUGMENTING);
        Composer.Result first = compose(config("first", ANCHOR, AUGMENTING));
        Composer.Result second = compose(config("second", ANCHOR, AUGMENTING));
        assertArrayEquals(Files.readAllBytes(Path.of(first.out()).resolve(ComposedCheckpoint.WEIGHTS)),
                Files.readAllBytes(Path.of(second.out()).resolve(ComposedCheckpoint.WEIGHTS)), "the same seed, the same bytes");
        assertEquals(anchorHash, ComposedCheckpoint.contentHash(ANCHOR));
        assertEquals(augmentingHash, ComposedCheckpoint.contentHash(AUGMENTING));
        for (String f : List.of(ComposedCheckpoint.CONFIG, "tokenizer.json", "training_log.csv", "loss.png", "README.md")) {
            assertTrue(Files.isRegularFile(Path.of(first.out()).resolve(f)), f);
        }
        assertEquals(2 * (128L * 128 + 128 + 4 * 128L * 128), first.parameters(), "two pairs: projection with bias, Wq, Wk, Wv, Wo");
    }

    /**
     * A Spark executor's task thread may come with PyTorch's autograd recording on (thread-local
     * state an earlier task left; the compose job failed so after the mini world's job ran in the
     * same JVM): DJL's gradient collector restores it, and the optimizer's in-place update of a weight
     * that requires a gradient then fails. Training turns it off first.
     */
    @Test
    void trainsOnAThreadWhereAutogradWasLeftOn() throws Exception {
        Throwable[] failure = new Throwable[1];
        Composer.Result[] result = new Composer.Result[1];
        Thread task = new Thread(() -> {
            try {
                ai.djl.pytorch.jni.JniUtils.setGradMode(true);
                result[0] = compose(config("thread", ANCHOR, AUGMENTING));
            } catch (Throwable t) {
                failure[0] = t;
            }
        });
        task.start();
        task.join();
        if (failure[0] != null) {
            throw new AssertionError("training on a new thread failed: " + failure[0], failure[0]);
        }
        assertTrue(Files.isRegularFile(Path.of(result[0].out()).resolve(ComposedCheckpoint.WEIGHTS)));
    }

    @Test
    void aChangedParentADifferentTokenizerAndALayerOutsideAreOneLineEach() throws Exception {
        Path copy = tmp.resolve("anchor-copy");
        Files.createDirectories(copy);
        try (var files = Files.list(ANCHOR)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Composer.Result r = compose(config("c", copy, AUGMENTING));
        Files.writeString(copy.resolve("config.json"), Files.readString(copy.resolve("config.json")).replace("\"rms_norm_eps\" : 1.0E-5",
                "\"rms_norm_eps\" : 1.0E-6"));
        CheckpointException changed = assertThrows(CheckpointException.class, () -> ComposedCheckpoint.open(Path.of(r.out()), Path::of, Device.cpu()));
        assertTrue(changed.getMessage().startsWith(Path.of(r.out()).resolve(ComposedCheckpoint.CONFIG) + ": anchor " + copy
                + " has changed since the composition was trained (sha256 "), changed.getMessage());
        assertTrue(changed.getMessage().endsWith("): compose it again"), changed.getMessage());

        CheckpointException tokenizer = assertThrows(CheckpointException.class, () -> compose(config("t", ANCHOR,
                Fixtures.model("stories260K"))));
        assertEquals(Fixtures.model("stories260K") + ": tokenizer.json differs from the anchor's (" + ANCHOR + "): CALM reads both "
                + "models on the same tokens, so they need one tokenizer", tokenizer.getMessage());

        ComposeConfig outside = new ComposeConfig(tmp.resolve("o").toString(), ANCHOR.toString(), AUGMENTING.toString(), 0,
                List.of(new int[] {1, 4}), 0, settings(1), null);
        assertEquals("augmenting layer 4 is outside the augmenting model's 4 layers",
                assertThrows(IllegalArgumentException.class, () -> compose(outside)).getMessage());
        assertFalse(Files.exists(tmp.resolve("o")), "nothing written");
    }

    private static Composer.Result compose(ComposeConfig config) {
        return Composer.compose(config, Path.of(config.out()), Path::of, QUIET);
    }

    private static Map<String, float[]> floats(Map<String, NDArray> tensors) {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    private static Map<String, float[]> prefixed(Map<String, float[]> m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put("augmenting." + k, v));
        return out;
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
