package dev.evomerge.jobs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.driver.Evolution;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run config that carries S3 credentials (as users put them in spark.conf) never writes them
 * anywhere: not in the driver's log, the Parquet tables, the checkpoints, the report, the recipe
 * files or best/. Every byte of every output file is searched for the planted values.
 */
class PlantedSecretTest {
    private static SparkSession spark;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2,2]").appName("secret-test").config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void plantedCredentialsAppearInNoOutput() throws Exception {
        String access = "AKIAPLANTED7ACCESS0";
        String secret = "planted/Secret+Key=0123456789abcdef";
        String config = JobFixtures.smallRun("secret", 1, "task_arithmetic", JobFixtures.model("stories260K-ja").toString())
                + "spark:\n  conf:\n    spark.hadoop.fs.s3a.access.key: " + access + "\n"
                + "    spark.hadoop.fs.s3a.secret.key: \"" + secret + "\"\n";
        Path out = tmp.resolve("run");
        String log = EvolveRuns.run(spark, config, out, Evolution.QUIET, SparkShardRunner.NONE);
        assertTrue(Files.exists(out.resolve("report.md")), "the run completed");
        for (String planted : List.of(access, secret)) {
            assertFalse(log.contains(planted), "the driver's log carries " + planted);
            try (Stream<Path> files = Files.walk(out)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                    assertFalse(bytes.contains(planted), f + " carries " + planted);
                }
            }
        }
    }
}
