package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.evomerge.Fixtures;
import dev.evomerge.SyntheticCheckpoints;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.LayerPathMerge;
import dev.evomerge.model.LayerPath;
import dev.evomerge.model.LayerStore;
import dev.evomerge.model.Transformer;
import dev.evomerge.model.WeightSource;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The paper's data-flow genome: its layout, its decoding worked by hand, its start (model A itself), its refusals. */
class DataFlowGenomeTest {
    private static final long[] TOKENS = {1, 403, 407, 261, 32, 290, 77, 301};

    @TempDir
    Path tmp;

    static RunConfig config(String pool, String extra) {
        return RunConfig.parse("dfs.yaml", """
                merge:
                  method: dfs
                  pool: [%s]
                %s
                optimizer: {generations: 1}
                fitness:
                  tasks: [{task: likelihood, data: %s, split: 'range:0:3'}]
                """.formatted(pool, extra, Fixtures.data("mgsm/mgsm_en.tsv")));
    }

    private static String stories() {
        return Fixtures.model("stories260K-ja") + ", " + Fixtures.model("stories260K-math");
    }

    private static DataFlowGenome genome(String extra) {
        return DataFlowGenome.of(config(stories(), extra), Storage.withDefaults());
    }

    @Test
    void theLayoutIsTheIndicatorsOfEverySlotButModelAsEndsThenTheScales() {
        // two 5-layer models: M = 10 layers, r = 2: T = 20 slots, 18 indicators (A0 and A4 of repetition 0 are fixed)
        DataFlowGenome matrix = genome("  repeats: 2\n  scales: matrix");
        assertEquals(20, matrix.slots());
        assertEquals(18 + 100, matrix.size());
        List<String> names = matrix.geneNames();
        assertEquals("I.r0.A1", names.get(0));
        assertEquals("I.r0.B0", names.get(3)); // slots 0 (A0) and 4 (A4) have no indicator
        assertEquals("I.r1.B4", names.get(17));
        assertEquals("W.A0>A0", names.get(18));
        assertEquals("W.A2>B2", names.get(18 + 2 * 10 + 7));
        assertEquals(18 + 19, genome("  repeats: 2\n  scales: slot").size()); // every slot but the first has a scale
        assertEquals(18, genome("  repeats: 2\n  scales: none").size());
        assertEquals(28 + 100, genome("").size()); // the paper's defaults: r = 3, W
        double[] lo = matrix.lower();
        double[] hi = matrix.upper();
        assertEquals(-1, lo[0]);
        assertEquals(1, hi[17]);
        assertEquals(0, lo[18]);
        assertEquals(2, hi[117]);
    }

    @Test
    void decodingFollowsTheSlotsAndTakesEachScaleFromTheLayerTheStateLeaves() {
        DataFlowGenome g = genome("  repeats: 2\n  scales: matrix");
        double[] x = new double[g.size()];
        Arrays.fill(x, 0, 18, -1); // every slot off
        Arrays.fill(x, 18, x.length, 1);
        x[1] = 0.3; // slot 2: A2
        x[5] = 0.1; // slot 7: B2
        x[10] = 0.9; // slot 12: repetition 1's A2
        x[18 + 0 * 10 + 2] = 0.7; // A0 -> A2
        x[18 + 2 * 10 + 7] = 1.3; // A2 -> B2
        x[18 + 7 * 10 + 2] = 0.4; // B2 -> A2
        x[18 + 2 * 10 + 4] = 1.9; // A2 -> A4, the fixed last layer
        LayerPath expected = new LayerPath(List.of(new LayerPath.Step(0, 0, 1.0), new LayerPath.Step(0, 2, 0.7),
                new LayerPath.Step(1, 2, 1.3), new LayerPath.Step(0, 2, 0.4), new LayerPath.Step(0, 4, 1.9)), 0);
        assertEquals(expected, g.decode(x).path());

        DataFlowGenome slot = genome("  repeats: 2\n  scales: slot");
        double[] y = new double[slot.size()];
        Arrays.fill(y, 0, 18, -1);
        Arrays.fill(y, 18, y.length, 1);
        y[5] = 0.2; // slot 7: B2
        y[18 + 7 - 1] = 0.25; // the scale of slot 7
        y[18 + 4 - 1] = 1.5; // the scale of slot 4: A4, the fixed last layer
        assertEquals(new LayerPath(List.of(new LayerPath.Step(0, 0, 1.0), new LayerPath.Step(1, 2, 0.25),
                new LayerPath.Step(0, 4, 1.5)), 0), slot.decode(y).path());
        assertThrows(IllegalArgumentException.class, () -> slot.decode(new double[3]));
    }

