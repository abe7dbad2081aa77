package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.Fixtures;
import dev.evomerge.executor.Worker;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.LocalS3Server;
import dev.evomerge.io.Storage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run whose parents and outputs live on S3 (a real S3-protocol server on 127.0.0.1): the dry run
 * reads headers remotely without downloading a weight, the run localizes each parent once, and
 * the checkpoints, best model and report land on S3, where a rerun finds the run complete.
 */
class EvolutionOnS3Test {
    private static LocalS3Server s3;
    private static Storage storage;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = LocalS3Server.start();
        s3.createBucket("team");
        storage = new Storage(s3.hadoopConf());
        for (String m : List.of("stories260K", "stories260K-math", "stories260K-ja")) {
            storage.upload(Fixtures.model(m), "s3a://team/models/" + m);
        }
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void aRunReadsItsParentsFromS3AndWritesItsOutputsThere() throws Exception {
        RunConfig run = RunConfig.parse("s3.yaml", """
                out: s3a://team/runs/s3
                merge:
                  method: task_arithmetic
                  base_model: s3a://team/models/stories260K
                  models: [s3a://team/models/stories260K-math, s3a://team/models/stories260K-ja]
                optimizer: {population: 4, generations: 2, seed: 5}
                fitness:
                  tasks: [{task: likelihood, data: %s, split: 'range:0:2'}]
                """.formatted(Fixtures.data("mgsm/mgsm_en.tsv")));
        CheckpointCache cache = new CheckpointCache(storage, tmp.resolve("cache"));
        String plan = DryRun.plan(run, storage);
        assertTrue(plan.contains("s3a://team/models/stories260K-math: llama, 5 layers"), plan);
        assertEquals(0, cache.downloads());

        try (Worker worker = new Worker(run.workerSpec(), storage, cache)) {
            Evolution.ShardRunner inThisThread = InProcess.runner(worker, r -> r);
            Evolution.ResultSink nowhere = InProcess.sink(new ArrayList<>());
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            Evolution.Outcome first = new Evolution(run, storage, cache, inThisThread, nowhere,
                    new PrintStream(log, true, StandardCharsets.UTF_8), Evolution.QUIET).run();
            // each parent localized once, and best/ once more: the test row of the evolved merge is best/ as written
            assertEquals(4, cache.downloads(), "each parent localized once, then best/");
            RunStore store = new RunStore(storage, run.out());
            assertEquals(2, store.latest().orElseThrow().generation());
            assertTrue(store.exists("best/model.safetensors") && store.exists("best/mergekit_config.yml"));
            assertEquals(first.report(), store.readString("report.md"));
            assertTrue(store.exists("fitness.png"));
            Evolution.Outcome again = new Evolution(run, storage, cache, inThisThread, nowhere,
                    new PrintStream(log, true, StandardCharsets.UTF_8), Evolution.QUIET).run();
            assertTrue(again.test().isEmpty(), "a finished run only reports");
            assertTrue(log.toString(StandardCharsets.UTF_8).contains("is complete: s3a://team/runs/s3/report.md"));
            assertEquals(first.state().best().recipe(), store.readString("best/mergekit_config.yml"));
            assertTrue(Files.exists(tmp.resolve("cache")));
        }
    }
}
