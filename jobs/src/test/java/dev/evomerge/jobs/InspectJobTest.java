package dev.evomerge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.CheckpointSummary;
import dev.evomerge.io.Locations;
import dev.evomerge.io.Storage;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** lib runs inside Spark tasks on Java 17 (local[2]): the wiring every later job relies on. */
class InspectJobTest {

    @Test
    void executorsValidateEachCheckpointAndAgreeWithTheDriver() {
        List<String> locations = List.of(JobFixtures.model("stories260K").toString(), JobFixtures.model("stories260K-math").toUri().toString(),
                JobFixtures.model("stories260K-ja").toString());
        SparkSession spark = SparkSession.builder().master("local[2]").appName("test")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            List<CheckpointSummary> summaries = InspectJob.run(spark, locations);
            CheckpointCache driverCache = new CheckpointCache(Storage.withDefaults(), Path.of("unused"));
            for (int i = 0; i < locations.size(); i++) {
                // executors get absolute locations: the same checkpoint in any working directory
                assertEquals(CheckpointSummary.of(Locations.absolute(locations.get(i)), driverCache), summaries.get(i));
                assertEquals(260_032, summaries.get(i).parameters());
            }
            SparkException bad = org.junit.jupiter.api.Assertions.assertThrows(SparkException.class,
                    () -> InspectJob.run(spark, List.of("/no/such/model")));
            org.junit.jupiter.api.Assertions.assertTrue(
                    bad.getMessage().contains("/no/such/model: no such checkpoint directory"), bad.getMessage());
        } finally {
            spark.stop();
        }
    }
}
