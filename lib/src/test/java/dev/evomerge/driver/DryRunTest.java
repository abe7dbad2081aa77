package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.Fixtures;
import dev.evomerge.SyntheticCheckpoints;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.Storage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DryRunTest {
    @TempDir
    Path tmp;

    private static String config(String jaModel, String split) {
        return """
                merge:
                  base_model: %s
                  models: [%s, %s]
                genome: {layer_granularity: 1}
                optimizer: {generations: 4, population: 6}
                fitness:
                  shards: 3
                  tasks: [{task: likelihood, data: %s, split: '%s'}]
                """.formatted(Fixtures.model("stories260K"), Fixtures.model("stories260K-math"), jaModel,
                Fixtures.data("mgsm/mgsm_ja.tsv"), split);
    }

    @Test
    void thePlanCountsTasksGenesAndItems() {
        String plan = DryRun.plan(RunConfig.parse("d.yaml", config(Fixtures.model("stories260K-ja").toString(), "range:0:30")),
                Storage.withDefaults());
        assertTrue(plan.contains("genome: 20 genes = 5 layer group(s) x 2 model(s) x (weight, density)"), plan);
        assertTrue(plan.contains("tasks: 4 generation(s) x 6 candidates x 3 shards = 72 tasks (18 per generation)"), plan);
        assertTrue(plan.contains("evaluation per generation: 6 candidates x 30 items = 180 item evaluations"), plan);
        assertTrue(plan.contains("260,032 parameters"), plan);
        // candidate_cache 2 x 260,032 float32 parameters + scratch 4 bytes x the largest tensor (32,768) x (3 parents + 2)
        assertTrue(plan.contains(String.format("  peak per executor: candidate_cache x candidate + merge scratch = %s on a GPU, %s on a CPU",
                DryRun.bytes(2 * 260_032 * 2 + 32_768 * 4 * 5), DryRun.bytes(2 * 260_032 * 4 + 32_768 * 4 * 5))), plan);
    }

    @Test
    void aMultiObjectivePlanNamesTheOptimizerTheObjectivesAndTheRule() {
        String yaml = config(Fixtures.model("stories260K-ja").toString(), "range:0:30")
                .replace("optimizer: {generations: 4, population: 6}", "optimizer: {name: nsga2, generations: 3, population: 8}")
                + "objectives: [{metric: mgsm_ja.loss}, {property: parameters}]\n";
        String plan = DryRun.plan(RunConfig.parse("d.yaml", yaml), Storage.withDefaults());
        assertTrue(plan.contains("optimizer: NSGA-II, population 8, 3 generation(s) = 24 candidates, seed 0; best/ = knee"), plan);
        assertTrue(plan.contains("  objective mgsm_ja.loss: minimize mgsm_ja.loss\n  objective parameters: minimize parameters\n"), plan);
        assertTrue(plan.contains("tasks: 3 generation(s) x 8 candidates x 3 shards = 72 tasks"), plan);
    }

    @Test
    void onAClusterTheDryRunNamesTheLocalPathsEveryNodeMustHave() {
        RunConfig run = RunConfig.parse("d.yaml", config(Fixtures.model("stories260K-ja").toString(), "range:0:30"))
                .withOut(tmp.resolve("out").toString());
        String local = DryRun.plan(run, Storage.withDefaults(), "local[2]");
        assertFalse(local.contains("every node"), local);
        String cluster = DryRun.plan(run, Storage.withDefaults(), "spark://10.0.0.1:7077");
        assertTrue(cluster.contains("on spark://10.0.0.1:7077 these local paths must exist at the same place on every node"), cluster);
        for (String p : List.of(run.baseModel(), run.models().get(1), run.fitness().tasks().get(0).data(), run.out())) {
            assertTrue(cluster.contains("\n  " + p + "\n"), p + " in " + cluster);
        }
    }

    @Test
    void parentsThatDisagreeOrDataThatIsMissingAreFoundBeforeAnyWeightIsRead() throws Exception {
        Path other = tmp.resolve("wider");
        SyntheticCheckpoints.write(other, new SyntheticCheckpoints.Spec("llama", 96, 8, 4, 5, 172, 512, true, null), 1, 0.02, 0);
        CheckpointException e = assertThrows(CheckpointException.class, () -> DryRun.plan(
                RunConfig.parse("d.yaml", config(other.toString(), "all")), Storage.withDefaults()));
        assertTrue(e.getMessage().startsWith("file:" + other), e.getMessage()); // locations are absolute URIs
        assertTrue(e.getMessage().contains("hidden_size': 96 but"), e.getMessage());
        RunConfigException few = assertThrows(RunConfigException.class, () -> DryRun.plan(
                RunConfig.parse("d.yaml", config(Fixtures.model("stories260K-ja").toString(), "range:0:2")), Storage.withDefaults()));
        assertEquals("d.yaml: key 'fitness.tasks[mgsm_ja].split': 'range:0:2' selects 2 items of "
                + "file:" + Fixtures.data("mgsm/mgsm_ja.tsv") + ", fewer than the 3 shards", few.getMessage());
        CheckpointException missing = assertThrows(CheckpointException.class, () -> DryRun.plan(
                RunConfig.parse("d.yaml", config(tmp.resolve("nope").toString(), "all")), Storage.withDefaults()));
        assertTrue(missing.getMessage().contains("no such checkpoint directory"), missing.getMessage());
    }
}
