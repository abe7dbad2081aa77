package dev.evomerge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.Summary;
import dev.evomerge.io.Storage;
import dev.evomerge.model.ComposedCheckpoint;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.train.ComposeConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compose job in local Spark: the mini world's EN math reads JA general through trained
 * cross-attentions (a few steps), then the composition is scored on two tasks in three shards
 * each, in parallel; the totals are the composition scored by the evaluator directly.
 */
class ComposeJobTest {
    private static SparkSession spark;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2,2]").appName("compose-test").config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void trainsOnOneExecutorThenScoresTheShardsAsTheEvaluatorDoes() throws Exception {
        String ja = JobFixtures.data("mini-world/mini_mgsm_ja_test.jsonl").toString();
        String config = "out: " + tmp.resolve("composed") + "\nanchor: " + JobFixtures.model("mini-world/en-math") + "\naugmenting: "
                + JobFixtures.model("mini-world/ja-general") + "\nlayers: {pairs: [[1, 1], [3, 2]]}\nheads: 2\ndata: "
                + JobFixtures.data("mini-world/mini_mgsm_ja_fitness.jsonl") + "\ntemplate: ja-alpaca-cot\nsteps: 4\nbatch_size: 4\n"
                + "max_length: 160\nlog_every: 4\ntest:\n  shards: 3\n  batch_size: 4\n  tasks:\n"
                + "    - {name: ja, task: mgsm, lang: ja, max_new_tokens: 12, data: " + ja + ", split: 'range:0:7'}\n"
                + "    - {name: ja_loss, task: likelihood, data: " + ja + ", split: 'range:7:12'}\n";
        Path file = tmp.resolve("compose.yaml");
        Files.writeString(file, config);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<Summary> totals = ComposeJob.run(spark, file.toString(), "file:" + file, config, null,
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String log = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(log.startsWith("composed file:" + tmp.resolve("composed") + ": "), log);
        assertTrue(log.contains("ja.accuracy = ") && log.contains("ja_loss.loss = "), log);

        ComposeConfig parsed = ComposeConfig.read(file);
        Path dir = tmp.resolve("composed");
        try (ComposedCheckpoint.Loaded c = ComposedCheckpoint.open(dir, Storage::localPath, Device.cpu());
             Tokenizer tokenizer = Tokenizer.load(dir, c.anchorFiles().config())) {
            for (int t = 0; t < 2; t++) {
                var spec = parsed.test().tasks().get(t);
                List<EvalItem> items = dev.evomerge.eval.Split.parse(spec.split()).select(Datasets.read(Storage.withDefaults(), spec.data()));
                Summary direct = Summary.of(new Evaluator(c.composition(), tokenizer, 4).run(spec.toTask(), items));
                assertEquals(direct.items(), totals.get(t).items());
                assertEquals(direct.correctInJapanese(), totals.get(t).correctInJapanese());
                if (spec.isLikelihood()) { // summed over three shards: equal to rounding
                    assertEquals(direct.meanLoss(), totals.get(t).meanLoss(), 1e-9 * Math.abs(direct.meanLoss()), spec.name());
                }
            }
        }
        List<Row> rows = spark.read().parquet(dir.resolve("evaluation").toString()).orderBy("task").collectAsList();
        assertEquals(List.of("ja", "ja_loss"), rows.stream().map(r -> r.getString(0)).toList());
        assertEquals(totals.get(1).meanLoss(), rows.get(1).getDouble(2), 1e-12);
    }
}
