package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.Fixtures;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.MgsmTask;
import dev.evomerge.eval.Split;
import dev.evomerge.eval.TaskSpec;
import dev.evomerge.io.CheckpointHeaders;
import dev.evomerge.io.DType;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.io.Storage;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.merge.MergeMethods;
import dev.evomerge.model.DeviceMerge;
import dev.evomerge.model.Tokenizer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The dry run's time estimate and device memory plan, against the same arithmetic worked out here from the inputs. */
class TimeEstimateTest {
    /** Fixed figures, so the expected values are plain arithmetic: 10 ns a parameter, 1 GFLOP/s, 10 GB/s, 1 GB/s, 1e9 bits/s. */
    static final Throughput FIGURES = new Throughput("test", 1e-8, 1e9, 1e10, 1e9, 1e9);

    private static RunConfig run(String method, String task, String extra) {
        return run(method, task, extra, 3, 4);
    }

    private static RunConfig run(String method, String task, String extra, int shards, int batch) {
        return RunConfig.parse("t.yaml", """
                merge:
                  method: %s
                  base_model: %s
                  models: [%s, %s]
                optimizer: {generations: 3, population: 6}
                fitness:
                  shards: %d
                  batch_size: %d
                  tasks: [{task: %s, data: %s, split: 'range:0:10'}]
                %s
                """.formatted(method, Fixtures.model("stories260K"), Fixtures.model("stories260K-math"), Fixtures.model("stories260K-ja"),
                shards, batch, task.equals("mgsm") ? "mgsm, lang: ja, max_new_tokens: 16" : task, Fixtures.data("mgsm/mgsm_ja.tsv"),
                extra));
    }

    private static TimeEstimate.Costs costs(RunConfig run, Throughput t, boolean gpu, int executors) {
        Map<TaskSpec, List<EvalItem>> items = items(run);
        return TimeEstimate.costs(run, reference(), TimeEstimate.tokens(run.fitness(), items, reference()),
                TimeEstimate.tokens(run.test(), items, reference()), t, gpu, executors);
    }

    /** Each item's tokens, counted here with the base's tokenizer. */
    private static int[] lengths(RunConfig run, java.util.function.Function<EvalItem, String> text) {
        try (Tokenizer tok = Tokenizer.load(Fixtures.model("stories260K"), reference().config())) {
            return items(run).values().iterator().next().stream().mapToInt(i -> tok.encode(text.apply(i)).length).toArray();
        }
    }

    private static Map<TaskSpec, List<EvalItem>> items(RunConfig run) {
        Map<TaskSpec, List<EvalItem>> items = new HashMap<>();
        for (TaskSpec t : run.fitness().tasks()) {
            items.put(t, Split.parse(t.split()).select(Datasets.read(Storage.withDefaults(), t.data())));
        }
        return items;
    }

    private static CheckpointHeaders reference() {
        return CheckpointHeaders.read(Storage.withDefaults(), Fixtures.model("stories260K").toString());
    }

    @Test
    void likelihoodScoringCostsTwoFlopsPerParameterPerPaddedTokenAndAJavaBuildItsMeasuredCost() {
        long p = 260_032;
        int[] lengths = lengths(run("task_arithmetic", "likelihood", ""), dev.evomerge.eval.LikelihoodTask::text);
        long tokens = java.util.Arrays.stream(lengths).sum();
        int longest = java.util.Arrays.stream(lengths).max().orElseThrow();
        assertTrue(tokens > 10 * 20 && longest * 10L > tokens, "ten MGSM items of a few dozen tokens: " + tokens);
        // one item a batch: no padding, every token computed once
        TimeEstimate.Costs c = costs(run("task_arithmetic", "likelihood", "", 1, 1), FIGURES, false, 1);
        assertEquals(p * 1e-8, c.build(), 1e-12);
        assertEquals(2.0 * p * tokens / 1e9, c.fitness(), 1e-9);
        // all ten in one batch: each padded to the longest
        TimeEstimate.Costs padded = costs(run("task_arithmetic", "likelihood", "", 1, 10), FIGURES, false, 1);
        assertEquals(2.0 * p * longest * 10 / 1e9, padded.fitness(), 1e-9);
        // a generation: 6 candidates, each built once on the one executor and scored on all its items
        assertEquals(6 * (c.build() + c.fitness()), c.generation(6, 3), 1e-9);
        TimeEstimate.Costs four = new TimeEstimate.Costs(c.build(), c.buildHow(), c.fitness(), c.test(), 4);
        // four executors: each candidate's 3 shards land on 3 of them, each building it once; the work spreads over 4
        assertEquals(6 * (3 * c.build() + c.fitness()) / 4, four.generation(6, 3), 1e-9);
    }

    @Test
    void generationCostsItsPromptsAndEachDecodeStepTheLargerOfItsFlopsAndAReadOfTheWeights() {
        RunConfig run = run("task_arithmetic", "mgsm", "", 1, 5);
        MgsmTask task = (MgsmTask) run.fitness().tasks().get(0).toTask();
        int[] lengths = lengths(run, task::prompt);
        long p = 260_032;
        // two batches of five prompts in order, each padded to its longest
        long prompt = 5L * java.util.Arrays.stream(lengths, 0, 5).max().orElseThrow()
                + 5L * java.util.Arrays.stream(lengths, 5, 10).max().orElseThrow();
        for (boolean gpu : new boolean[] {false, true}) {
            TimeEstimate.Costs c = costs(run, FIGURES, gpu, 1);
            double step = Math.max(2.0 * p * 5 / 1e9, p * (gpu ? 2 : 4) / 1e10); // batch 5: FLOPs 2.6 ms, weights 0.05-0.1 ms
            assertEquals(2.0 * p * prompt / 1e9 + 2 /* batches */ * 16 * step, c.fitness(), 1e-9);
        }
    }

