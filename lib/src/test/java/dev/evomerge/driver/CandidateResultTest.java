package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.eval.EvalSet;
import dev.evomerge.eval.Summary;
import dev.evomerge.eval.TaskSpec;
import dev.evomerge.executor.CandidateSpec;
import dev.evomerge.executor.EvalTask;
import dev.evomerge.executor.ShardResult;
import java.util.List;
import org.junit.jupiter.api.Test;

class CandidateResultTest {
    private static final EvalSet SET = new EvalSet(List.of(
            new TaskSpec("en", "likelihood", "en.tsv", "all", null, null, 256),
            new TaskSpec("ja", "mgsm", "ja.tsv", "all", "ja", null, 256)), 2, 8);

    private static ShardResult shard(int s, Summary en, Summary ja, String error) {
        EvalTask t = new EvalTask(3, 1, s, CandidateSpec.asIs("c", "file:/m"), false);
        return new ShardResult(t, List.of(en, ja), 0.5, 2.0, s > 0, "exec-" + s, 3, error);
    }

    @Test
    void shardsAreSummedAndFitnessIsTheMeanOfAccuracyAndMinusLoss() {
        // by hand: en loss (6 + 4) / (3 + 2) = 2 nats/token; ja right and in Japanese 3 of 8 = 0.375
        CandidateResult r = CandidateResult.reduce(SET, List.of(
                shard(1, new Summary(2, 0, 0, 4.0, 2), new Summary(4, 2, 1, 0, 0), null),
                shard(0, new Summary(3, 0, 0, 6.0, 3), new Summary(4, 3, 2, 0, 0), null)), new double[] {0.1});
        assertEquals(2.0, r.metrics().get("en.loss"));
        assertEquals(0.375, r.metrics().get("ja.accuracy"));
        assertEquals((-2.0 + 0.375) / 2, r.fitness(), 1e-15);
        assertEquals(1.0, r.buildSeconds());
        assertEquals(4.0, r.evalSeconds());
        assertEquals("exec-0,exec-1", r.executors()); // shard order, not arrival order
        assertEquals(13, r.items());
    }

    @Test
    void aFailedShardMakesTheCandidateWorstWithItsError() {
        CandidateResult r = CandidateResult.reduce(SET, List.of(
                shard(0, new Summary(3, 0, 0, 6.0, 3), new Summary(4, 3, 2, 0, 0), null),
                shard(1, new Summary(0, 0, 0, 0, 0), new Summary(0, 0, 0, 0, 0), "tensor 'x' has NaN")), null);
        assertTrue(Double.isNaN(r.fitness()));
        assertEquals("tensor 'x' has NaN", r.error());
        assertTrue(r.metrics().isEmpty());
    }
}
