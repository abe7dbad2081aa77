package dev.evomerge.jobs;

import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Locations;
import dev.evomerge.merge.Recipe;
import dev.evomerge.merge.MergeRun;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Runs a merge on an executor (a GPU node of the cluster, next to the checkpoints' cache) instead
 * of the submitting machine: the driver reads and validates the recipe, one task merges.
 *
 * <pre>spark-submit --class dev.evomerge.jobs.MergeJob evomerge-jobs.jar CONFIG.yaml OUT</pre>
 * CONFIG and OUT may be any Hadoop path (OUT should be one every node sees: s3a://, hdfs://).
 */
public final class MergeJob {
    private MergeJob() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: MergeJob CONFIG.yaml OUT");
            System.exit(2);
        }
        try (SparkSession spark = SparkSessions.getOrCreate("evomerge merge")) {
            String config = Locations.absolute(args[0]);
            System.out.println(run(spark, args[0], HadoopSettings.driver(spark).readString(config), Locations.absolute(args[1])));
        }
    }

    /** Validates the recipe on the driver, merges in one task, returns the task's summary line. */
    public static String run(SparkSession spark, String configName, String configText, String out) {
        Recipe.parse(configName, configText); // a bad recipe fails here, before any task starts
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        sc.setJobDescription("merge " + configName + " -> " + out);
        Broadcast<SerializableConfiguration> hadoop = HadoopSettings.broadcast(sc);
        return sc.parallelize(List.of(configText), 1)
                .map(text -> {
                    CheckpointCache cache = ExecutorCache.get(hadoop.value().value());
                    return MergeRun.run(Recipe.parse(configName, text), out, cache.storage(), cache);
                })
                .collect().get(0);
    }
}
