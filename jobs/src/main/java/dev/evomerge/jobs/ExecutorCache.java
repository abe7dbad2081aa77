package dev.evomerge.jobs;

import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;

/**
 * One checkpoint cache per executor JVM (and Hadoop configuration), so a checkpoint is fetched
 * once per node for all tasks. The configuration is the driver's, broadcast ({@link HadoopSettings}):
 * an executor's own default configuration lacks the job's {@code spark.hadoop.*} settings.
 */
final class ExecutorCache {
    private static final Map<Map<String, String>, CheckpointCache> CACHES = new HashMap<>();

    private ExecutorCache() {
    }

    static synchronized CheckpointCache get(Configuration conf) {
        Map<String, String> settings = new TreeMap<>();
        conf.forEach(e -> settings.put(e.getKey(), e.getValue()));
        return CACHES.computeIfAbsent(settings, k -> new CheckpointCache(new Storage(conf), CheckpointCache.defaultRoot()));
    }
}
