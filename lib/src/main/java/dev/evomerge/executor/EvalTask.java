package dev.evomerge.executor;

import java.io.Serializable;

/**
 * One Spark task: score shard {@code shard} of every task of an evaluation set with one
 * candidate. {@code generation} 0 is the final test evaluation.
 */
public record EvalTask(int generation, int candidate, int shard, CandidateSpec spec, boolean test) implements Serializable {
}
