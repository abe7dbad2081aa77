package dev.evomerge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.driver.Evolution;
import dev.evomerge.merge.Recipe;
import dev.evomerge.optim.NondominatedSorting;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-objective runs (NSGA-II) through the evolve job in local Spark: the candidates table's
 * Pareto columns agree with a sorting of its own rows, the front table is the non-dominated set
 * of every candidate, best/ is the chosen member, and a driver killed mid-run resumes to the
 * results of an uninterrupted run.
 */
class MultiObjectiveJobTest {
    private static SparkSession spark;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2,2]").appName("nsga2-test").config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** The small run of the job tests, searched by NSGA-II for {@code objectives}. */
    private static String nsga2(String runId, String merge, String objectives) {
        String run = JobFixtures.smallRun(runId, 2, merge);
        assertTrue(run.contains("optimizer: {population: 4,"));
        return run.replace("optimizer: {population: 4,", "optimizer: {name: nsga2, population: 4,") + objectives;
    }

    private static final String PS = nsga2("nsga2-ps", "merge:\n  method: task_arithmetic\n  base_model: " + JobFixtures.model("stories260K")
            + "\n  models: [" + JobFixtures.model("stories260K-math") + ", " + JobFixtures.model("stories260K-ja")
            + "]\ngenome: {layer_granularity: 1}\n", "objectives: [{metric: en.loss}, {metric: ja.loss}]\ncompare: ["
            + JobFixtures.model("stories260K-ja") + "]\n");

    private static final String DFS = nsga2("nsga2-dfs", "merge:\n  method: dfs\n  pool: [" + JobFixtures.model("stories260K-ja") + ", "
            + JobFixtures.model("stories260K-math") + "]\n  repeats: 2\n  scales: none\n",
            "objectives: [{name: ja, metric: ja.loss}, {property: depth}]\n");

    private static String run(String config, Path out) {
        return EvolveRuns.run(spark, config, out, Evolution.QUIET, SparkShardRunner.NONE);
    }

    private static double[] minimized(Row r, String... metrics) {
        Map<String, Object> values = r.getJavaMap(r.fieldIndex("pareto_objectives"));
        double[] v = new double[metrics.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (Double) values.get(metrics[i]); // both objectives minimized
        }
        return v;
    }

    @Test
    void aParameterSpaceRunWritesRanksAFrontOfEveryCandidateAndBestIsTheChosenMember() throws Exception {
        Path out = tmp.resolve("ps");
        String log = run(PS, out);
        assertTrue(log.contains("generation 2/2: front "), log);
        List<Row> candidates = spark.read().parquet(out.resolve("candidates").toString()).orderBy("generation", "candidate").collectAsList();
        assertEquals(8, candidates.size());
        for (Row r : candidates) {
            Map<String, Object> metrics = r.getJavaMap(r.fieldIndex("metrics"));
            Map<String, Object> values = r.getJavaMap(r.fieldIndex("pareto_objectives"));
            assertEquals(metrics.get("en.loss"), values.get("en.loss"));
            assertEquals(metrics.get("ja.loss"), values.get("ja.loss"));
            assertNotNull(r.getAs("crowding_distance"));
        }
        // generation 1 is ranked on its own: its ranks are a non-dominated sorting of its rows
        double[][] first = candidates.subList(0, 4).stream().map(r -> minimized(r, "en.loss", "ja.loss")).toArray(double[][]::new);
        int[] ranks = NondominatedSorting.ranks(first);
        for (int c = 0; c < 4; c++) {
            assertEquals(ranks[c], (int) candidates.get(c).<Integer>getAs("pareto_rank"));
        }
        // the front table is the non-dominated set of all eight, found by brute force here
        Set<String> expected = new HashSet<>();
        for (Row a : candidates) {
            boolean dominated = candidates.stream().anyMatch(b -> NondominatedSorting.dominates(minimized(b, "en.loss", "ja.loss"),
                    minimized(a, "en.loss", "ja.loss")));
            if (!dominated) {
                expected.add(a.getAs("generation") + "/" + a.getAs("candidate"));
            }
        }
        List<Row> front = spark.read().parquet(out.resolve("front").toString()).collectAsList();
        Set<String> actual = new HashSet<>();
        front.forEach(r -> actual.add(r.getAs("generation") + "/" + r.getAs("candidate")));
        assertEquals(expected, actual);
        List<Row> chosen = front.stream().filter(r -> r.<Boolean>getAs("chosen")).toList();
        assertEquals(1, chosen.size());
        for (Row r : front) {
            assertEquals(r.<String>getAs("recipe"), Files.readString(out.resolve(r.<String>getAs("recipe_file"))));
        }
        assertEquals(Recipe.parse("chosen", chosen.get(0).<String>getAs("recipe")).toYaml(),
                Recipe.read(out.resolve("best/mergekit_config.yml")).toYaml(), "best/ is the chosen member's merge");
        List<String> models = spark.read().parquet(out.resolve("test").toString()).collectAsList().stream()
                .map(r -> r.<String>getAs("model")).toList();
        assertTrue(models.contains(JobFixtures.model("stories260K-ja").toString()), "compare: models are in the test table: " + models);
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("## Pareto front (fitness split)") && report.contains("NSGA-II, 2 generation(s) of 4"), report);
        for (String picture : List.of("front.png", "hypervolume.png", "fitness.png")) {
            assertEquals("PNG", new String(Files.readAllBytes(out.resolve(picture)), 1, 3, StandardCharsets.US_ASCII), picture);
        }
    }

    @Test
    void aDataFlowRunTradesLossForDepthAndResumesToTheSameResults() throws Exception {
        Path uninterrupted = tmp.resolve("dfs-reference");
        run(DFS, uninterrupted);
        for (Row r : spark.read().parquet(uninterrupted.resolve("candidates").toString()).collectAsList()) {
            Map<String, Object> values = r.getJavaMap(r.fieldIndex("pareto_objectives"));
            assertEquals((double) r.<Integer>getAs("depth"), (Double) values.get("depth"), "depth: the path's layers");
        }
        Path out = tmp.resolve("dfs-crash");
        assertThrows(EvolveRuns.SimulatedCrash.class, () -> EvolveRuns.run(spark, DFS, out, EvolveRuns.crashAfter(1, true),
                SparkShardRunner.NONE));
        assertTrue(run(DFS, out).startsWith("resuming nsga2-dfs after generation 1"));
        EvolveRuns.assertSameResults(spark, uninterrupted, out);
    }
}
