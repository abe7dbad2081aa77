package dev.evomerge.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.evomerge.Fixtures;
import dev.evomerge.driver.MergeGenome;
import dev.evomerge.driver.RunConfig;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.LikelihoodTask;
import dev.evomerge.eval.Shards;
import dev.evomerge.eval.Split;
import dev.evomerge.eval.Summary;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.Merger;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An executor's work: parents once, a candidate built in memory once per executor, scores as from disk. */
class WorkerTest {
    @TempDir
    Path tmp;

    @Test
    void aCandidateBuiltInMemoryScoresExactlyAsItsMergedCheckpointAndIsBuiltOnce() {
        RunConfig run = RunConfig.parse("w.yaml", """
                merge:
                  base_model: %s
                  models: [%s, %s]
                genome: {layer_granularity: 1}
                optimizer: {generations: 1}
                fitness:
                  shards: 2
                  batch_size: 3
                  tasks: [{task: likelihood, data: %s, split: 'range:0:6'}]
                """.formatted(Fixtures.model("stories260K"), Fixtures.model("stories260K-math"), Fixtures.model("stories260K-ja"),
                Fixtures.data("mgsm/mgsm_ja.tsv")));
        MergeGenome genome = new MergeGenome(run, 5);
        double[] x = new double[genome.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.3 + 0.05 * i;
        }
        MergeConfig recipe = genome.decode(x, 4);
        CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), tmp.resolve("cache"));
        try (Worker worker = new Worker(run.workerSpec(), Storage.withDefaults(), cache)) {
            CandidateSpec spec = new CandidateSpec("c0", recipe);
            ShardResult s0 = worker.run(new EvalTask(1, 0, 0, spec, false));
            ShardResult s1 = worker.run(new EvalTask(1, 0, 1, spec, false));
            ShardResult again = worker.run(new EvalTask(2, 0, 0, new CandidateSpec("c0 again", genome.decode(x, 5)), false));
            assertNull(s0.error());
            assertFalse(s0.reused());
            assertTrue(s1.reused(), "the second shard reuses the build");
            assertFalse(again.reused(), "another seed is another candidate");
            assertEquals(3, worker.parents().loads());
            worker.parents().loadsByLocation().values().forEach(n -> assertEquals(1, n));

            Summary inMemory = s0.perTask().get(0).plus(s1.perTask().get(0));
            Merger.merge(recipe, tmp.resolve("merged"), cache);
            List<EvalItem> items = Split.parse("range:0:6").select(Datasets.read(Storage.withDefaults(),
                    Fixtures.data("mgsm/mgsm_ja.tsv").toString()));
            try (Checkpoint c = Checkpoint.open(tmp.resolve("merged")); Transformer t = Transformer.load(c, Device.cpu());
                 Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
                Summary fromDisk = new Summary(0, 0, 0, 0, 0);
                for (List<EvalItem> shard : Shards.of(items, 2)) { // the same batches as the two tasks
                    fromDisk = fromDisk.plus(Summary.of(new Evaluator(t, tok, 3).run(new LikelihoodTask(), shard)));
                }
                assertEquals(fromDisk.tokens(), inMemory.tokens());
                assertEquals(fromDisk.loss(), inMemory.loss()); // bit for bit
            }
        }
    }

    /** candidate_build: device (as a GPU executor builds, here on the CPU): the same scores as the Java build, bit for bit. */
    @Test
    void aCandidateBuiltOnTheDeviceScoresAsTheJavaBuild() {
        double[] loss = new double[2];
        int k = 0;
        for (String build : java.util.List.of("java", "device")) {
            RunConfig run = RunConfig.parse("w.yaml", """
                    merge:
                      method: dare_ties
                      base_model: %s
                      models: [%s, %s]
                    optimizer: {generations: 1}
                    candidate_build: %s
                    fitness:
                      shards: 1
                      tasks: [{task: likelihood, data: %s, split: 'range:0:4'}]
                    """.formatted(Fixtures.model("stories260K"), Fixtures.model("stories260K-math"), Fixtures.model("stories260K-ja"),
                    build, Fixtures.data("mgsm/mgsm_ja.tsv")));
            assertEquals(build, run.workerSpec().executor().candidateBuild());
            MergeGenome genome = new MergeGenome(run, 5);
            double[] x = new double[genome.size()];
            java.util.Arrays.fill(x, 0.55);
            CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), tmp.resolve("cache-" + build));
            try (Worker worker = new Worker(run.workerSpec(), Storage.withDefaults(), cache)) {
                ShardResult r = worker.run(new EvalTask(1, 0, 0, new CandidateSpec("c0", genome.decode(x, 4)), false));
                assertNull(r.error());
                loss[k++] = r.perTask().get(0).loss();
            }
        }
        assertTrue(Double.isFinite(loss[0]));
        assertEquals(loss[0], loss[1]); // bit for bit
    }
}
