package dev.evomerge.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.evomerge.driver.Evolution;
import dev.evomerge.driver.RunConfig;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.Locations;
import dev.evomerge.merge.LayerPathMerge;
import dev.evomerge.merge.Recipe;
import dev.evomerge.model.LayerPath;
import dev.evomerge.model.LayerStore;
import dev.evomerge.model.Transformer;
import dev.evomerge.model.WeightSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-flow-space merging through the evolve job in local Spark: DFS and PS+DFS runs on the
 * bundled models write the same tables, checkpoint and report as a PS run (with the path in
 * them), and a driver killed mid-run resumes to the results of an uninterrupted run.
 */
class DataFlowJobTest {
    private static SparkSession spark;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2,2]").appName("dfs-test").config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static String run(String config, Path out) {
        return EvolveRuns.run(spark, config, out, Evolution.QUIET, SparkShardRunner.NONE);
    }

    /** Data-flow merging: model A (ja) and math, r = 2, the paper's W. */
    private static final String DFS = JobFixtures.smallRun("dfs", 2, "merge:\n  method: dfs\n  pool: [" + JobFixtures.model("stories260K-ja")
            + ", " + JobFixtures.model("stories260K-math") + "]\n  repeats: 2\n");

    @Test
    void aDataFlowRunWritesThePathInItsTablesAndReportAndBestRunsAsThePathDid() throws Exception {
        Path out = tmp.resolve("dfs");
        run(DFS, out);
        List<Row> candidates = spark.read().parquet(out.resolve("candidates").toString()).collectAsList();
        assertEquals(2 * 4, candidates.size());
        for (Row r : candidates) {
            assertNull(r.getAs("error"));
            assertEquals(18 + 100, r.<scala.collection.Seq<Object>>getAs("genome").size()); // 20 slots less A's ends, W 10 x 10
            LayerPathMerge recipe = (LayerPathMerge) Recipe.parse("row", r.<String>getAs("recipe"));
            List<Row> path = scala.collection.JavaConverters.seqAsJavaList(r.<scala.collection.Seq<Row>>getAs("path"));
            assertEquals(recipe.path().depth(), (int) r.<Integer>getAs("depth"));
            assertEquals(recipe.path().depth(), path.size());
            for (int i = 0; i < path.size(); i++) {
                LayerPath.Step s = recipe.path().steps().get(i);
                assertEquals(List.of(s.model(), s.layer(), s.scale()), List.of(path.get(i).getInt(0), path.get(i).getInt(1),
                        path.get(i).getDouble(2)));
            }
        }
        List<Row> test = spark.read().parquet(out.resolve("test").toString()).collectAsList();
        assertEquals(3, test.size()); // the two pool models as they are, the evolved path
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("![the evolved layer path](path.png)") && report.contains("| step | model | layer | scale |"), report);
        assertEquals("PNG", new String(Files.readAllBytes(out.resolve("path.png")), 1, 3, StandardCharsets.US_ASCII));
        // every pool model opened once on this executor; its layers loaded once and shared by every candidate
        Map<String, Integer> loads = Workers.get(RunConfig.parse("small.yaml", DFS).withOut(out.toString()).workerSpec(),
                spark.sparkContext().hadoopConfiguration()).parents().loadsByLocation();
        loads.values().forEach(n -> assertEquals(1, n));
        // best/ is the best row's path: run from the checkpoint and run as a path over the pool, the same logits
        String best = Files.readString(out.resolve("best/layer_path.yml"));
        assertTrue(candidates.stream().anyMatch(r -> r.<String>getAs("recipe").equals(best)), "best is a candidate's path");
        LayerPathMerge path = (LayerPathMerge) Recipe.parse("best", best);
        long[] tokens = {1, 400, 401, 32, 290};
        try (Checkpoint a = Checkpoint.open(JobFixtures.model("stories260K-ja"));
             Checkpoint b = Checkpoint.open(JobFixtures.model("stories260K-math"));
             LayerStore store = LayerStore.open(List.of(WeightSource.of(a), WeightSource.of(b)), Device.cpu());
             Transformer walked = store.transformer(path.path());
             Checkpoint written = Checkpoint.open(out.resolve("best"));
             Transformer loaded = Transformer.load(written, Device.cpu())) {
            assertArrayEquals(walked.logits(tokens), loaded.logits(tokens));
        }
    }

    @Test
    void aDataFlowDriverKilledMidRunResumesToTheSameResults() throws Exception {
        Path uninterrupted = tmp.resolve("dfs-reference");
        run(DFS, uninterrupted);
        Path out = tmp.resolve("dfs-crash");
        assertThrows(EvolveRuns.SimulatedCrash.class, () -> EvolveRuns.run(spark, DFS, out, EvolveRuns.crashAfter(1, true), SparkShardRunner.NONE));
        assertTrue(run(DFS, out).startsWith("resuming dfs after generation 1"));
        EvolveRuns.assertSameResults(spark, uninterrupted, out);
    }

    @Test
    void aPsPlusDfsRunMergesItsInlineRecipeOncePerExecutorAndScoresItBesideThePath() throws Exception {
        String config = JobFixtures.smallRun("psdfs", 2, "merge:\n  method: dfs\n  scales: slot\n  pool:\n"
                + "    - {merge_method: task_arithmetic, base_model: " + JobFixtures.model("stories260K") + ", dtype: float32, models: [{model: "
                + JobFixtures.model("stories260K-math") + ", parameters: {weight: 0.5}}, {model: " + JobFixtures.model("stories260K-ja")
                + ", parameters: {weight: 0.5}}]}\n"
                + "    - " + JobFixtures.model("stories260K-ja") + "\n");
        Path out = tmp.resolve("psdfs");
        run(config, out);
        List<String> models = spark.read().parquet(out.resolve("test").toString()).collectAsList().stream()
                .map(r -> r.<String>getAs("model")).toList();
        assertEquals(3, models.size(), models.toString());
        assertEquals("pool A: task_arithmetic merge", models.get(1)); // the PS model the path search starts from
        assertTrue(models.get(2).startsWith("evolved"), models.toString());
        Map<String, Integer> loads = Workers.get(RunConfig.parse("small.yaml", config).withOut(out.toString()).workerSpec(),
                spark.sparkContext().hadoopConfiguration()).parents().loadsByLocation();
        loads.values().forEach(n -> assertEquals(1, n));
        assertTrue(loads.containsKey(Locations.absolute(JobFixtures.model("stories260K").toString())), loads.toString());
        try (Checkpoint best = Checkpoint.open(out.resolve("best"))) {
            assertEquals(Files.readString(out.resolve("best/layer_path.yml")), Recipe.parse("best",
                    Files.readString(out.resolve("best/layer_path.yml"))).toYaml());
            assertTrue(best.config().numHiddenLayers() >= 2);
        }
    }

}
