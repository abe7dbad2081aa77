package dev.evomerge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.Fixtures;
import dev.evomerge.driver.RunConfig;
import dev.evomerge.io.LocalS3Server;
import dev.evomerge.io.Storage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run that lives on S3 (a real S3-protocol server on 127.0.0.1) and reaches it only through the
 * session's {@code spark.hadoop.*} settings, as a cluster's runs do: the config is read from S3 and
 * its relative paths are taken from its folder there, the executors read parents and data with the
 * driver's settings (a plain Hadoop configuration knows no endpoint), and every output lands on
 * S3, {@code best/} marked complete.
 */
class EvolveOnS3Test {
    private static LocalS3Server s3;
    private static SparkSession spark;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        s3 = LocalS3Server.start();
        s3.createBucket("team");
        SparkSession.Builder builder = SparkSession.builder().master("local[2]").appName("evolve-s3").config("spark.ui.enabled", "false");
        for (Map.Entry<String, String> e : s3.hadoopConf().getPropsWithPrefix("fs.s3a.").entrySet()) {
            builder.config("spark.hadoop.fs.s3a." + e.getKey(), e.getValue());
        }
        spark = builder.getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void aRunWhoseFilesAreOnS3ReachesThemThroughSparksHadoopSettings() throws Exception {
        assertEquals(null, new Configuration().get("fs.s3a.endpoint"), "only the session knows the S3 server");
        Storage storage = HadoopSettings.driver(spark);
        for (String m : List.of("stories260K", "stories260K-math", "stories260K-ja")) {
            storage.upload(Fixtures.model(m), "s3a://team/models/" + m);
        }
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.copy(Fixtures.data("mgsm/mgsm_en.tsv"), data.resolve("mgsm_en.tsv"));
        Files.writeString(data.resolve("run.yaml"), """
                out: ../runs/s3
                merge:
                  method: task_arithmetic
                  base_model: ../models/stories260K
                  models: [../models/stories260K-math, ../models/stories260K-ja]
                optimizer: {population: 4, generations: 2, seed: 5}
                fitness:
                  shards: 2
                  tasks: [{task: likelihood, data: mgsm_en.tsv, split: 'range:0:4'}]
                lease_seconds: 10
                """);
        storage.upload(data, "s3a://team/confs");

        String config = "s3a://team/confs/run.yaml";
        RunConfig run = RunConfig.parse(config, EvolveJob.readText(storage, config));
        assertEquals("s3a://team/models/stories260K", run.baseModel());
        assertEquals("s3a://team/confs/mgsm_en.tsv", run.fitness().tasks().get(0).data());
        assertEquals("s3a://team/runs/s3", run.out());

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        EvolveJob.run(spark, run, new PrintStream(log, true, StandardCharsets.UTF_8));
        assertTrue(storage.isComplete("s3a://team/runs/s3/best"), "best/ marked complete");
        assertTrue(storage.exists("s3a://team/runs/s3/report.md"));
        assertTrue(storage.exists("s3a://team/runs/s3/checkpoint/generation-00002.json"));
        List<Row> candidates = spark.read().parquet("s3a://team/runs/s3/candidates").collectAsList();
        assertEquals(8, candidates.size());
        for (Row r : candidates) {
            assertEquals(null, r.<String>getAs("error"));
            assertTrue(r.<String>getAs("recipe").contains("base_model: 's3a://team/models/stories260K'"), r.<String>getAs("recipe"));
        }
        Row evolved = spark.read().parquet("s3a://team/runs/s3/test").orderBy("model").collectAsList().stream()
                .filter(r -> r.<String>getAs("model").startsWith("evolved")).findFirst().orElseThrow();
        assertEquals("s3a://team/runs/s3/best", evolved.<String>getAs("location"));
        // A rerun finds it complete.
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        EvolveJob.run(spark, run, new PrintStream(again, true, StandardCharsets.UTF_8));
        assertTrue(again.toString(StandardCharsets.UTF_8).contains("is complete"), again.toString(StandardCharsets.UTF_8));
    }
}
