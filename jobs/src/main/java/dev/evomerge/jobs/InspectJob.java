package dev.evomerge.jobs;

import dev.evomerge.io.CheckpointSummary;
import dev.evomerge.io.Locations;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Validates checkpoints where the work will run: each executor localizes one checkpoint from
 * storage (s3a://, hdfs://, ...) through its cache, checks every header and reports back.
 * Run it before an evolve run to find an unreadable parent in minutes, not hours.
 *
 * <pre>spark-submit --class dev.evomerge.jobs.InspectJob evomerge-jobs.jar PATH...</pre>
 */
public final class InspectJob {
    private InspectJob() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: InspectJob PATH [PATH...]");
            System.exit(2);
        }
        try (SparkSession spark = SparkSessions.getOrCreate("evomerge inspect")) {
            run(spark, Arrays.asList(args)).forEach(System.out::println);
        }
    }

    /** One task per checkpoint; the summaries come back in the order given. */
    public static List<CheckpointSummary> run(SparkSession spark, List<String> locations) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        sc.setJobDescription("inspect " + locations.size() + " checkpoint(s)");
        Broadcast<SerializableConfiguration> hadoop = HadoopSettings.broadcast(sc);
        return sc.parallelize(locations.stream().map(Locations::absolute).toList(), locations.size())
                .map(location -> CheckpointSummary.of(location, ExecutorCache.get(hadoop.value().value())))
                .collect();
    }
}
