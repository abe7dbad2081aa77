package dev.evomerge.eval;

import java.io.Serializable;
import java.util.List;

/** The tasks of a fitness or test evaluation, each cut into {@code shards} for Spark tasks, scored in batches. */
public record EvalSet(List<TaskSpec> tasks, int shards, int batchSize) implements Serializable {
}
