package dev.evomerge.jobs;

import dev.evomerge.driver.Evolution;
import dev.evomerge.driver.RunConfig;
import dev.evomerge.executor.EvalTask;
import dev.evomerge.executor.ShardResult;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;

/**
 * One Spark job per call, one task per (candidate, shard): the task carries a recipe, never
 * weights; the run config (parsed on the driver, every location absolute) and the driver's Hadoop
 * settings reach each executor once, as broadcasts, and the executor's {@link Workers} entry does
 * the rest. Tasks are listed candidate by candidate, so the shards of one candidate start side by
 * side and share one build on an executor.
 */
final class SparkShardRunner implements Evolution.ShardRunner {
    /** Test hook: "generation:candidate:shard" fails that task's first attempt (Spark then retries it). */
    static final String FAIL_FIRST_ATTEMPT = "evomerge.test.failFirstAttempt";

    private final JavaSparkContext sc;
    private final Broadcast<RunConfig> run;
    private final Broadcast<SerializableConfiguration> hadoop;

    SparkShardRunner(JavaSparkContext sc, RunConfig run) {
        this.sc = sc;
        this.run = sc.broadcast(run);
        this.hadoop = HadoopSettings.broadcast(sc);
    }

    @Override
    public List<ShardResult> run(String description, List<EvalTask> tasks) {
        sc.setJobDescription(description);
        Broadcast<RunConfig> run = this.run;
        Broadcast<SerializableConfiguration> hadoop = this.hadoop;
        String fail = System.getProperty(FAIL_FIRST_ATTEMPT);
        return sc.parallelize(tasks, tasks.size())
                .map(t -> {
                    failFirstAttempt(fail, t);
                    return Workers.get(run.value(), hadoop.value().value()).run(t).withExecutor(SparkEnv.get().executorId());
                })
                .collect();
    }

    private static void failFirstAttempt(String spec, EvalTask t) {
        if (spec != null && TaskContext.get().attemptNumber() == 0
                && spec.equals(t.generation() + ":" + t.candidate() + ":" + t.shard())) {
            throw new IllegalStateException("injected fault in task " + spec + " (" + FAIL_FIRST_ATTEMPT + ")");
        }
    }

    @Override
    public int slots() {
        return sc.defaultParallelism();
    }
}
