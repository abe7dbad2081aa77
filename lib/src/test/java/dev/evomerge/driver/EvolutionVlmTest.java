package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.Fixtures;
import dev.evomerge.TinyVlm;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.Summary;
import dev.evomerge.eval.TaskSpec;
import dev.evomerge.executor.Worker;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.SafetensorsFile;
import dev.evomerge.io.Storage;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.model.Djl;
import dev.evomerge.model.LlavaVision;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EvoVLM's search in small, without Spark: a VLM (stories260K-math's language model behind a tiny
 * CLIP tower, {@link TinyVlm}) and an LLM (stories260K-ja) merged by TIES over their shared base,
 * each candidate scored on a VQA set through the VLM's vision tower; best/ is a LLaVA again.
 */
class EvolutionVlmTest {
    @TempDir
    Path tmp;

    static {
        Djl.init();
    }

    @Test
    void aVlmAndAnLlmEvolveIntoALlavaScoredOnVqa() throws Exception {
        Evolution.Outcome outcome = evolve(vlm -> "merge: {method: ties, base_model: " + Fixtures.model("stories260K") + ", models: ["
                + vlm + ", " + Fixtures.model("stories260K-ja") + "]}\n");
        assertTrue(outcome.state().history().stream().allMatch(g -> g.failed() == 0), "every candidate answered through the tower");
        // An LLM alone has no eyes: it answers from the questions alone, and the report says so.
        assertTrue(outcome.test().stream().noneMatch(CandidateResult::failed), "every row answered, the base (an LLM) blind");
        assertTrue(outcome.report().contains("without a vision tower"), outcome.report());
    }

    /** Data-flow space: a path through the VLM's language model (model A) and the LLM's layers, in front of the VLM's tower. */
    @Test
    void aLayerPathThroughAVlmAndAnLlmIsALlavaScoredOnVqa() throws Exception {
        Evolution.Outcome outcome = evolve(vlm -> "merge: {method: dfs, pool: [" + vlm + ", " + Fixtures.model("stories260K-ja")
                + "], repeats: 1, scales: slot}\n");
        assertTrue(outcome.state().history().stream().allMatch(g -> g.failed() == 0));
        assertTrue(Files.exists(tmp.resolve("run/best/layer_path.yml")));
    }

    /**
     * Runs the search with the merge section {@code merge} gives for the VLM (stories260K-math's
     * language model behind the tiny tower), 2 generations of 4, on the English VQA set, and checks
     * what every VLM run must give: best/ a LLaVA with the VLM's vision tensors byte for byte, and
     * its test row the score of best/ evaluated directly, with its own tower and tokenizer.
     */
    private Evolution.Outcome evolve(java.util.function.Function<Path, String> merge) throws Exception {
        Path vlm = TinyVlm.write(tmp.resolve("vlm"), Fixtures.model("stories260K-math"), 5);
        Path data = TinyVlm.storiesVqaSet(tmp.resolve("set"));
        RunConfig run = RunConfig.parse("e.yaml", merge.apply(vlm) + "optimizer: {population: 4, generations: 2, seed: 3}\n"
                + "fitness:\n  tasks: [{task: vqa, data: " + data + ", template: plain, max_new_tokens: 16}]\n")
                .withOut(tmp.resolve("run").toString());
        CheckpointCache cache = new CheckpointCache(Storage.withDefaults(), tmp.resolve("c"));
        Evolution.Outcome outcome;
        try (Worker worker = new Worker(run.workerSpec(), Storage.withDefaults(), cache)) {
            outcome = new Evolution(run, Storage.withDefaults(), cache, InProcess.runner(worker, r -> r),
                    InProcess.sink(new ArrayList<>()), new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
                    Evolution.QUIET).run();
        }
        String metric = "stories-vqa.rougeL";
        CandidateResult evolved = outcome.test().get(outcome.test().size() - 1);
        assertFalse(evolved.failed(), evolved.error());
        assertTrue(evolved.metrics().get(metric) > 0, "stories260K's words overlap the references: scores to compare");

        Path best = tmp.resolve("run/best");
        assertEquals("llava", new ObjectMapper().readTree(best.resolve("config.json").toFile()).get("model_type").asText());
        try (SafetensorsFile written = SafetensorsFile.open(best.resolve("model.safetensors"));
             SafetensorsFile parent = SafetensorsFile.open(vlm.resolve("model.safetensors"))) {
            for (TensorInfo t : parent.tensors()) {
                if (!t.name().startsWith("language_model.")) {
                    assertArrayEquals(bytes(parent.bytes(t.name())), bytes(written.bytes(t.name())), t.name() + " byte for byte");
                }
            }
        }
        TaskSpec spec = run.test().tasks().get(0);
        List<EvalItem> items = Datasets.read(Storage.withDefaults(), data.toString());
        try (Checkpoint c = Checkpoint.open(best); LlavaVision vision = new LlavaVision(c);
             Transformer model = Transformer.load(c, Device.cpu()); Tokenizer tokenizer = Tokenizer.load(best, c.config())) {
            var results = new Evaluator(model, tokenizer, 16, vision).run(spec.toTask(), items);
            assertEquals(Summary.of(results).meanScore(), evolved.metrics().get(metric), 1e-12);
            // the relaxed exact match beside it: answers holding their reference, as the run counted them
            long right = results.stream().filter(r -> r.response().contains(r.reference().replaceAll("[。.]$", ""))).count();
            assertEquals(right, evolved.perTask().get(0).correct());
        }
        String report = Files.readString(tmp.resolve("run/report.md"));
        assertTrue(report.contains("| " + metric + " % [95% interval] | stories-vqa.reference in the answer % |"), report);
        return outcome;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
