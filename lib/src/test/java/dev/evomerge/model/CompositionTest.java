package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.evomerge.SyntheticCheckpoints;
import dev.evomerge.io.Checkpoint;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CALM's composition against a plain double-precision implementation: two random models of
 * different widths (anchor 32 wide with grouped KV heads, augmenting 24 wide), the augmenting
 * model's states read by {@link ReferenceForward}'s hook, the cross-attention written out in
 * loops here.
 */
class CompositionTest {
    private static final SyntheticCheckpoints.Spec ANCHOR = new SyntheticCheckpoints.Spec("llama", 32, 4, 2, 3, 48, 512, false, null);
    private static final SyntheticCheckpoints.Spec AUGMENTING = new SyntheticCheckpoints.Spec("llama", 24, 3, 3, 2, 40, 512, true, null);
    private static final List<Composition.Pair> PAIRS = List.of(new Composition.Pair(0, 0), new Composition.Pair(2, 1));
    private static final int HEADS = 2;

    @TempDir
    static Path tmp;
    private static Path anchorDir;
    private static Path augmentingDir;

    @BeforeAll
    static void models() throws Exception {
        Djl.init();
        anchorDir = RandomCheckpoints.write(tmp.resolve("anchor"), ANCHOR, 1);
        augmentingDir = RandomCheckpoints.write(tmp.resolve("augmenting"), AUGMENTING, 2);
    }

    private static long[] tokens(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return r.longs(n, 3, 512).toArray();
    }

    /** Every new tensor drawn at random (Wo too, so the cross-attention contributes). */
    private static Map<String, float[]> randomWeights(Composition shapes, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> out = new LinkedHashMap<>();
        shapes.tensors().forEach((name, a) -> {
            float[] v = new float[(int) a.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((r.nextDouble() - 0.5) * 0.6);
            }
            out.put(name, v);
        });
        return out;
    }

    /** The two random models, loaded; a composition over them with random new weights (Wo too). */
    private record Models(Checkpoint a, Checkpoint b, Transformer anchor, Transformer augmenting) implements AutoCloseable {
        static Models open() {
            Checkpoint a = Checkpoint.open(anchorDir);
            Checkpoint b = Checkpoint.open(augmentingDir);
            return new Models(a, b, Transformer.load(a, Device.cpu()), Transformer.load(b, Device.cpu()));
        }

        /** The new weights of {@code seed}, by name, and a composition with them. */
        Map<String, float[]> weights(long seed) {
            try (Composition shapes = Composition.create(anchor, augmenting, PAIRS, HEADS, 7)) {
                return randomWeights(shapes, seed);
            }
        }

        Composition composition(long seed) {
            return Composition.of(anchor, augmenting, PAIRS, HEADS, weights(seed));
        }

        @Override
        public void close() {
            anchor.close();
            augmenting.close();
            a.close();
            b.close();
        }
    }

    @Test
    void untrainedItIsTheAnchorExactly() {
        long[] ids = tokens(9, 3);
        try (Checkpoint a = Checkpoint.open(anchorDir); Checkpoint b = Checkpoint.open(augmentingDir);
             Transformer anchor = Transformer.load(a, Device.cpu()); Transformer augmenting = Transformer.load(b, Device.cpu());
             Composition c = Composition.create(anchor, augmenting, PAIRS, HEADS, 7); NDManager m = NDManager.newBaseManager()) {
            NDArray t = anchor.tokens(m, new long[][] {ids});
            assertArrayEquals(anchor.forward(t).toFloatArray(), c.forward(t).toFloatArray(), "training forward");
            assertArrayEquals(anchor.logits(ids), cached(c, m, ids, 9), "cached forward");
        }
    }

    @Test
    void theComposedForwardIsTheDoublePrecisionOne() {
        long[] ids = tokens(8, 4);
        try (Models models = Models.open(); Composition c = models.composition(9); NDManager m = NDManager.newBaseManager()) {
            Transformer anchor = models.anchor();
            double[][] expected = reference(models.a(), models.b(), models.weights(9), ids);
            float[] alone = anchor.logits(ids);
            float[] training = c.forward(anchor.tokens(m, new long[][] {ids})).toFloatArray();
            float[] cached = cached(c, m, ids, 3); // three tokens, then one at a time: the caches advance together
            int v = 512;
            double maxDiff = 0;
            for (int i = 0; i < ids.length; i++) {
                for (int k = 0; k < v; k++) {
                    assertEquals(expected[i][k], training[i * v + k], 1e-4, "training forward, position " + i);
                    assertEquals(expected[i][k], cached[i * v + k], 1e-4, "cached forward, position " + i);
                    maxDiff = Math.max(maxDiff, Math.abs(expected[i][k] - alone[i * v + k]));
                }
            }
            org.junit.jupiter.api.Assertions.assertTrue(maxDiff > 1e-2, "the cross-attention changes the logits: " + maxDiff);
        }
    }

