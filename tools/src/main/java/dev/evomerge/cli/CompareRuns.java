package dev.evomerge.cli;

import dev.evomerge.io.Locations;
import dev.evomerge.io.Storage;
import dev.evomerge.jobs.HadoopSettings;
import dev.evomerge.jobs.SparkSessions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Whether two evolve runs of one config came out the same: every row of the candidates, shards
 * and test tables (what was scored, not when or where: times and executors are left out), and
 * {@code best/} byte for byte. Also checks what any run must show: no executor opened a parent
 * twice. It is how a run on a cluster, a resumed run or a retried one is shown to equal a plain
 * local run.
 *
 * <pre>scripts/compare-runs EXPECTED_RUN ACTUAL_RUN [--executors N]</pre>
 * {@code --executors N}: the actual run's shards were scored by at least N executors.
 * Prints what it checked; exit code 1 at the first difference.
 */
public final class CompareRuns {
    /** The columns that say what was scored; the others (times, executors) differ run to run by nature. */
    static final Map<String, String> COLUMNS = Map.of(
            "candidates", "generation, candidate, genome, recipe, fitness, metrics, items, correct, tokens, error, "
                    + "pareto_objectives, pareto_rank, crowding_distance",
            "shards", "generation, candidate, shard, metrics, items, correct, tokens, error",
            "test", "model, location, recipe, metrics, fitness, items, correct, tokens, error",
            "front", "generation, candidate, pareto_objectives, fitness, chosen, recipe, recipe_file, genome");

    private CompareRuns() {
    }

    public static void main(String[] args) {
        if (args.length != 2 && !(args.length == 4 && args[2].equals("--executors"))) {
            System.err.println("usage: compare-runs EXPECTED_RUN ACTUAL_RUN [--executors N]");
            System.exit(2);
        }
        int executors = args.length == 4 ? Integer.parseInt(args[3]) : 0;
        try (SparkSession spark = SparkSessions.getOrCreate("evomerge compare-runs", "local[1]", Map.of())) {
            List<String> differences = compare(spark, Locations.absolute(args[0]), Locations.absolute(args[1]), executors, System.out);
            if (!differences.isEmpty()) {
                differences.forEach(d -> System.err.println("difference: " + d));
                System.exit(1);
            }
        }
    }

    /** The differences between the two runs (empty when they are the same); says what it checked on {@code log}. */
    public static List<String> compare(SparkSession spark, String expected, String actual, int minExecutors, java.io.PrintStream log) {
        Storage storage = HadoopSettings.driver(spark);
        List<String> differences = new ArrayList<>();
        for (Map.Entry<String, String> table : new TreeMap<>(COLUMNS).entrySet()) {
            if (table.getKey().equals("front") && !storage.exists(expected + "/front")) {
                continue; // only a multi-objective run has a front
            }
            String columns = common(spark, table.getValue(), expected + "/" + table.getKey(), actual + "/" + table.getKey());
            List<String> a = rows(spark, expected, table.getKey(), columns);
            List<String> b = rows(spark, actual, table.getKey(), columns);
            if (!a.equals(b)) {
                differences.add(table.getKey() + ": " + firstDifference(a, b));
            } else {
                log.printf("%s: %d rows identical%n", table.getKey(), a.size());
            }
        }
        Map<String, byte[]> bestA = files(storage, expected + "/best");
        Map<String, byte[]> bestB = files(storage, actual + "/best");
        List<String> differentFiles = new ArrayList<>(bestA.keySet().equals(bestB.keySet()) ? List.of()
                : List.of("best/: files " + bestA.keySet() + " vs " + bestB.keySet()));
        bestA.forEach((name, bytes) -> {
            if (bestB.containsKey(name) && !Arrays.equals(bytes, bestB.get(name))) {
                differentFiles.add("best/" + name + ": bytes differ");
            }
        });
        if (differentFiles.isEmpty()) {
            log.printf("best/: %d files identical byte for byte%n", bestA.size());
        }
        differences.addAll(differentFiles);
        differences.addAll(parentLoads(spark, actual, minExecutors, log));
        return differences;
    }

    /** Every shard row's executor had opened at most as many parents as the run has (so none twice). */
    private static List<String> parentLoads(SparkSession spark, String run, int minExecutors, java.io.PrintStream log) {
        Dataset<Row> shards = spark.read().parquet(run + "/shards");
        Row recipe = spark.read().parquet(run + "/candidates").select("recipe").first();
        long parents = recipe.getString(0).lines().filter(l -> l.startsWith("base_model:") || l.trim().startsWith("- model:")).count();
        List<String> problems = new ArrayList<>();
        long over = shards.filter("parent_loads > " + parents).count();
        if (over > 0) {
            problems.add("shards: " + over + " rows where an executor had opened more than the run's " + parents + " parents");
        }
        long executors = shards.select("executor").distinct().count();
        if (executors < minExecutors) {
            problems.add("shards: scored by " + executors + " executor(s), expected at least " + minExecutors);
        }
        log.printf("parents: each opened once per executor JVM (parent_loads <= %d in all %d shard rows); %d executor(s)%n", parents,
                shards.count(), executors);
        return problems;
    }

    /**
     * The columns of {@code wanted} both tables have: a run written before a column existed still
     * compares on what it has.
     */
    private static String common(SparkSession spark, String wanted, String tableA, String tableB) {
        List<String> a = java.util.Arrays.asList(spark.read().parquet(tableA).columns());
        List<String> b = java.util.Arrays.asList(spark.read().parquet(tableB).columns());
        return String.join(", ", java.util.Arrays.stream(wanted.split(",\\s*")).filter(c -> a.contains(c) && b.contains(c)).toList());
    }

    /** A table's rows as text, sorted; the run's own location (where its best/ lies) written as RUN. */
    private static List<String> rows(SparkSession spark, String run, String table, String columns) {
        spark.read().parquet(run + "/" + table).createOrReplaceTempView("t");
        String[] keys = columns.split(",\\s*");
        return spark.sql("SELECT " + columns + " FROM t ORDER BY " + keys[0] + ", " + keys[1]).collectAsList().stream()
                .map(r -> r.toString().replace(run + "/", "RUN/")).toList();
    }

    private static String firstDifference(List<String> a, List<String> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            if (!a.get(i).equals(b.get(i))) {
                return "row " + i + ":\n  expected " + a.get(i) + "\n  actual   " + b.get(i);
            }
        }
        return a.size() + " rows vs " + b.size();
    }

    private static Map<String, byte[]> files(Storage storage, String dir) {
        Map<String, byte[]> out = new TreeMap<>();
        for (FileStatus f : storage.listFiles(dir)) {
            try (InputStream in = storage.fileSystem(dir).open(f.getPath())) {
                out.put(f.getPath().getName(), in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + f.getPath() + ": " + e.getMessage(), e);
            }
        }
        return out;
    }
}
