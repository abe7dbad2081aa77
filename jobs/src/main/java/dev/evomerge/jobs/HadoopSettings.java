package dev.evomerge.jobs;

import dev.evomerge.io.Storage;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * The Hadoop configuration evomerge's own file access uses: the one Spark has, that is
 * {@code core-site.xml} and friends plus every {@code spark.hadoop.*} setting (credentials,
 * endpoints, path-style access), on the driver and, broadcast, on the executors. A plain
 * {@code new Configuration()} sees none of the {@code spark.hadoop.*} settings.
 */
public final class HadoopSettings {
    private static final String PREFIX = "spark.hadoop.";

    private HadoopSettings() {
    }

    /**
     * Before a SparkSession exists (reading the run config, which says how to start one): the
     * defaults plus the {@code spark.hadoop.*} settings spark-submit passed to this JVM.
     */
    public static Storage beforeSession() {
        Configuration conf = new Configuration();
        for (Tuple2<String, String> kv : new SparkConf().getAll()) {
            if (kv._1().startsWith(PREFIX)) {
                conf.set(kv._1().substring(PREFIX.length()), kv._2());
            }
        }
        return new Storage(conf);
    }

    /** The driver's storage: the session's Hadoop configuration. */
    public static Storage driver(SparkSession spark) {
        return new Storage(spark.sparkContext().hadoopConfiguration());
    }

    /** The session's Hadoop configuration for the executors, sent once per job runner. */
    public static Broadcast<SerializableConfiguration> broadcast(JavaSparkContext sc) {
        return sc.broadcast(new SerializableConfiguration(sc.hadoopConfiguration()));
    }
}
