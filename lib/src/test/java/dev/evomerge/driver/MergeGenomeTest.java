package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.evomerge.Fixtures;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.Merger;
import dev.evomerge.merge.ParameterValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MergeGenomeTest {
    @TempDir
    Path tmp;

    private static RunConfig run(String genome, String method) {
        return RunConfig.parse("r.yaml", """
                merge:
                  method: %s
                  base_model: %s
                  models: [%s, %s]
                genome: %s
                optimizer: {generations: 1}
                fitness: {tasks: [{task: likelihood, data: x.tsv}]}
                """.formatted(method, Fixtures.model("stories260K"), Fixtures.model("stories260K-math"),
                Fixtures.model("stories260K-ja"), genome));
    }

    @Test
    void layoutIsGroupsByModelsByParameters() {
        MergeGenome g = new MergeGenome(run("{layer_granularity: 1}", "dare_ties"), 5);
        assertEquals(20, g.size());
        assertEquals(List.of("g0.m0.weight", "g0.m0.density", "g0.m1.weight", "g0.m1.density", "g1.m0.weight"),
                g.geneNames().subList(0, 5));
        assertEquals(2, new MergeGenome(run("{layer_granularity: 0}", "task_arithmetic"), 5).size()); // weight only
        assertEquals(4, new MergeGenome(run("{layer_granularity: 0}", "ties"), 5).size());
        RunConfigException e = assertThrows(RunConfigException.class, () -> new MergeGenome(run("{layer_granularity: 2}", "ties"), 5));
        assertEquals("r.yaml: key 'genome.layer_granularity': 2 does not divide the models' 5 layers", e.getMessage());
    }

    @Test
    void decodingTakesAbsoluteWeightsAndClampsDensities() {
        MergeGenome g = new MergeGenome(run("{layer_granularity: 0}", "dare_ties"), 5);
        double[] x = {-0.25, 1.5, 0.75, -0.4};
        MergeConfig cfg = MergeConfig.parse("recipe", g.decode(x, 9).toYaml());
        assertEquals(0.25, cfg.models().get(0).parameters().get("weight").resolve("any", 0));
        assertEquals(1.0, cfg.models().get(0).parameters().get("density").resolve("any", 0));
        assertEquals(0.75, cfg.models().get(1).parameters().get("weight").resolve("any", 0));
        assertEquals(0.4, cfg.models().get(1).parameters().get("density").resolve("any", 0));
        assertEquals(9, cfg.seed());
        assertEquals(true, cfg.parameters().get("normalize").resolve("any", 0) == 1.0);
    }

    @Test
    void eachLayerGroupReachesItsLayersTheEmbeddingsTheFirstAndTheHeadTheLast() {
        MergeGenome g = new MergeGenome(run("{layer_granularity: 1}", "task_arithmetic"), 5);
        double[] x = new double[10]; // [group][model]
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.1 * (i + 1) + 1e-9 * i; // distinct, with digits that must survive the YAML round trip
        }
        MergeConfig cfg = MergeConfig.parse("recipe", g.decode(x, 0).toYaml());
        for (int m = 0; m < 2; m++) {
            ParameterValue w = cfg.models().get(m).parameters().get("weight");
            for (int layer = 0; layer < 5; layer++) {
                assertEquals(x[layer * 2 + m], w.resolve("model.layers." + layer + ".mlp.up_proj.weight", 0.37));
            }
            assertEquals(x[m], w.resolve("model.embed_tokens.weight", 0));
            assertEquals(x[4 * 2 + m], w.resolve("model.norm.weight", 1));
            assertEquals(x[4 * 2 + m], w.resolve("lm_head.weight", 1));
        }
    }

    /**
     * With one layer per group, mergekit's gradient form (a value per layer, interpolated over
     * depth: exactly the nodes, embeddings at depth 0, head at depth 1) says the same thing as the
     * genome's filters: a second, independent route to the same merged bytes.
     */
    @Test
    void theRecipeMergesLikeTheEquivalentGradientRecipe() throws Exception {
        RunConfig r = run("{layer_granularity: 1}", "dare_ties");
        MergeGenome g = new MergeGenome(r, 5);
        double[] x = new double[20];
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.2 + 0.6 * ((i * 7) % 11) / 10.0;
        }
        StringBuilder gradient = new StringBuilder("merge_method: dare_ties\nbase_model: " + r.baseModel() + "\nmodels:\n");
        for (int m = 0; m < 2; m++) {
            gradient.append("  - model: ").append(r.models().get(m)).append("\n    parameters:\n");
            for (int p = 0; p < 2; p++) {
                // mergekit reads the final norm at t = 0 of a gradient; the genome gives it the last group's value by name
                gradient.append(p == 0 ? "      weight:" : "      density:").append("\n        - {filter: model.norm, value: ")
                        .append(x[(4 * 2 + m) * 2 + p]).append("}\n        - value: [");
                for (int layer = 0; layer < 5; layer++) {
                    gradient.append(layer > 0 ? ", " : "").append(x[(layer * 2 + m) * 2 + p]);
                }
                gradient.append("]\n");
            }
        }
        gradient.append("parameters: {normalize: true}\nseed: 5\n");
        CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), tmp.resolve("cache"));
        Merger.merge(MergeConfig.parse("genome", g.decode(x, 5).toYaml()), tmp.resolve("a"), cache);
        Merger.merge(MergeConfig.parse("gradient", gradient.toString()), tmp.resolve("b"), cache);
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/model.safetensors")), Files.readAllBytes(tmp.resolve("b/model.safetensors")));
        try (Checkpoint a = Checkpoint.open(tmp.resolve("a")); Checkpoint base = Checkpoint.open(Storage.localPath(r.baseModel()))) {
            // and the merge did something: it is not the base
            float[] merged = a.floats("model.layers.3.mlp.down_proj.weight");
            float[] original = base.floats("model.layers.3.mlp.down_proj.weight");
            assertEquals(false, java.util.Arrays.equals(merged, original));
        }
    }

    @Test
    void theUniformLinearRecipeWeighsEachModelOneOverN() {
        MergeConfig cfg = MergeConfig.parse("linear", new MergeGenome(run("{}", "dare_ties"), 5).uniformLinearRecipe().toYaml());
        assertEquals("linear", cfg.method().name());
        assertEquals(0.5, cfg.models().get(0).parameters().get("weight").resolve("x", 0));
        assertEquals(0.5, cfg.models().get(1).parameters().get("weight").resolve("x", 0));
    }

    /** merge: baselines: each method at its papers' defaults (weight 1, density 0.5 where read), linear at 1/N. */
    @Test
    void baselinesAreTheListedMethodsAtTheirDefaults() {
        RunConfig r = RunConfig.parse("r.yaml", """
                merge:
                  method: dare_ties
                  base_model: %s
                  models: [%s, %s]
                  baselines: [linear, ties, task_arithmetic]
                optimizer: {generations: 1, seed: 9}
                fitness: {tasks: [{task: likelihood, data: x.tsv}]}
                """.formatted(Fixtures.model("stories260K"), Fixtures.model("stories260K-math"), Fixtures.model("stories260K-ja")));
        var baselines = new MergeGenome(r, 5).baselines();
        assertEquals(java.util.List.of("linear 1/2", "ties (weight 1, density 0.5)", "task_arithmetic (weight 1)"),
                java.util.List.copyOf(baselines.keySet()));
        MergeConfig ties = (MergeConfig) baselines.get("ties (weight 1, density 0.5)");
        assertEquals("ties", ties.method().name());
        assertEquals(dev.evomerge.io.Locations.absolute(Fixtures.model("stories260K").toString()), ties.baseModel());
        for (MergeConfig.ModelEntry m : ties.models()) {
            assertEquals(1.0, m.parameters().get("weight").resolve("x", 0));
            assertEquals(0.5, m.parameters().get("density").resolve("x", 0));
        }
        MergeConfig ta = (MergeConfig) baselines.get("task_arithmetic (weight 1)");
        assertEquals(null, ta.models().get(0).parameters().get("density"), "task arithmetic reads no density");
        assertEquals(java.util.List.of("linear 1/2"), java.util.List.copyOf(new MergeGenome(run("{}", "dare_ties"), 5)
                .baselines().keySet()), "by default the linear merge only");
        RunConfigException e = org.junit.jupiter.api.Assertions.assertThrows(RunConfigException.class,
                () -> RunConfig.parse("r.yaml", """
                        merge: {method: linear, models: [a, b], baselines: [ties]}
                        optimizer: {generations: 1}
                        fitness: {tasks: [{task: likelihood, data: x.tsv}]}
                        """));
        assertEquals("r.yaml: key 'merge.baselines[0]': ties merges differences from a base model; the run has no base_model",
                e.getMessage());
    }
}
