package dev.evomerge.evolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.Fixtures;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The driver loop without Spark: the real worker in this thread, results kept in memory. */
class EvolutionTest {
    @TempDir
    Path tmp;

    @Test
    void aCandidateThatFailsIsRankedWorstAndTheRunGoesOnToItsReport() throws Exception {
        RunConfig run = RunConfig.parse("e.yaml", """
                merge:
                  method: task_arithmetic
                  base_model: %s
                  models: [%s, %s]
                optimizer: {population: 4, generations: 3, seed: 3}
                fitness:
                  tasks: [{task: likelihood, data: %s, split: 'range:0:3'}]
                """.formatted(Fixtures.model("stories260K"), Fixtures.model("stories260K-math"), Fixtures.model("stories260K-ja"),
                Fixtures.data("mgsm/mgsm_en.tsv"))).withOut(tmp.resolve("run").toString());
        List<CandidateResult> written = new ArrayList<>();
        try (Worker worker = new Worker(run, Storage.withDefaults(), new CheckpointCache(Storage.withDefaults(), tmp.resolve("c")))) {
            // candidate 1 of every generation "cannot be evaluated"
            Evolution.ShardRunner runner = InProcess.runner(worker, r -> !r.task().test() && r.task().candidate() == 1
                    ? new ShardResult(r.task(), r.perTask(), 0, 0, false, "local", 3, "simulated failure") : r);
            Evolution.ResultSink sink = InProcess.sink(written);
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            Evolution.Outcome outcome = new Evolution(run, Storage.withDefaults(), new CheckpointCache(Storage.withDefaults(),
                    tmp.resolve("c")), runner, sink, new PrintStream(log, true, StandardCharsets.UTF_8), InProcess.QUIET).run();
            assertEquals(12, written.size());
            for (CandidateResult r : written) {
                assertEquals(r.candidate() == 1, r.failed());
                assertEquals(r.candidate() == 1, Double.isNaN(r.fitness()));
            }
            outcome.state().history().forEach(s -> assertEquals(1, s.failed()));
            assertNotEquals(1, outcome.state().best().candidate());
            double bestSeen = written.stream().filter(r -> !r.failed()).mapToDouble(CandidateResult::fitness).max().orElseThrow();
            assertEquals(bestSeen, outcome.state().best().fitness());
            assertTrue(log.toString(StandardCharsets.UTF_8).contains("failed 1"), log.toString(StandardCharsets.UTF_8));
            assertEquals(5, outcome.test().size()); // base, 2 parents, linear, evolved
            assertTrue(Files.readString(tmp.resolve("run/report.md")).contains("| evolved (generation "));
        }
    }
}
