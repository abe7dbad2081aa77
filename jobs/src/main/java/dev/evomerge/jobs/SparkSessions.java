package dev.evomerge.jobs;

import org.apache.spark.sql.SparkSession;

/**
 * The session every job uses: whatever spark-submit configured, or the embedded default
 * (local Spark on all cores) when started outside spark-submit.
 */
public final class SparkSessions {
    private SparkSessions() {
    }

    public static SparkSession getOrCreate(String appName) {
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        if (System.getProperty("spark.master") == null) {
            builder.master("local[*]")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4");
        }
        return builder.getOrCreate();
    }
}
