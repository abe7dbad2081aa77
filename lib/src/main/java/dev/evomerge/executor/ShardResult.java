package dev.evomerge.executor;

import dev.evomerge.eval.Summary;
import java.io.Serializable;
import java.util.List;

/**
 * What one task reports: the totals of its shard for each task of the evaluation set (in the
 * set's order), the time spent building the candidate (0 when this executor had it already) and
 * evaluating, where it ran, how many parent loads its executor has done so far, and the error
 * that made the candidate unusable (null when none).
 */
public record ShardResult(EvalTask task, List<Summary> perTask, double buildSeconds, double evalSeconds, boolean reused,
                          String executor, int parentLoads, String error) implements Serializable {

    public ShardResult withExecutor(String id) {
        return new ShardResult(task, perTask, buildSeconds, evalSeconds, reused, id, parentLoads, error);
    }
}
