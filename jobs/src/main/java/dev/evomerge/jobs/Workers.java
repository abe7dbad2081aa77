package dev.evomerge.jobs;

import dev.evomerge.executor.Worker;
import dev.evomerge.executor.WorkerSpec;
import dev.evomerge.io.CheckpointCache;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkEnv;

/**
 * The {@link Worker} of each run in this executor JVM, made on the run's first task and kept
 * for the whole run: that is what makes a parent load once per executor, not once per task or
 * generation. Two runs at most are kept (a driver that runs several, as the tests do).
 */
final class Workers {
    private static final int KEEP = 2;
    private static final LinkedHashMap<String, Worker> WORKERS = new LinkedHashMap<>(4, 0.75f, true);

    private Workers() {
    }

    /**
     * PyTorch's CPU thread pool sized to the task's cores (spark.task.cpus, default 1) before the
     * engine starts in this JVM, so a Spark slot is a core and a run scales with slots (local[1] ->
     * local[2]: 1.79x; with PyTorch's default of every core per task, one task already takes all
     * cores and the second slot adds 1.14x; BENCHMARKS.md). An explicit -Dai.djl.pytorch.num_threads wins.
     */
    private static void useTaskCores() {
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            String cpus = SparkEnv.get() == null ? "1" : SparkEnv.get().conf().get("spark.task.cpus", "1");
            System.setProperty("ai.djl.pytorch.num_threads", cpus);
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
    }

    /** The worker of the run {@code spec} describes, with the driver's Hadoop settings. */
    static synchronized Worker get(WorkerSpec spec, Configuration hadoop) {
        Worker w = WORKERS.get(spec.run());
        if (w == null) {
            useTaskCores();
            CheckpointCache cache = ExecutorCache.get(hadoop);
            w = new Worker(spec, cache.storage(), cache);
            WORKERS.put(spec.run(), w);
            for (Iterator<Map.Entry<String, Worker>> it = WORKERS.entrySet().iterator(); WORKERS.size() > KEEP; ) {
                it.next().getValue().close();
                it.remove();
            }
        }
        return w;
    }
}
