package dev.evomerge.jobs;

import ai.djl.Device;
import dev.evomerge.eval.EvalSet;
import dev.evomerge.eval.ShardScorer;
import dev.evomerge.eval.Summary;
import dev.evomerge.eval.TaskSpec;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Locations;
import dev.evomerge.model.ComposedCheckpoint;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.train.ComposeConfig;
import dev.evomerge.train.Composer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * Trains a composition (CALM) on one executor, then scores it on the config's {@code test} set
 * with every (task, shard) a task of its own, in parallel; the totals are printed and written as
 * Parquet to {@code OUT/evaluation} (task, metric, value, 95% interval, items).
 *
 * <pre>spark-submit --class dev.evomerge.jobs.ComposeJob evomerge-jobs.jar CONFIG.yaml [OUT]</pre>
 * CONFIG and OUT may be any Hadoop path (OUT should be one every node sees: s3a://, hdfs://).
 */
public final class ComposeJob {
    private ComposeJob() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: ComposeJob CONFIG.yaml [OUT]");
            System.exit(2);
        }
        try (SparkSession spark = SparkSessions.getOrCreate("evomerge compose")) {
            String config = Locations.absolute(args[0]);
            run(spark, args[0], config, HadoopSettings.driver(spark).readString(config),
                    args.length == 2 ? Locations.absolute(args[1]) : null, System.out);
        }
    }

    /** Validates the config on the driver, trains in one task, scores the shards in parallel; returns the totals per task. */
    public static List<Summary> run(SparkSession spark, String name, String origin, String text, String outOverride, PrintStream log) {
        ComposeConfig parsed = ComposeConfig.parse(name, origin, text); // a bad config fails here, before any task starts
        ComposeConfig config = outOverride == null ? parsed : parsed.withOut(outOverride);
        String out = config.out();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<SerializableConfiguration> hadoop = HadoopSettings.broadcast(sc);
        sc.setJobDescription("compose " + name + " -> " + out);
        String trained = sc.parallelize(List.of(text), 1).map(t -> {
            CheckpointCache cache = ExecutorCache.get(hadoop.value().value());
            ComposeConfig c = ComposeConfig.parse(name, origin, t).withOut(out);
            Composer.Result r = Composer.compose(c, cache.storage(), cache, new PrintStream(java.io.OutputStream.nullOutputStream()));
            return String.format(Locale.ROOT, "composed %s: %,d new parameters, %,d tokens in %.0f s, final loss %.4f", r.out(),
                    r.parameters(), r.tokens(), r.seconds(), r.log().get(r.log().size() - 1).loss());
        }).collect().get(0);
        log.println(trained);
        EvalSet set = config.test();
        if (set == null) {
            return List.of();
        }
        List<Tuple2<Integer, Integer>> shards = new ArrayList<>();
        for (int t = 0; t < set.tasks().size(); t++) {
            for (int s = 0; s < set.shards(); s++) {
                shards.add(new Tuple2<>(t, s));
            }
        }
        sc.setJobDescription("score the composition " + out + " on " + shards.size() + " shard(s)");
        List<Tuple2<Integer, Summary>> scored = sc.parallelize(shards, shards.size()).map(ts -> {
            CheckpointCache cache = ExecutorCache.get(hadoop.value().value());
            Path dir = cache.localize(out);
            try (ComposedCheckpoint.Loaded c = ComposedCheckpoint.open(dir, cache::localize, Device.cpu());
                 Tokenizer tokenizer = Tokenizer.load(dir, c.anchorFiles().config())) {
                return new Tuple2<>(ts._1(), ShardScorer.score(c.composition(), tokenizer, set, ts._1(), ts._2(), cache.storage()));
            }
        }).collect();
        List<Summary> totals = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (int t = 0; t < set.tasks().size(); t++) {
            Summary sum = new Summary(0, 0, 0, 0, 0);
            for (Tuple2<Integer, Summary> s : scored) {
                sum = s._1() == t ? sum.plus(s._2()) : sum;
            }
            totals.add(sum);
            TaskSpec spec = set.tasks().get(t);
            double[] ci = spec.interval(sum);
            double value = spec.metric(sum);
            log.printf(Locale.ROOT, "%s = %.4f%s (%d items)%n", spec.metric(), value,
                    spec.isLikelihood() ? "" : String.format(Locale.ROOT, "  95%% CI [%.4f, %.4f]", ci[0], ci[1]), sum.items());
            rows.add(RowFactory.create(spec.name(), spec.metric(), value, ci[0], ci[1], sum.items()));
        }
        StructType schema = DataTypes.createStructType(List.of(DataTypes.createStructField("task", DataTypes.StringType, false),
                DataTypes.createStructField("metric", DataTypes.StringType, false),
                DataTypes.createStructField("value", DataTypes.DoubleType, false),
                DataTypes.createStructField("low", DataTypes.DoubleType, false),
                DataTypes.createStructField("high", DataTypes.DoubleType, false),
                DataTypes.createStructField("items", DataTypes.IntegerType, false)));
        spark.createDataFrame(rows, schema).coalesce(1).write().mode("overwrite").parquet(out + "/evaluation");
        return totals;
    }
}
