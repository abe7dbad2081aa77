package dev.evomerge.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.evomerge.driver.Evolution;
import dev.evomerge.driver.RunConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Runs of the evolve job for the tests: a run, a driver that dies at a chosen point, two runs' results compared. */
final class EvolveRuns {
    private EvolveRuns() {
    }

    /** Thrown by a listener: the driver "dies" there. */
    static final class SimulatedCrash extends RuntimeException {
        SimulatedCrash(String where) {
            super("simulated driver crash after " + where);
        }
    }

    /** A driver that dies right after generation {@code generation}'s results or its checkpoint are written. */
    static Evolution.Listener crashAfter(int generation, boolean checkpoint) {
        return new Evolution.Listener() {
            @Override
            public void afterResults(int g) {
                if (g == generation && !checkpoint) {
                    throw new SimulatedCrash(g + ":results");
                }
            }

            @Override
            public void afterCheckpoint(int g) {
                if (g == generation && checkpoint) {
                    throw new SimulatedCrash(g + ":checkpoint");
                }
            }
        };
    }

    /** Runs {@code config} into {@code out}; returns what the driver printed. */
    static String run(SparkSession spark, String config, Path out, Evolution.Listener listener, SparkShardRunner.TaskHook hook) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        EvolveJob.run(spark, RunConfig.parse("small.yaml", config).withOut(out.toString()),
                new PrintStream(bytes, true, StandardCharsets.UTF_8), listener, hook);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Same recipes, fitness and metrics in every table, and the same best model, byte for byte. */
    static void assertSameResults(SparkSession spark, Path expected, Path actual) throws Exception {
        for (String table : List.of("candidates", "shards", "test", "front")) {
            if (table.equals("front") && !Files.exists(expected.resolve(table))) {
                continue; // a single-objective run has no front
            }
            assertEquals(rows(spark, expected, table), rows(spark, actual, table), table);
        }
        assertArrayEquals(Files.readAllBytes(expected.resolve("best/model.safetensors")),
                Files.readAllBytes(actual.resolve("best/model.safetensors")));
        String recipe = Files.exists(expected.resolve("best/layer_path.yml")) ? "best/layer_path.yml" : "best/mergekit_config.yml";
        assertEquals(Files.readString(expected.resolve(recipe)), Files.readString(actual.resolve(recipe)));
    }

    private static List<String> rows(SparkSession spark, Path run, String table) {
        String columns = switch (table) {
            case "candidates" -> "generation, candidate, genome, recipe, depth, path, fitness, metrics, items, tokens, error, "
                    + "pareto_objectives, pareto_rank, crowding_distance";
            case "front" -> "generation, candidate, pareto_objectives, fitness, chosen, recipe, recipe_file, genome";
            case "shards" -> "generation, candidate, shard, metrics, items, tokens, error";
            default -> "model, recipe, metrics, fitness, items, tokens, error";
        };
        spark.read().parquet(run.resolve(table).toString()).createOrReplaceTempView("t");
        return spark.sql("SELECT " + columns + " FROM t ORDER BY " + columns.split(",")[0] + ", " + columns.split(",")[1])
                .collectAsList().stream().map(Row::toString).collect(Collectors.toList());
    }
}
