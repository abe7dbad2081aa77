package dev.evomerge.jobs;

import dev.evomerge.driver.Evolution;
import dev.evomerge.executor.EvalTask;
import dev.evomerge.executor.ShardResult;
import dev.evomerge.executor.WorkerSpec;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;

/**
 * One Spark job per call, one task per (candidate, shard): the task carries a typed recipe and
 * its shard, never weights; what every task of the run shares (the {@link WorkerSpec}: evaluation
 * sets, device, cache size) and the driver's Hadoop settings reach each executor once, as
 * broadcasts, and the executor's {@link Workers} entry does the rest. Tasks are listed candidate
 * by candidate, so the shards of one candidate start side by side and share one build on an executor.
 */
final class SparkShardRunner implements Evolution.ShardRunner {

    /** Runs inside each task before it scores (tests install one that fails a first attempt); serializable, it travels with the task. */
    interface TaskHook extends Serializable {
        void beforeTask(EvalTask task);
    }

    static final TaskHook NONE = task -> {
    };

    private final JavaSparkContext sc;
    private final Broadcast<WorkerSpec> worker;
    private final Broadcast<SerializableConfiguration> hadoop;
    private final TaskHook hook;

    SparkShardRunner(JavaSparkContext sc, WorkerSpec worker, TaskHook hook) {
        this.sc = sc;
        this.worker = sc.broadcast(worker);
        this.hadoop = HadoopSettings.broadcast(sc);
        this.hook = hook;
    }

    @Override
    public List<ShardResult> run(String description, List<EvalTask> tasks) {
        sc.setJobDescription(description);
        Broadcast<WorkerSpec> worker = this.worker;
        Broadcast<SerializableConfiguration> hadoop = this.hadoop;
        TaskHook hook = this.hook;
        return sc.parallelize(tasks, tasks.size())
                .map(t -> {
                    hook.beforeTask(t);
                    return Workers.get(worker.value(), hadoop.value().value()).run(t).withExecutor(SparkEnv.get().executorId());
                })
                .collect();
    }

    @Override
    public int slots() {
        return sc.defaultParallelism();
    }
}