    @Test
    void theStartingPointIsModelAItselfLogitForLogit() {
        DataFlowGenome g = genome("");
        LayerPathMerge start = g.decode(g.initial());
        assertEquals(LayerPath.of(5), start.path());
        try (Checkpoint a = Checkpoint.open(Fixtures.model("stories260K-ja"));
             Checkpoint b = Checkpoint.open(Fixtures.model("stories260K-math"));
             Transformer plain = Transformer.load(a, Device.cpu());
             LayerStore store = LayerStore.open(List.of(WeightSource.of(a), WeightSource.of(b)), Device.cpu());
             Transformer path = store.transformer(start.path())) {
            assertArrayEquals(plain.logits(TOKENS), path.logits(TOKENS));
        }
        // with model B as A, the start is B's path, and its embeddings
        DataFlowGenome fromB = genome("  anchor: 1");
        LayerPathMerge startB = fromB.decode(fromB.initial());
        assertEquals(1, startB.path().embeddingsFrom());
        assertTrue(startB.path().steps().stream().allMatch(s -> s.model() == 1 && s.scale() == 1.0));
        assertEquals(5, startB.path().depth());
    }

    @Test
    void thePapersConfigHasThePapersGenomeAndTheBundledOnesParse() throws Exception {
        // its <bucket> placeholders are the user's to fill in
        RunConfig paper = RunConfig.parse("evolve-paper-dfs.yaml",
                java.nio.file.Files.readString(Fixtures.repoRoot().resolve("conf/evolve-paper-dfs.yaml")).replace("<bucket>", "bucket"));
        assertEquals(2, paper.dataFlow().pool().size());
        assertEquals(3, paper.dataFlow().repeats());
        assertTrue(paper.separable());
        DataFlowGenome g = new DataFlowGenome(paper, new int[] {32, 32}); // two Mistral-7B: 64 layers, T = 192
        assertEquals(192, g.slots());
        assertEquals(190 + 4096, g.size());
        assertEquals(LayerPath.of(32), g.decode(g.initial()).path());
        RunConfig multi = RunConfig.parse("evolve-paper-nsga2.yaml",
                java.nio.file.Files.readString(Fixtures.repoRoot().resolve("conf/evolve-paper-nsga2.yaml")).replace("<bucket>", "bucket"));
        assertTrue(multi.isMultiObjective());
        assertEquals(List.of(new Objective("accuracy", "gsm8k_ja.accuracy", null, true), new Objective("depth", null, "depth", false)),
                multi.objectives());
        DataFlowGenome slots = new DataFlowGenome(multi, new int[] {32, 32});
        assertEquals(190 + 191, slots.size()); // indicators less A's two fixed slots, one scale per slot but the first
        assertEquals(190, java.util.stream.IntStream.range(0, slots.size()).filter(i -> slots.binary()[i]).count());
        for (String name : List.of("evolve-stories-dfs.yaml", "evolve-stories-psdfs.yaml")) {
            RunConfig stories = RunConfig.read(Fixtures.repoRoot().resolve("conf/" + name));
            assertTrue(stories.isDataFlow(), name);
            assertEquals("matrix", stories.dataFlow().scales());
        }
    }

    @Test
    void aPoolThatCannotMakeAPathIsOneLineNamingTheKey() throws Exception {
        String one = Fixtures.model("stories260K-ja").toString();
        assertMessage("dfs.yaml: key 'merge.pool': a data-flow merge searches paths through the layers of at least two models",
                () -> config(one, ""));
        assertMessage("dfs.yaml: key 'merge.repeats': must be an integer >= 1, got 0", () -> config(stories(), "  repeats: 0"));
        assertMessage("dfs.yaml: key 'merge.scales': 'full' is not a parametrization (matrix, slot, none)",
                () -> config(stories(), "  scales: full"));
        assertMessage("dfs.yaml: key 'merge.anchor': 2 is not a pool index (0..1)", () -> config(stories(), "  anchor: 2"));
        assertMessage("dfs.yaml: key 'merge.pool': lists a model twice", () -> config(one + ", " + one, ""));
        assertMessage("dfs.yaml: key 'genome': a data-flow merge's genome is laid out by merge", () -> RunConfig.parse("dfs.yaml",
                "genome: {layer_granularity: 1}\n" + config(stories(), "").yaml()));
        Path wide = tmp.resolve("wide");
        SyntheticCheckpoints.write(wide, new SyntheticCheckpoints.Spec("llama", 128, 8, 4, 5, 172, 512, true, null), 1, 0.02, 0);
        assertMessage("dfs.yaml: key 'merge.pool[1]': config.json key 'hidden_size': 128 but pool[0] (model A) has 64",
                () -> DataFlowGenome.of(config(one + ", " + wide, ""), Storage.withDefaults()));
        Path otherVocab = tmp.resolve("vocab");
        SyntheticCheckpoints.write(otherVocab, new SyntheticCheckpoints.Spec("llama", 64, 8, 4, 5, 172, 1024, true, null), 1, 0.02, 0);
        assertMessage("dfs.yaml: key 'merge.pool[1]': config.json key 'vocab_size': 1024 but pool[0] (model A) has 512",
                () -> DataFlowGenome.of(config(one + ", " + otherVocab, ""), Storage.withDefaults()));
    }

    private static void assertMessage(String start, org.junit.jupiter.api.function.Executable call) {
        Exception e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
