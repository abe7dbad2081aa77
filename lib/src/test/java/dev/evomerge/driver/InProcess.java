package dev.evomerge.driver;

import dev.evomerge.executor.EvalTask;
import dev.evomerge.executor.ShardResult;
import dev.evomerge.executor.Worker;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** The driver's runner and sink without Spark, for tests: tasks scored in this thread, rows kept in a list. */
final class InProcess {
    private InProcess() {
    }

    /** Scores every task with {@code worker}; {@code change} may replace a result (to simulate a failure). */
    static Evolution.ShardRunner runner(Worker worker, UnaryOperator<ShardResult> change) {
        return new Evolution.ShardRunner() {
            @Override
            public List<ShardResult> run(String description, List<EvalTask> tasks) {
                List<ShardResult> out = new ArrayList<>();
                tasks.forEach(t -> out.add(change.apply(worker.run(t).withExecutor("local"))));
                return out;
            }

            @Override
            public int slots() {
                return 1;
            }
        };
    }

    /** Keeps the candidate rows of every generation in {@code written}. */
    static Evolution.ResultSink sink(List<CandidateResult> written) {
        return new Evolution.ResultSink() {
            @Override
            public void writeGeneration(int generation, List<CandidateResult> candidates, List<Evolution.Pareto> pareto,
                                        List<ShardResult> shards) {
                written.addAll(candidates);
            }

            @Override
            public void writeTest(List<CandidateResult> results) {
            }

            @Override
            public void dropAfter(int generation) {
            }
        };
    }
}
