package dev.evomerge.jobs;

import dev.evomerge.driver.CandidateResult;
import dev.evomerge.driver.Evolution;
import dev.evomerge.driver.Objectives;
import dev.evomerge.driver.ParetoFront;
import dev.evomerge.driver.RunConfig;
import dev.evomerge.driver.RunStore;
import dev.evomerge.executor.ShardResult;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.AsIs;
import dev.evomerge.merge.LayerPathMerge;
import dev.evomerge.model.LayerPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The run's tables, as Parquet (schemas in the README): {@code candidates/} one row per candidate,
 * {@code shards/} one row per (candidate, shard), one file per generation
 * ({@code generation-00003.parquet}); {@code test/} the final test table; {@code front/} the final
 * Pareto front of a multi-objective run. Each file is written
 * by Spark into a {@code _tmp-} directory (which Spark, pyarrow and DuckDB skip) and renamed into
 * place, so a reader sees whole generations only.
 */
final class ParquetResults implements Evolution.ResultSink {
    /** A map of names to numbers: a candidate's objectives, its metrics. */
    private static final DataType DOUBLES = DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType, false);
    /** A data-flow candidate's layer path, step by step: the pool model, its layer, the scale of the hidden state entering it. */
    private static final DataType PATH = DataTypes.createArrayType(schema(field("model", DataTypes.IntegerType, false),
            field("layer", DataTypes.IntegerType, false), field("scale", DataTypes.DoubleType, false)), false);
    static final StructType CANDIDATES = schema(
            field("run_id", DataTypes.StringType, false), field("generation", DataTypes.IntegerType, false),
            field("candidate", DataTypes.IntegerType, false),
            field("genome", DataTypes.createArrayType(DataTypes.DoubleType, false), false),
            field("recipe", DataTypes.StringType, false), field("depth", DataTypes.IntegerType, true), field("path", PATH, true),
            field("fitness", DataTypes.DoubleType, true),
            field("objectives", DOUBLES, false), field("metrics", DOUBLES, false),
            field("items", DataTypes.IntegerType, false), field("correct", DataTypes.IntegerType, false),
            field("tokens", DataTypes.LongType, false), field("build_seconds", DataTypes.DoubleType, false),
            field("eval_seconds", DataTypes.DoubleType, false), field("executor", DataTypes.StringType, true),
            field("error", DataTypes.StringType, true),
            // multi-objective runs only: the declared objectives in their own units, NSGA-II's rank and crowding distance
            field("pareto_objectives", DOUBLES, true), field("pareto_rank", DataTypes.IntegerType, true),
            field("crowding_distance", DataTypes.DoubleType, true));
    static final StructType FRONT = schema(
            field("run_id", DataTypes.StringType, false), field("generation", DataTypes.IntegerType, false),
            field("candidate", DataTypes.IntegerType, false), field("pareto_objectives", DOUBLES, false),
            field("fitness", DataTypes.DoubleType, false), field("chosen", DataTypes.BooleanType, false),
            field("recipe", DataTypes.StringType, false), field("recipe_file", DataTypes.StringType, false),
            field("genome", DataTypes.createArrayType(DataTypes.DoubleType, false), false));
    static final StructType SHARDS = schema(
            field("run_id", DataTypes.StringType, false), field("generation", DataTypes.IntegerType, false),
            field("candidate", DataTypes.IntegerType, false), field("shard", DataTypes.IntegerType, false),
            field("objectives", DOUBLES, false), field("metrics", DOUBLES, false),
            field("items", DataTypes.IntegerType, false), field("correct", DataTypes.IntegerType, false),
            field("tokens", DataTypes.LongType, false), field("build_seconds", DataTypes.DoubleType, false),
            field("eval_seconds", DataTypes.DoubleType, false), field("reused", DataTypes.BooleanType, false),
            field("executor", DataTypes.StringType, true), field("parent_loads", DataTypes.IntegerType, false),
            field("error", DataTypes.StringType, true));
    static final StructType TEST = schema(
            field("run_id", DataTypes.StringType, false), field("model", DataTypes.StringType, false),
            field("location", DataTypes.StringType, true), field("recipe", DataTypes.StringType, true),
            field("objectives", DOUBLES, false), field("metrics", DOUBLES, false),
            field("fitness", DataTypes.DoubleType, true), field("items", DataTypes.IntegerType, false),
            field("correct", DataTypes.IntegerType, false), field("tokens", DataTypes.LongType, false),
            field("error", DataTypes.StringType, true));

    private final SparkSession spark;
    private final RunConfig run;
    private final RunStore store;
    private final FileSystem fs;

    ParquetResults(SparkSession spark, RunConfig run, Storage storage) {
        this.spark = spark;
        this.run = run;
        this.store = new RunStore(storage, run.out());
        this.fs = store.fileSystem();
    }

    @Override
    public void writeGeneration(int generation, List<CandidateResult> candidates, List<Evolution.Pareto> pareto,
                                List<ShardResult> shards) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            CandidateResult c = candidates.get(i);
            Evolution.Pareto p = pareto == null ? null : pareto.get(i);
            LayerPath path = c.spec().recipe() instanceof LayerPathMerge m ? m.path() : null;
            rows.add(RowFactory.create(run.runId(), generation, c.candidate(), Arrays.stream(c.genome()).boxed().toList(),
                    c.spec().recipe().toYaml(), path == null ? null : path.depth(), path == null ? null : path.steps().stream()
                            .map(s -> RowFactory.create(s.model(), s.layer(), s.scale())).toList(), c.failed() ? null : c.fitness(), c.objectives().values(), c.metrics(), c.items(),
                    c.correct(), c.tokens(), c.buildSeconds(), c.evalSeconds(), c.executors(), c.error(),
                    p == null ? null : p.values(), p == null ? null : p.rank(), p == null ? null : p.crowding()));
        }
        write(rows, CANDIDATES, "candidates", RunStore.generationFile(generation, "parquet"));
        List<ShardResult> ordered = new ArrayList<>(shards);
        ordered.sort((a, b) -> a.task().candidate() != b.task().candidate() ? Integer.compare(a.task().candidate(), b.task().candidate())
                : Integer.compare(a.task().shard(), b.task().shard()));
        rows = new ArrayList<>();
        for (ShardResult s : ordered) {
            rows.add(RowFactory.create(run.runId(), generation, s.task().candidate(), s.task().shard(),
                    s.error() != null ? Map.of() : finite(Objectives.of(run.fitness(), s.perTask()).values()),
                    finite(CandidateResult.metrics(run.fitness(), s.perTask())),
                    s.perTask().stream().mapToInt(x -> x.items()).sum(),
                    s.perTask().stream().mapToInt(x -> x.correctInJapanese()).sum(),
                    s.perTask().stream().mapToLong(x -> x.tokens()).sum(), s.buildSeconds(), s.evalSeconds(), s.reused(),
                    s.executor(), s.parentLoads(), s.error()));
        }
        write(rows, SHARDS, "shards", RunStore.generationFile(generation, "parquet"));
    }

    @Override
    public void writeTest(List<CandidateResult> results) {
        List<Row> rows = new ArrayList<>();
        for (CandidateResult c : results) {
            String location = c.spec().recipe() instanceof AsIs asIs ? asIs.location() : null;
            String recipe = location == null ? c.spec().recipe().toYaml() : null;
            rows.add(RowFactory.create(run.runId(), c.spec().label(), location, recipe, c.objectives().values(), c.metrics(),
                    c.failed() ? null : c.fitness(), c.items(), c.correct(), c.tokens(), c.error()));
        }
        write(rows, TEST, "test", "results.parquet");
    }

    @Override
    public void writeFront(List<ParetoFront.Member> front, int chosen) {
        List<Row> rows = new ArrayList<>();
        for (int k = 0; k < front.size(); k++) {
            ParetoFront.Member m = front.get(k);
            rows.add(RowFactory.create(run.runId(), m.generation(), m.candidate(), ParetoFront.named(run.objectives(), m.values()),
                    m.fitness(), k == chosen, m.recipe(), ParetoFront.recipeFile(m), Arrays.stream(m.genome()).boxed().toList()));
        }
        write(rows, FRONT, "front", "front.parquet");
    }

    @Override
    public void dropAfter(int generation) {
        for (String table : List.of("candidates", "shards")) {
            Path dir = new Path(store.location(table));
            try {
                if (!fs.exists(dir)) {
                    continue;
                }
                for (FileStatus s : fs.listStatus(dir)) {
                    String n = s.getPath().getName();
                    if (RunStore.generationOf(n, "parquet").orElse(0) > generation || n.startsWith("_tmp-")) {
                        fs.delete(s.getPath(), true);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot clean " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    /** One Parquet file {@code table/name}, written whole or not at all. */
    private void write(List<Row> rows, StructType schema, String table, String name) {
        Path target = new Path(store.location(table + "/" + name));
        Path tmp = new Path(store.location(table + "/_tmp-" + name));
        spark.createDataFrame(rows, schema).coalesce(1).write().mode(SaveMode.Overwrite).parquet(tmp.toString());
        try {
            FileStatus[] parts = fs.globStatus(new Path(tmp, "part-*.parquet"));
            if (parts == null || parts.length != 1) {
                throw new IOException("expected one part file in " + tmp);
            }
            fs.delete(target, false);
            if (!fs.rename(parts[0].getPath(), target)) {
                throw new IOException("rename to " + target + " failed");
            }
            fs.delete(tmp, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** Parquet has no NaN-free guarantee readers like; a metric that is not a number is left out. */
    private static Map<String, Double> finite(Map<String, Double> m) {
        Map<String, Double> out = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (Double.isFinite(v)) {
                out.put(k, v);
            }
        });
        return out;
    }

    private static StructField field(String name, DataType type, boolean nullable) {
        return DataTypes.createStructField(name, type, nullable);
    }

    private static StructType schema(StructField... fields) {
        return DataTypes.createStructType(fields);
    }
}