    @Test
    void aDeviceBuildCostsItsMemoryTrafficAndDaresKeepBitsFromTheHost() {
        TimeEstimate.Costs c = costs(run("dare_ties", "likelihood", "candidate_build: device"), FIGURES, true, 1);
        long p = 260_032;
        double traffic = DeviceMerge.trafficPerParameter(MergeMethods.byName("dare_ties"), 2);
        // per model: widen 6 + subtract 12 + bits 21 + multiply 12 + the rescale's two L1 sums 2 x (8 + 12 + 8);
        // the TIES mix of 2: 94 x 2 + 84; the base widened: 6
        assertEquals(6 + 2 * (6 + 12 + 21 + 12 + 56) + 94 * 2 + 84, traffic, 1e-9);
        assertEquals(p * traffic / 1e10 + p * 2 / 1e9 + p * 2 / 8.0 / 1e9, c.build(), 1e-12);
        // auto on a CPU builds in Java
        TimeEstimate.Costs java = costs(run("dare_ties", "likelihood", ""), FIGURES, false, 1);
        assertEquals(p * 1e-8, java.build(), 1e-12);
    }

    /** Mistral-7B's tensors (7,241,732,096 parameters) in bfloat16, headers only. */
    private static CheckpointHeaders mistral(String location) {
        Map<String, TensorInfo> t = new LinkedHashMap<>();
        long[] at = {0};
        java.util.function.BiConsumer<String, long[]> add = (name, shape) -> {
            long bytes = TensorInfo.numel(shape) * 2;
            t.put(name, new TensorInfo(name, DType.BF16, shape, at[0], at[0] + bytes));
            at[0] += bytes;
        };
        add.accept("model.embed_tokens.weight", new long[] {32000, 4096});
        for (int i = 0; i < 32; i++) {
            String l = "model.layers." + i + ".";
            add.accept(l + "self_attn.q_proj.weight", new long[] {4096, 4096});
            add.accept(l + "self_attn.k_proj.weight", new long[] {1024, 4096});
            add.accept(l + "self_attn.v_proj.weight", new long[] {1024, 4096});
            add.accept(l + "self_attn.o_proj.weight", new long[] {4096, 4096});
            add.accept(l + "mlp.gate_proj.weight", new long[] {14336, 4096});
            add.accept(l + "mlp.up_proj.weight", new long[] {14336, 4096});
            add.accept(l + "mlp.down_proj.weight", new long[] {4096, 14336});
            add.accept(l + "input_layernorm.weight", new long[] {4096});
            add.accept(l + "post_attention_layernorm.weight", new long[] {4096});
        }
        add.accept("model.norm.weight", new long[] {4096});
        add.accept("lm_head.weight", new long[] {32000, 4096});
        ModelConfig config = reference().config();
        return new CheckpointHeaders(location, config, t, at[0]);
    }

    /**
     * The question: three 7B parents and the base resident in float16, with the cached
     * candidates, on an 80 GB and a 141 GB card. Worked by hand: parents 4 x 14.48 GB = 57.93 GB;
     * two float16 candidates 28.97 GB; step scratch 131.1M x 4 bytes x (4 inputs + 3) = 3.67 GB.
     * 80 GB less a tenth leaves 72 GB: 39.36 GB for parents, 18.57 GB spill. 141 GB less a tenth
     * leaves 126.9 GB: 94.26 GB for parents, 36.33 GB (33.84 GiB) to spare.
     */
    @Test
    void threeSevenBParentsAndTheBaseSpillOnAnEightyGigabyteCardAndFitOnAHundredFortyOne() {
        List<CheckpointHeaders> parents = List.of(mistral("base"), mistral("a"), mistral("b"), mistral("c"));
        long params = parents.get(0).parameters();
        assertEquals(7_241_732_096L, params);
        String plan = DryRun.devicePlan(run("dare_ties", "likelihood", ""), parents, params, 32000L * 4096, true);
        Matcher spill = Pattern.compile("card of 80 GB: ([0-9.]+) GiB of the parents spill").matcher(plan);
        assertTrue(spill.find(), plan);
        double expected = (4 * params * 2 - (80e9 - 8e9 - 2 * params * 2 - 32000L * 4096 * 4 * 7)) / (double) (1L << 30);
        assertEquals(17.30, expected, 0.01); // 18.57 GB
        assertEquals(expected, Double.parseDouble(spill.group(1)), 0.005);
        Matcher fits = Pattern.compile("card of 141 GB: fits, ([0-9.]+) GiB to spare").matcher(plan);
        assertTrue(fits.find(), plan);
        assertEquals(33.84, Double.parseDouble(fits.group(1)), 0.015);
        // device_memory_gb replaces the two cards
        String given = DryRun.devicePlan(run("dare_ties", "likelihood", "device_memory_gb: 30"), parents, params, 32000L * 4096, true);
        assertTrue(given.contains("card of 30 GB: the candidates and scratch alone do not fit"), given);
    }
}
