package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.eval.TaskSpec;

import ai.djl.Device;
import dev.evomerge.Fixtures;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.Split;
import dev.evomerge.eval.Summary;
import dev.evomerge.executor.ShardResult;
import dev.evomerge.executor.Worker;
import dev.evomerge.io.AtomicDirectory;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.AsIs;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import dev.evomerge.model.WeightSource;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The driver loop without Spark: the real worker in this thread, results kept in memory. */
class EvolutionTest {
    @TempDir
    Path tmp;

    /** A short run of the bundled models writing into {@code run/}; {@code extra} adds top-level keys. */
    private RunConfig config(String dtype, String extra) {
        return RunConfig.parse("e.yaml", """
                merge:
                  method: task_arithmetic
                  base_model: %s
                  models: [%s, %s]
                  dtype: %s
                optimizer: {population: 4, generations: 2, seed: 3}
                fitness:
                  tasks: [{task: likelihood, data: %s, split: 'range:0:3'}]
                %s
                """.formatted(Fixtures.model("stories260K"), Fixtures.model("stories260K-math"), Fixtures.model("stories260K-ja"),
                dtype, Fixtures.data("mgsm/mgsm_en.tsv"), extra)).withOut(tmp.resolve("run").toString());
    }

    private Evolution.Outcome run(RunConfig run, Evolution.Listener listener, PrintStream log) {
        CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), tmp.resolve("c"));
        try (Worker worker = new Worker(run.workerSpec(), Storage.withDefaults(), cache)) {
            return new Evolution(run, Storage.withDefaults(), cache, InProcess.runner(worker, r -> r), InProcess.sink(new ArrayList<>()),
                    log, listener).run();
        }
    }

    private static final PrintStream QUIET_LOG = new PrintStream(java.io.OutputStream.nullOutputStream());

    /** Scores best/ directly, with no evomerge driver or worker in between: the independent value. */
    private double lossOf(Path checkpoint, RunConfig run) {
        TaskSpec spec = run.test().tasks().get(0);
        try (Checkpoint c = Checkpoint.open(checkpoint); Transformer model = Transformer.load(WeightSource.of(c), Device.cpu());
             Tokenizer tokenizer = Tokenizer.load(checkpoint, c.config())) {
            List<EvalItem> items = Split.parse(spec.split()).select(Datasets.read(Storage.withDefaults(), spec.data()));
            return Summary.of(new Evaluator(model, tokenizer, 16).run(spec.toTask(), items)).meanLoss();
        }
    }

    @Test
    void theEvolvedTestRowIsBestAsWrittenAndTheSearchedModelToo_whenTheirDtypesDiffer() throws Exception {
        RunConfig f32 = config("float32", "");
        Evolution.Outcome same = run(f32, Evolution.QUIET, QUIET_LOG);
        CandidateResult evolved = same.test().get(same.test().size() - 1);
        assertEquals(5, same.test().size(), "float32 on a CPU: the model searched and best/ are the same, one row");
        assertEquals(Storage.localPath(f32.out()).resolve("best").toString(), Storage.localPath(((AsIs) evolved.spec().recipe()).location()).toString());
        assertEquals(lossOf(tmp.resolve("run/best"), f32), evolved.metrics().get("mgsm_en.loss"));

        AtomicDirectory.deleteRecursively(tmp.resolve("run"));
        RunConfig bf16 = config("bfloat16", "");
        Evolution.Outcome two = run(bf16, Evolution.QUIET, QUIET_LOG);
        assertEquals(6, two.test().size());
        CandidateResult inMemory = two.test().get(4);
        CandidateResult written = two.test().get(5);
        assertTrue(inMemory.spec().label().endsWith(" in memory, as searched"), inMemory.spec().label());
        assertTrue(written.spec().label().endsWith(" best/ bfloat16"), written.spec().label());
        assertEquals(lossOf(tmp.resolve("run/best"), bf16), written.metrics().get("mgsm_en.loss"));
        assertNotEquals(inMemory.metrics().get("mgsm_en.loss"), written.metrics().get("mgsm_en.loss"), "bfloat16 rounds the weights");
        assertTrue(Files.readString(tmp.resolve("run/report.md")).contains("best/ bfloat16 |"));
    }

    @Test
    void aRerunReplacesAPartialBestInsteadOfKeepingIt() throws Exception {
        RunConfig run = config("float32", "");
        run(run, Evolution.QUIET, QUIET_LOG);
        byte[] whole = Files.readAllBytes(tmp.resolve("run/best/model.safetensors"));
        // the end of the run was interrupted while best/ was written (as a publish to S3 can be): no report,
        // best/ without its completion marker and with a truncated weight file
        Files.delete(tmp.resolve("run/report.md"));
        Files.delete(tmp.resolve("run/best/_SUCCESS"));
        Files.write(tmp.resolve("run/best/model.safetensors"), java.util.Arrays.copyOf(whole, 1000));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        run(run, Evolution.QUIET, new PrintStream(log, true, StandardCharsets.UTF_8));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("merged 2 model(s) with task_arithmetic into "), "best/ merged again");
        assertArrayEquals(whole, Files.readAllBytes(tmp.resolve("run/best/model.safetensors")));
        assertTrue(Files.exists(tmp.resolve("run/best/_SUCCESS")));
    }

    @Test
    void aSecondDriverOnTheSameRunGivesUpWhileTheFirstLives() throws Exception {
        RunConfig run = config("float32", "lease_seconds: 5");
        CountDownLatch firstInside = new CountDownLatch(1);
        CountDownLatch secondDone = new CountDownLatch(1);
        Evolution.Listener pausing = new Evolution.Listener() {
            @Override
            public void afterCheckpoint(int generation) {
                firstInside.countDown();
                try {
                    secondDone.await(); // the first driver is alive and holds the run until the second has tried
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Evolution.Outcome> first = pool.submit(() -> run(run, pausing, QUIET_LOG));
            assertTrue(firstInside.await(60, TimeUnit.SECONDS));
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            RunLease.HeldException e = assertThrows(RunLease.HeldException.class,
                    () -> run(run, Evolution.QUIET, new PrintStream(log, true, StandardCharsets.UTF_8)));
            assertTrue(e.getMessage().contains("is held by a live driver"), e.getMessage());
            secondDone.countDown();
            assertEquals(2, first.get(60, TimeUnit.SECONDS).state().generation(), "the first driver finished undisturbed");
        } finally {
            secondDone.countDown();
            pool.shutdownNow();
        }
        assertTrue(run(run, Evolution.QUIET, QUIET_LOG).report().contains("evolved"), "then the run is free again");
    }

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
        try (Worker worker = new Worker(run.workerSpec(), Storage.withDefaults(), new CheckpointCache(Storage.withDefaults(), tmp.resolve("c")))) {
            // candidate 1 of every generation "cannot be evaluated"
            Evolution.ShardRunner runner = InProcess.runner(worker, r -> !r.task().test() && r.task().candidate() == 1
                    ? new ShardResult(r.task(), r.perTask(), 0, 0, false, "local", 3, "simulated failure") : r);
            Evolution.ResultSink sink = InProcess.sink(written);
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            Evolution.Outcome outcome = new Evolution(run, Storage.withDefaults(), new CheckpointCache(Storage.withDefaults(),
                    tmp.resolve("c")), runner, sink, new PrintStream(log, true, StandardCharsets.UTF_8), Evolution.QUIET).run();
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
