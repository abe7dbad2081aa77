package dev.evomerge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.TinyVlm;
import dev.evomerge.driver.Evolution;
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
 * EvoVLM's search through the evolve job in local Spark: a VLM (stories260K-math's language model
 * behind a tiny CLIP tower) and an LLM merged by TIES, scored on a VQA set in two shards; the
 * candidates table carries the VQA score, best/ is a LLaVA, and a driver killed after generation 1
 * resumes to the same results, byte for byte.
 */
class VqaJobTest {
    private static SparkSession spark;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2,2]").appName("vqa-test").config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void aVlmAndAnLlmEvolveOnVqaAndResumeToTheSameResults() throws Exception {
        Path vlm = TinyVlm.write(tmp.resolve("vlm"), JobFixtures.model("stories260K-math"), 5);
        Path data = TinyVlm.storiesVqaSet(tmp.resolve("set"));
        String config = "run_id: vqa\nmerge:\n  method: ties\n  base_model: " + JobFixtures.model("stories260K") + "\n  models: ["
                + vlm + ", " + JobFixtures.model("stories260K-ja") + "]\noptimizer: {population: 4, generations: 2, seed: 11}\n"
                + "fitness:\n  shards: 2\n  batch_size: 2\n  tasks:\n"
                + "    - {name: vqa, task: vqa, data: " + data + ", template: plain, max_new_tokens: 12}\n";
        Path reference = tmp.resolve("reference");
        EvolveRuns.run(spark, config, reference, Evolution.QUIET, SparkShardRunner.NONE);
        List<Row> candidates = spark.read().parquet(reference.resolve("candidates").toString()).collectAsList();
        assertEquals(8, candidates.size());
        for (Row r : candidates) {
            Map<String, Object> metrics = r.getJavaMap(r.fieldIndex("metrics"));
            double score = (Double) metrics.get("vqa.rougeL");
            assertEquals(score, (Double) r.getAs("fitness"), 1e-12, "the VQA score is the fitness");
        }
        assertTrue(candidates.stream().anyMatch(r -> (Double) r.getAs("fitness") > 0), "answers overlap the references");
        assertEquals("llava", new ObjectMapper().readTree(reference.resolve("best/config.json").toFile()).get("model_type").asText());

        Path resumed = tmp.resolve("resumed");
        assertThrows(EvolveRuns.SimulatedCrash.class, () -> EvolveRuns.run(spark, config, resumed, EvolveRuns.crashAfter(1, true),
                SparkShardRunner.NONE));
        String log = EvolveRuns.run(spark, config, resumed, Evolution.QUIET, SparkShardRunner.NONE);
        assertTrue(log.startsWith("resuming vqa after generation 1"), log);
        EvolveRuns.assertSameResults(spark, reference, resumed);
    }
}
