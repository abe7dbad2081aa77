package dev.evomerge.jobs;

import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The session every job uses: whatever spark-submit configured, or the embedded default
 * (local Spark) when started outside spark-submit.
 */
public final class SparkSessions {
    private SparkSessions() {
    }

    public static SparkSession getOrCreate(String appName) {
        return getOrCreate(appName, "local[*]", Map.of());
    }

    /** The master a job will run on: spark-submit's when under it, else the run config's {@code fallback}. */
    public static String masterOf(String fallback) {
        return System.getProperty("spark.master", fallback);
    }

    /**
     * Under spark-submit ({@code spark.master} is set) its settings win; otherwise {@code master}
     * and {@code conf} (a run config's {@code spark:} section) start a local session without a UI.
     */
    public static SparkSession getOrCreate(String appName, String master, Map<String, String> conf) {
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        if (System.getProperty("spark.master") == null) {
            builder.master(master)
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4");
            conf.forEach(builder::config);
        }
        return builder.getOrCreate();
    }
}
