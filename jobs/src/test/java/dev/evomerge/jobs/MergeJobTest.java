package dev.evomerge.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.Merger;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark merge job builds exactly what the local command builds. */
class MergeJobTest {
    @TempDir
    Path tmp;

    @Test
    void anExecutorMergeEqualsTheLocalOne() throws Exception {
        String yaml = "merge_method: dare_ties\nbase_model: " + JobFixtures.model("stories260K") + "\nmodels:\n"
                + "  - model: " + JobFixtures.model("stories260K-math") + "\n    parameters: {weight: 0.5, density: 0.5}\n"
                + "  - model: " + JobFixtures.model("stories260K-ja") + "\n    parameters: {weight: 0.5, density: 0.5}\nseed: 3\n";
        SparkSession spark = SparkSession.builder().master("local[2]").appName("test").config("spark.ui.enabled", "false").getOrCreate();
        try {
            String summary = MergeJob.run(spark, "recipe.yaml", yaml, tmp.resolve("on-executor").toString());
            assertTrue(summary.startsWith("merged 2 model(s) with dare_ties"), summary);
            Merger.merge(MergeConfig.parse("recipe.yaml", yaml), tmp.resolve("local"),
                    new CheckpointCache(Storage.withDefaults(), tmp.resolve("cache")));
            assertArrayEquals(Files.readAllBytes(tmp.resolve("local/model.safetensors")),
                    Files.readAllBytes(tmp.resolve("on-executor/model.safetensors")));
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> MergeJob.run(spark, "bad.yaml", "merge_method: nope\nmodels: [{model: x}]\n", tmp.resolve("x").toString()));
            assertEquals("bad.yaml: key 'merge_method': unknown merge method 'nope'", bad.getMessage().split(" \\(known")[0]);
        } finally {
            spark.stop();
        }
    }
}
