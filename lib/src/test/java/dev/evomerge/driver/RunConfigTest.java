package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.Fixtures;
import dev.evomerge.io.Locations;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunConfigTest {
    static final String MINIMAL = """
            merge:
              base_model: b
              models: [m1, m2]
            optimizer: {generations: 3}
            fitness:
              tasks:
                - {task: likelihood, data: d/mgsm_en.tsv}
            """;

    @Test
    void theEmbeddedDefaultParsesWithThePapersOptimizerSettings() {
        RunConfig run = RunConfig.read(Fixtures.repoRoot().resolve("conf/evolve-stories.yaml"));
        assertEquals("stories-ps", run.runId());
        assertEquals("task_arithmetic", run.method());
        assertEquals(0.5, run.x0());
        assertEquals(0.1667, run.sigma0());
        assertEquals(2, run.fitness().tasks().size());
        assertEquals("mgsm_ja.loss", run.test().tasks().get(1).metric());
        assertEquals(2, run.test().shards()); // inherited from fitness
    }

    @Test
    void defaultsFollowMergekitEvolveAndThePaper() {
        RunConfig run = RunConfig.parse("runs/my-run.yaml", MINIMAL);
        assertEquals("my-run", run.runId()); // from the file name
        assertEquals(Locations.absolute("runs/my-run"), run.out()); // in the working directory, as --out is
        assertEquals("dare_ties", run.method());
        assertTrue(run.normalize());
        assertEquals(1.0 / 6, run.sigma0());
        assertEquals(0.5, run.x0());
        assertEquals(0, run.layerGranularity());
        assertEquals("mgsm_en", run.fitness().tasks().get(0).name());
        assertEquals("all", run.fitness().tasks().get(0).split());
        assertEquals(run.fitness(), run.test()); // no test section: the fitness tasks
        assertFalse(RunConfig.parse("r.yaml", MINIMAL.replace("base_model: b", "base_model: b\n  method: task_arithmetic")).normalize());
    }

    @Test
    void badConfigsAreOneLineNamingFileAndKey() {
        assertBad(MINIMAL + "optimiser: {}\n", "r.yaml: key 'optimiser': unknown key");
        assertBad(MINIMAL.replace("base_model: b", "base_model: b\n  method: slerp"), "r.yaml: key 'merge.method': 'slerp' cannot be searched");
        assertBad(MINIMAL.replace("base_model: b\n", ""), "r.yaml: key 'merge.base_model': missing; dare_ties merges differences");
        assertBad(MINIMAL.replace("[m1, m2]", "[m1, b]"), "r.yaml: key 'merge.models': lists the base model b");
        assertBad(MINIMAL.replace("{generations: 3}", "{generations: 3, evaluations: 9}"),
                "r.yaml: key 'optimizer.generations': give exactly one of generations or evaluations");
        assertBad(MINIMAL.replace("{generations: 3}", "{generations: 3, sigma0: -1}"),
                "r.yaml: key 'optimizer.sigma0': must be a finite number in [1.0E-12, 10.0], got -1");
        assertBad(MINIMAL.replace("{generations: 3}", "{generations: 3, x0: .nan}"), "r.yaml: key 'optimizer.x0': must be a finite number");
        assertBad(MINIMAL.replace("{generations: 3}", "{generations: 0}"), "r.yaml: key 'optimizer.generations': must be an integer >= 1, got 0");
        assertBad(MINIMAL.replace("task: likelihood", "task: mgsm"), "r.yaml: key 'fitness.tasks[0].lang': missing");
        assertBad(MINIMAL.replace("task: likelihood", "task: bleu"), "r.yaml: key 'fitness.tasks[0].task': unknown task 'bleu'");
        assertBad(MINIMAL.replace("d/mgsm_en.tsv}", "d/mgsm_en.tsv, split: 'range:5'}"), "r.yaml: key 'fitness.tasks[0].split'");
        assertBad(MINIMAL + "    - {task: likelihood, data: e/mgsm_en.tsv}\n", "r.yaml: key 'fitness.tasks[1].name': 'mgsm_en' is used by two tasks");
        assertBad(MINIMAL + "device: tpu\n", "r.yaml: key 'device': must be auto, cpu, gpu or gpu:N");
        assertBad(MINIMAL + "run_id: 'a b'\n", "r.yaml: key 'run_id': use letters");
        assertBad(MINIMAL + "spark: {conf: {spark.executor.memory: [1]}}\n", "r.yaml: key 'spark.conf.spark.executor.memory': must be a scalar");
        assertBad("merge: [1]\n", "r.yaml: key 'merge': must be a mapping");
        assertBad(MINIMAL.replace("[m1, m2]", "[m1, 's3a://<bucket>/m2']"),
                "r.yaml: key 'merge.models[1]': 's3a://<bucket>/m2' is not a valid location: Illegal character in authority at index 6");
    }

    @Test
    void locationsAreTakenFromTheConfigFilesFolderAndMadeAbsolute() {
        // As users expect of a config file, and so that what travels to executors means the same in any working directory.
        RunConfig run = RunConfig.parse("/team/confs/run.yaml", MINIMAL.replace("base_model: b", "base_model: ../models/b")
                .replace("[m1, m2]", "[/abs/m1, 's3a://bucket/m2']") + "out: out/run\n");
        assertEquals("file:/team/models/b", run.baseModel());
        assertEquals(List.of("file:/abs/m1", "s3a://bucket/m2"), run.models());
        assertEquals("file:/team/confs/d/mgsm_en.tsv", run.fitness().tasks().get(0).data());
        assertEquals("file:/team/confs/out/run", run.out());
        assertEquals("file:/team/confs/run.yaml", run.location());
        assertEquals("../models/b", run.label(run.baseModel())); // tables show what the user wrote
        assertEquals("s3a://bucket/m2", run.label("s3a://bucket/m2"));
        // --out on the command line: against the working directory
        assertEquals(Locations.absolute("elsewhere"), run.withOut("elsewhere").out());
        // a config on HDFS: its relative paths are on HDFS beside it, its absolute paths on the same file system
        RunConfig hdfs = RunConfig.parse("hdfs://nn:8020/confs/run.yaml", MINIMAL.replace("[m1, m2]", "[m1, /models/m2]"));
        assertEquals(List.of("hdfs://nn:8020/confs/m1", "hdfs://nn:8020/models/m2"), hdfs.models());
        assertEquals("hdfs-run", RunConfig.parse("hdfs://nn:8020/confs/hdfs-run.yml", MINIMAL).runId());
    }

    @Test
    void keysThatDoNotApplyToATaskAndUnknownValuesAreRefused() {
        assertBad(MINIMAL.replace("task: likelihood,", "task: likelihood, lang: ja,"),
                "r.yaml: key 'fitness.tasks[0].lang': unknown key (known here: data, name, split, task)");
        assertBad(MINIMAL.replace("task: likelihood,", "task: likelihood, template: ja-alpaca-cot,"),
                "r.yaml: key 'fitness.tasks[0].template': unknown key");
        assertBad(MINIMAL.replace("task: likelihood,", "task: likelihood, max_new_tokens: 64,"),
                "r.yaml: key 'fitness.tasks[0].max_new_tokens': unknown key");
        assertBad(MINIMAL.replace("task: likelihood,", "task: mgsm, lang: jp,"),
                "r.yaml: key 'fitness.tasks[0].lang': unknown MGSM language 'jp' (bn, de, en, es, fr, ja, ru, sw, te, th, zh)");
        assertBad(MINIMAL.replace("task: likelihood,", "task: mgsm, lang: ja, template: ja-cot,"),
                "r.yaml: key 'fitness.tasks[0].template': unknown template 'ja-cot'");
        RunConfig ok = RunConfig.parse("r.yaml", MINIMAL.replace("task: likelihood,", "task: mgsm, lang: ja, max_new_tokens: 64,"));
        assertEquals(64, ok.fitness().tasks().get(0).maxNewTokens());
    }

    @Test
    void nsga2TakesNamedObjectivesWithTheirDirectionsAndDefaultsToOnePerTask() {
        String two = MINIMAL.replace("- {task: likelihood, data: d/mgsm_en.tsv}",
                "- {task: likelihood, data: d/mgsm_en.tsv}\n    - {task: mgsm, data: d/mgsm_ja.tsv, lang: ja}");
        RunConfig shorthand = RunConfig.parse("r.yaml", two.replace("optimizer: {generations: 3}", "optimizer: nsga2"));
        assertTrue(shorthand.isMultiObjective());
        assertEquals(16, shorthand.population());
        assertEquals(10, shorthand.generations());
        assertEquals(RunConfig.Choose.KNEE, shorthand.choose());
        assertEquals(List.of(new Objective("mgsm_en.loss", "mgsm_en.loss", null, false),
                new Objective("mgsm_ja.accuracy", "mgsm_ja.accuracy", null, true)), shorthand.objectives());
        RunConfig declared = RunConfig.parse("r.yaml", two.replace("optimizer: {generations: 3}", """
                optimizer: {name: nsga2, population: 8, evaluations: 40, choose: {best: acc, within: {en: 3.5}}}
                objectives:
                  - {name: acc, metric: mgsm_ja.accuracy}
                  - {name: en, metric: mgsm_en.loss}
                  - {property: depth, direction: maximize}
                compare: [prior/best]
                """));
        assertEquals(List.of(new Objective("acc", "mgsm_ja.accuracy", null, true), new Objective("en", "mgsm_en.loss", null, false),
                new Objective("depth", null, "depth", true)), declared.objectives());
        assertEquals(new RunConfig.Choose("acc", java.util.Map.of("en", 3.5)), declared.choose());
        assertEquals(List.of(Locations.absolute("prior/best")), declared.compare());
        assertEquals(5, Evolution.generations(declared, 8));
        assertFalse(RunConfig.parse("r.yaml", MINIMAL).isMultiObjective());
        assertEquals(List.of(), RunConfig.parse("r.yaml", MINIMAL).objectives());
    }

    @Test
    void aUnionTokenizerIsRefusedForCandidatesScoredInMemory() {
        assertBad(MINIMAL.replace("models: [m1, m2]", "models: [m1, m2]\n  tokenizer_source: union"),
                "r.yaml: key 'merge.tokenizer_source': union builds a new tokenizer when a merge is written");
        assertBad("""
                merge:
                  method: dfs
                  pool:
                    - {merge_method: linear, models: [{model: a, parameters: {weight: 1}}], tokenizer_source: union}
                    - b
                optimizer: {generations: 1}
                fitness: {tasks: [{task: likelihood, data: d.tsv}]}
                """, "r.yaml: key 'merge.pool[0].tokenizer': union builds a new tokenizer");
    }

    @Test
    void badMultiObjectiveConfigsAreRefusedByKey() {
        String nsga2 = MINIMAL.replace("optimizer: {generations: 3}", "optimizer: {name: nsga2, generations: 3}");
        assertBad(MINIMAL.replace("{generations: 3}", "{name: moead, generations: 3}"), "r.yaml: key 'optimizer.name': unknown optimizer 'moead'");
        assertBad(nsga2.replace("generations: 3}", "generations: 3, sigma0: 0.2}"), "r.yaml: key 'optimizer.sigma0': unknown key");
        assertBad(nsga2.replace("generations: 3}", "generations: 3, population: 7}"), "r.yaml: key 'optimizer.population': NSGA-II makes offspring in pairs");
        assertBad(nsga2, "r.yaml: key 'objectives': NSGA-II searches a trade-off between at least two objectives");
        assertBad(MINIMAL + "objectives: [{metric: mgsm_en.loss}, {property: depth}]\n", "r.yaml: key 'objectives': CMA-ES optimizes one scalar");
        assertBad(nsga2 + "objectives: [{metric: mgsm_en.accuracy}, {property: depth}]\n",
                "r.yaml: key 'objectives[0].metric': 'mgsm_en.accuracy' is not a metric of the fitness tasks (mgsm_en.loss)");
        assertBad(nsga2 + "objectives: [{metric: mgsm_en.loss}, {property: width}]\n", "r.yaml: key 'objectives[1].property': 'width' is not");
        assertBad(nsga2 + "objectives: [{metric: mgsm_en.loss, property: depth}, {property: depth}]\n",
                "r.yaml: key 'objectives[0].metric': give exactly one of metric");
        assertBad(nsga2 + "objectives: [{metric: mgsm_en.loss, direction: up}, {property: depth}]\n",
                "r.yaml: key 'objectives[0].direction': must be minimize or maximize");
        assertBad(nsga2 + "objectives: [{metric: mgsm_en.loss, name: x}, {property: depth, name: x}]\n", "r.yaml: key 'objectives[1].name': 'x' names two");
        assertBad(nsga2.replace("generations: 3}", "generations: 3, choose: {best: ja}}") + "objectives: [{metric: mgsm_en.loss}, {property: depth}]\n",
                "r.yaml: key 'optimizer.choose.best': 'ja' is not an objective (mgsm_en.loss, depth)");
        assertBad(nsga2.replace("generations: 3}", "generations: 3, choose: middle}") + "objectives: [{metric: mgsm_en.loss}, {property: depth}]\n",
                "r.yaml: key 'optimizer.choose': must be knee or");
    }

    private static void assertBad(String yaml, String expectedStart) {
        RunConfigException e = assertThrows(RunConfigException.class, () -> RunConfig.parse("r.yaml", yaml));
        assertTrue(e.getMessage().startsWith(expectedStart), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }
}