    /** The new parameters' gradients, by autograd, against central differences of the double-precision forward. */
    @Test
    void gradientsOfTheNewParametersAreTheFiniteDifferences() {
        long[] ids = tokens(6, 5);
        try (Models models = Models.open(); Composition c = models.composition(11); NDManager m = NDManager.newBaseManager()) {
            Transformer anchor = models.anchor();
            Checkpoint a = models.a();
            Checkpoint b = models.b();
            Map<String, float[]> w = models.weights(11);
            c.parameters().forEach(p -> p.setRequiresGradient(true));
            String[] checked = {"composition.0.proj.weight", "composition.0.k_proj.weight", "composition.1.o_proj.weight",
                "composition.1.proj.bias", "composition.1.q_proj.weight"};
            Map<String, float[]> analytic = new LinkedHashMap<>();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = c.forward(anchor.tokens(m, new long[][] {ids})).get(":, :, 7").sum();
                gc.backward(loss);
                for (String name : checked) {
                    analytic.put(name, c.tensors().get(name).getGradient().toFloatArray());
                }
            }
            for (String name : checked) {
                int index = 5;
                float original = w.get(name)[index];
                double h = 1e-3;
                w.get(name)[index] = (float) (original + h);
                double plus = sumOfToken7(reference(a, b, w, ids));
                w.get(name)[index] = (float) (original - h);
                double minus = sumOfToken7(reference(a, b, w, ids));
                w.get(name)[index] = original;
                double numeric = (plus - minus) / (2 * h);
                assertEquals(numeric, analytic.get(name)[index], 2e-2 * Math.max(1, Math.abs(numeric)), name);
            }
        }
    }

    /** Generation and likelihood run a composition as a model: left-padded batches against each sequence's training forward. */
    @Test
    void generationAndLikelihoodRunACompositionAsAModel() {
        long[][] prompts = {tokens(5, 6), tokens(3, 7)};
        try (Models models = Models.open(); Composition c = models.composition(13); NDManager m = NDManager.newBaseManager()) {
            Transformer anchor = models.anchor();
            List<Generator.Result> generated = new Generator(c, null).generate(List.of(prompts), new Generator.Options(4, List.of(), false));
            List<Likelihood.Score> scores = new Likelihood(c, 2).score(List.of(new Likelihood.Item(new long[] {prompts[0][0]},
                    Arrays.copyOfRange(prompts[0], 1, 5)), new Likelihood.Item(new long[] {prompts[1][0]}, Arrays.copyOfRange(prompts[1], 1, 3))));
            for (int i = 0; i < prompts.length; i++) {
                long[] sequence = prompts[i];
                for (int n = 0; n < 4; n++) { // greedy by hand: the training forward of the whole sequence, argmax of its last row
                    float[] logits = c.forward(anchor.tokens(m, new long[][] {sequence})).get(0).get(-1).toFloatArray();
                    int best = 0;
                    for (int k = 1; k < logits.length; k++) {
                        best = logits[k] > logits[best] ? k : best;
                    }
                    sequence = java.util.stream.LongStream.concat(Arrays.stream(sequence), java.util.stream.LongStream.of(best)).toArray();
                }
                assertArrayEquals(Arrays.copyOfRange(sequence, prompts[i].length, sequence.length), generated.get(i).tokens(), "prompt " + i);
                float[] logp = c.forward(anchor.tokens(m, new long[][] {prompts[i]})).get(0).logSoftmax(-1).toFloatArray();
                double loss = 0;
                for (int t = 1; t < prompts[i].length; t++) {
                    loss -= logp[(t - 1) * 512 + (int) prompts[i][t]];
                }
                assertEquals(loss, scores.get(i).loss(), 1e-3, "likelihood of prompt " + i);
            }
        }
    }

    @Test
    void layersOutsideEitherModelAndOtherVocabulariesAreOneLine() throws Exception {
        Path otherVocabulary = RandomCheckpoints.write(tmp.resolve("vocab"),
                new SyntheticCheckpoints.Spec("llama", 24, 3, 3, 2, 40, 300, true, null), 3);
        try (Checkpoint a = Checkpoint.open(anchorDir); Checkpoint b = Checkpoint.open(augmentingDir); Checkpoint o = Checkpoint.open(otherVocabulary);
             Transformer anchor = Transformer.load(a, Device.cpu()); Transformer augmenting = Transformer.load(b, Device.cpu());
             Transformer other = Transformer.load(o, Device.cpu())) {
            assertEquals("anchor layer 3 is outside the anchor's 3 layers", assertThrows(IllegalArgumentException.class,
                    () -> Composition.create(anchor, augmenting, List.of(new Composition.Pair(3, 0)), HEADS, 1)).getMessage());
            assertEquals("augmenting layer 2 is outside the augmenting model's 2 layers", assertThrows(IllegalArgumentException.class,
                    () -> Composition.create(anchor, augmenting, List.of(new Composition.Pair(0, 2)), HEADS, 1)).getMessage());
            assertEquals("the anchor's vocabulary has 512 tokens, the augmenting model's 300: CALM reads both models on the same "
                    + "tokens, so they need one tokenizer", assertThrows(IllegalArgumentException.class,
                    () -> Composition.create(anchor, other, PAIRS, HEADS, 1)).getMessage());
            assertEquals("cross-attention heads: 3 do not divide the anchor's width 32", assertThrows(IllegalArgumentException.class,
                    () -> Composition.create(anchor, augmenting, PAIRS, 3, 1)).getMessage());
        }
    }

    private static double sumOfToken7(double[][] logits) {
        return Arrays.stream(logits).mapToDouble(row -> row[7]).sum();
    }

    /** Logits of one sequence fed {@code first} tokens at once, then one at a time, through a composed cache. */
    private static float[] cached(Composition c, NDManager m, long[] ids, int first) {
        float[] out = new float[ids.length * 512];
        try (Composition.Cache cache = c.newState(m, 1, ids.length)) {
            int at = 0;
            while (at < ids.length) {
                int n = at == 0 ? first : 1;
                long[] chunk = Arrays.copyOfRange(ids, at, at + n);
                long[][] mask = new long[1][n];
                Arrays.fill(mask[0], 1);
                float[] logits = c.forward(c.anchor().tokens(m, new long[][] {chunk}), Transformer.longs(m, mask), cache, false)
                        .toFloatArray();
                System.arraycopy(logits, 0, out, at * 512, logits.length);
                at += n;
            }
        }
        return out;
    }

    /** The composed logits in double: the augmenting states by the reference's hook, then the anchor with the cross-attentions added. */
    private static double[][] reference(Checkpoint a, Checkpoint b, Map<String, float[]> w, long[] ids) {
        double[][][] states = new double[PAIRS.size()][][];
        new ReferenceForward(b).logits(ids, (layer, x) -> {
            for (int j = 0; j < PAIRS.size(); j++) {
                if (PAIRS.get(j).augmentingLayer() == layer) {
                    states[j] = Arrays.stream(x).map(double[]::clone).toArray(double[][]::new);
                }
            }
        });
        int d = ANCHOR.hidden();
        int hd = d / HEADS;
        return new ReferenceForward(a).logits(ids, (layer, x) -> {
            for (int j = 0; j < PAIRS.size(); j++) {
                if (PAIRS.get(j).anchorLayer() != layer) {
                    continue;
                }
                double[][] y = new double[ids.length][];
                double[][] q = new double[ids.length][];
                double[][] k = new double[ids.length][];
                double[][] v = new double[ids.length][];
                for (int t = 0; t < ids.length; t++) {
                    y[t] = ReferenceForward.matvec(doubles(w.get("composition." + j + ".proj.weight")), states[j][t], d);
                    double[] bias = doubles(w.get("composition." + j + ".proj.bias"));
                    for (int e = 0; e < d; e++) {
                        y[t][e] += bias[e];
                    }
                    q[t] = ReferenceForward.matvec(doubles(w.get("composition." + j + ".q_proj.weight")), x[t], d);
                    k[t] = ReferenceForward.matvec(doubles(w.get("composition." + j + ".k_proj.weight")), y[t], d);
                    v[t] = ReferenceForward.matvec(doubles(w.get("composition." + j + ".v_proj.weight")), y[t], d);
                }
                double[][] added = new double[ids.length][];
                for (int t = 0; t < ids.length; t++) {
                    double[] merged = new double[d];
                    for (int h = 0; h < HEADS; h++) {
                        double[] s = new double[t + 1];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int u = 0; u <= t; u++) {
                            for (int e = 0; e < hd; e++) {
                                s[u] += q[t][h * hd + e] * k[u][h * hd + e];
                            }
                            s[u] /= Math.sqrt(hd);
                            max = Math.max(max, s[u]);
                        }
                        double sum = 0;
                        for (int u = 0; u <= t; u++) {
                            s[u] = Math.exp(s[u] - max);
                            sum += s[u];
                        }
                        for (int u = 0; u <= t; u++) {
                            for (int e = 0; e < hd; e++) {
                                merged[h * hd + e] += s[u] / sum * v[u][h * hd + e];
                            }
                        }
                    }
                    added[t] = ReferenceForward.matvec(doubles(w.get("composition." + j + ".o_proj.weight")), merged, d);
                }
                for (int t = 0; t < ids.length; t++) {
                    for (int e = 0; e < d; e++) {
                        x[t][e] += added[t][e];
                    }
                }
            }
        });
    }

    private static double[] doubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
