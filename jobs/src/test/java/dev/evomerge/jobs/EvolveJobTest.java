package dev.evomerge.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evolve job end to end in local Spark on the bundled models: the tables, the report and the
 * best model; a driver that dies mid-run and is rerun; a task that fails once; a candidate that
 * cannot be built. Each compares against an uninterrupted, fault-free run of the same config.
 */
class EvolveJobTest {
    private static final String CONFIG = JobFixtures.smallRun("small", 3, "dare_ties", JobFixtures.model("stories260K-ja").toString());
    private static SparkSession spark;
    private static Path reference;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void referenceRun() {
        // local[2, 2]: two cores, and a failed task gets a second attempt (as on a cluster)
        spark = SparkSession.builder().master("local[2,2]").appName("evolve-test").config("spark.ui.enabled", "false").getOrCreate();
        reference = tmp.resolve("reference");
        run(CONFIG, reference);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static String run(String config, Path out) {
        return EvolveRuns.run(spark, config, out, Evolution.QUIET, SparkShardRunner.NONE);
    }

    private static String run(String config, Path out, Evolution.Listener listener, SparkShardRunner.TaskHook hook) {
        return EvolveRuns.run(spark, config, out, listener, hook);
    }

    private static void assertSameResults(Path expected, Path actual) throws Exception {
        EvolveRuns.assertSameResults(spark, expected, actual);
    }

    /** Fails the first attempt of one (generation, candidate, shard) task; Spark then retries it. */
    private static SparkShardRunner.TaskHook failFirstAttempt(int generation, int candidate, int shard) {
        return t -> {
            if (TaskContext.get().attemptNumber() == 0 && t.generation() == generation && t.candidate() == candidate
                    && t.shard() == shard) {
                throw new IllegalStateException("injected fault in task " + generation + ":" + candidate + ":" + shard);
            }
        };
    }

    @Test
    void aRunWritesItsTablesReportAndALoadableBestModel() throws Exception {
        List<Row> candidates = spark.read().parquet(reference.resolve("candidates").toString()).collectAsList();
        List<Row> shards = spark.read().parquet(reference.resolve("shards").toString()).collectAsList();
        List<Row> test = spark.read().parquet(reference.resolve("test").toString()).collectAsList();
        assertEquals(3 * 4, candidates.size());
        assertEquals(3 * 4 * 2, shards.size());
        assertEquals(5, test.size()); // base, two parents, linear 1/2, evolved
        for (Row r : candidates) {
            assertNull(r.getAs("error"));
            assertEquals(20, r.<scala.collection.Seq<Object>>getAs("genome").size()); // 5 layers x 2 models x (weight, density)
            assertEquals(8, (int) r.<Integer>getAs("items")); // 4 en + 4 ja, over 2 shards
            Map<String, Object> metrics = scala.collection.JavaConverters.mapAsJavaMap(r.<scala.collection.Map<String, Object>>getAs("metrics"));
            double expected = -((Double) metrics.get("en.loss") + (Double) metrics.get("ja.loss")) / 2;
            assertEquals(expected, r.<Double>getAs("fitness"), 1e-12);
        }
        // parents are loaded once per executor for the whole run, however many tasks and generations
        for (Row r : shards) {
            assertTrue(r.<Integer>getAs("parent_loads") <= 3, "parent loads " + r.getAs("parent_loads"));
        }
        Map<String, Integer> loads = Workers.get(RunConfig.parse("small.yaml", CONFIG).withOut(reference.toString()).workerSpec(),
                spark.sparkContext().hadoopConfiguration()).parents().loadsByLocation();
        // the three parents, and best/ (the test row of the evolved merge is best/ as written), once each
        assertEquals(4, loads.size());
        assertTrue(loads.containsKey(Locations.absolute(reference.resolve("best").toString())), loads.toString());
        loads.values().forEach(n -> assertEquals(1, n));
        // the two shards of a candidate ran side by side and one build served both
        long reused = shards.stream().filter(r -> r.<Boolean>getAs("reused")).count();
        assertTrue(reused >= 6, "reused " + reused + " of 24");

        String report = Files.readString(reference.resolve("report.md"));
        assertTrue(report.contains("| linear 1/2 |") && report.contains("| evolved (generation "), report);
        assertTrue(report.contains("![fitness per generation](fitness.png)"));
        byte[] png = Files.readAllBytes(reference.resolve("fitness.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals("PNG", new String(png, 1, 3, StandardCharsets.US_ASCII));
        try (Checkpoint best = Checkpoint.open(reference.resolve("best")); Transformer t = Transformer.load(best, Device.cpu())) {
            assertEquals(512, t.logits(new long[] {1, 400, 401}).length / 3);
            String recipe = Files.readString(reference.resolve("best/mergekit_config.yml"));
            assertTrue(candidates.stream().anyMatch(r -> r.<String>getAs("recipe").equals(recipe)), "best recipe is a candidate's");
        }
    }

    @Test
    void aDriverKilledMidRunResumesToTheSameResults() throws Exception {
        for (boolean checkpoint : List.of(false, true)) {
            int generation = checkpoint ? 1 : 2; // after 2's rows (no checkpoint yet), or after 1's checkpoint
            Path out = tmp.resolve("crash-" + generation + "-" + checkpoint);
            assertThrows(EvolveRuns.SimulatedCrash.class, () -> run(CONFIG, out, EvolveRuns.crashAfter(generation, checkpoint), SparkShardRunner.NONE));
            assertFalse(Files.exists(out.resolve("report.md")));
            String log = run(CONFIG, out);
            // after "2:results" generation 2's rows exist without its checkpoint: redone, not duplicated
            assertTrue(log.startsWith("resuming small after generation 1"), log);
            assertSameResults(reference, out);
            assertTrue(run(CONFIG, out).contains("is complete"), "a third run only reports");
        }
    }

    @Test
    void aTaskThatFailsOnceIsRetriedAndScoresTheSame() throws Exception {
        Path out = tmp.resolve("fault");
        run(CONFIG, out, Evolution.QUIET, failFirstAttempt(2, 1, 0));
        assertSameResults(reference, out);
    }

    @Test
    void candidatesThatCannotBeBuiltAreRecordedWithTheirErrorAndTheRunGoesOn() throws Exception {
        // A Japanese parent with one NaN weight: every merge with it has a NaN (DARE's rescale spreads
        // it over the tensor), so every candidate fails; each generation is still scored, written and
        // checkpointed, and the run ends with one clear line instead of a report on nothing.
        Path broken = tmp.resolve("stories260K-ja-nan");
        Files.createDirectories(broken);
        try (var files = Files.list(JobFixtures.model("stories260K-ja"))) {
            for (Path f : files.toList()) {
                Files.copy(f, broken.resolve(f.getFileName()));
            }
        }
        poison(broken.resolve("model.safetensors"), "model.layers.2.mlp.down_proj.weight");
        Path out = tmp.resolve("nan");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> run(JobFixtures.smallRun("nan", 2, "dare_ties", broken.toString()), out));
        assertTrue(e.getMessage().startsWith("run nan: no candidate could be evaluated"), e.getMessage());
        List<Row> rows = spark.read().parquet(out.resolve("candidates").toString()).collectAsList();
        assertEquals(2 * 4, rows.size());
        for (Row r : rows) {
            assertNull(r.getAs("fitness"));
            assertTrue(r.<String>getAs("error").contains("merged tensor 'model.layers.2.mlp.down_proj.weight' has a non-finite value"),
                    r.<String>getAs("error"));
        }
        assertTrue(Files.exists(out.resolve("checkpoint/generation-00002.json")));
        assertFalse(Files.exists(out.resolve("best")));
        assertFalse(Files.exists(out.resolve("report.md")));
    }

    /** Sets the first value of one F32 tensor to NaN in place. */
    private static void poison(Path file, String tensor) throws Exception {
        try (Checkpoint c = Checkpoint.open(file.getParent())) {
            long offset = 8 + c.tensor(tensor).begin() + headerLength(file);
            try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(0, Float.NaN), offset);
            }
        }
    }

    private static long headerLength(Path file) throws Exception {
        byte[] head = new byte[8];
        try (var in = Files.newInputStream(file)) {
            in.readNBytes(head, 0, 8);
        }
        return java.nio.ByteBuffer.wrap(head).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

}
