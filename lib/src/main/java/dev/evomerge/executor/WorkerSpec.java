package dev.evomerge.executor;

import dev.evomerge.eval.EvalSet;
import java.io.Serializable;

/**
 * What an executor needs to know of a run, and nothing more: which run it is (so the executor
 * keeps one worker per run: parents loaded once), the evaluation sets with every location
 * absolute, and how it runs candidates (device, cache, where they are built). The driver makes
 * it from the run config; executors never parse a config.
 */
public record WorkerSpec(String run, EvalSet fitness, EvalSet test, ExecutorSettings executor) implements Serializable {

    /** The fitness set, or the test set for the end-of-run evaluation. */
    public EvalSet set(boolean testSet) {
        return testSet ? test : fitness;
    }
}
