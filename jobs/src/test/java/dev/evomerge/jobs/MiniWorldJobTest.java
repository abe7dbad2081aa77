package dev.evomerge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.evomerge.driver.Evolution;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.ItemResult;
import dev.evomerge.eval.MgsmTask;
import dev.evomerge.eval.Split;
import dev.evomerge.eval.Summary;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.Storage;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The accuracy run (conf/evolve-mini-world.yaml's shape, cut to one generation and a few problems)
 * through the Spark job: fitness is mini-MGSM-ja accuracy with the Japanese check from greedy
 * generation; the test table holds the base, both parents, the three untuned merges and the
 * evolved one. The evolved row's count is checked against the evaluator run here on best/ alone.
 */
class MiniWorldJobTest {
    @TempDir
    Path tmp;

    @Test
    void anAccuracyRunScoresByGenerationWithTheJapaneseCheckAndReportsWithIntervals() throws Exception {
        Path world = JobFixtures.model("mini-world");
        Path data = JobFixtures.data("mini-world");
        String task = "{name: mini_mgsm_ja, task: mgsm, lang: ja, template: ja-alpaca-cot, max_new_tokens: 40, data: ";
        String config = "run_id: mini-world-small\n"
                + "merge:\n  method: dare_ties\n  base_model: " + world.resolve("base") + "\n  models: [" + world.resolve("ja-general")
                + ", " + world.resolve("en-math") + "]\n  dtype: float32\n  baselines: [linear, ties, dare_ties]\n"
                + "genome: {layer_granularity: 1}\n"
                + "optimizer: {population: 4, generations: 1, seed: 5}\n"
                + "fitness:\n  shards: 2\n  batch_size: 6\n  tasks:\n    - " + task + data.resolve("mini_mgsm_ja_fitness.jsonl")
                + ", split: 'range:0:6'}\n"
                + "test:\n  tasks:\n    - " + task + data.resolve("mini_mgsm_ja_test.jsonl") + ", split: 'range:0:12'}\n";
        SparkSession spark = SparkSession.builder().master("local[2]").appName("mini-world-test").config("spark.ui.enabled", "false")
                .getOrCreate();
        Path out = tmp.resolve("run");
        try {
            EvolveRuns.run(spark, config, out, Evolution.QUIET, SparkShardRunner.NONE);
            List<Row> candidates = spark.read().parquet(out.resolve("candidates").toString()).collectAsList();
            List<Row> test = spark.read().parquet(out.resolve("test").toString()).collectAsList();
            assertEquals(4, candidates.size());
            for (Row r : candidates) {
                assertNull(r.getAs("error"));
                assertEquals(6, (int) r.<Integer>getAs("items"));
                Map<String, Object> metrics = scala.collection.JavaConverters.mapAsJavaMap(
                        r.<scala.collection.Map<String, Object>>getAs("metrics"));
                assertEquals((Double) metrics.get("mini_mgsm_ja.accuracy"), r.<Double>getAs("fitness"), 1e-12,
                        "fitness is the accuracy with the Japanese check");
            }
            assertEquals(7, test.size(), "base, two parents, linear 1/2, ties, dare_ties, evolved");
            String report = Files.readString(out.resolve("report.md"));
            assertTrue(report.contains("| model | mini_mgsm_ja.accuracy % [95% interval] | mini_mgsm_ja.accuracy without the "
                    + "Japanese check % | fitness |"), report);
            assertTrue(report.contains("| ties (weight 1, density 0.5) |") && report.contains("| dare_ties (weight 1, density 0.5) |"),
                    report);

            // the evolved row, recomputed outside Spark: the evaluator on best/ over the same 12 problems
            List<EvalItem> items = Split.parse("range:0:12").select(Datasets.read(Storage.withDefaults(),
                    data.resolve("mini_mgsm_ja_test.jsonl").toString()));
            Summary alone;
            try (Checkpoint best = Checkpoint.open(out.resolve("best")); Transformer model = Transformer.load(best, Device.cpu());
                 Tokenizer tokenizer = Tokenizer.load(out.resolve("best"), best.config())) {
                List<ItemResult> results = new Evaluator(model, tokenizer, 5).run(MgsmTask.of("ja", "ja-alpaca-cot", 40), items);
                alone = Summary.of(results);
            }
            Row evolved = test.stream().filter(r -> r.<String>getAs("model").startsWith("evolved")).findFirst().orElseThrow();
            Map<String, Object> metrics = scala.collection.JavaConverters.mapAsJavaMap(
                    evolved.<scala.collection.Map<String, Object>>getAs("metrics"));
            assertEquals(alone.accuracyInJapanese(), (Double) metrics.get("mini_mgsm_ja.accuracy"), 1e-12);
        } finally {
            spark.stop();
        }
    }
}
