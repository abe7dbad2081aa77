package dev.evomerge.driver;

import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.EvalSet;
import dev.evomerge.eval.LikelihoodTask;
import dev.evomerge.eval.MgsmTask;
import dev.evomerge.eval.VqaTask;
import dev.evomerge.eval.Shards;
import dev.evomerge.eval.TaskSpec;
import dev.evomerge.io.CheckpointHeaders;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.MergeMethod;
import dev.evomerge.merge.MergeMethods;
import dev.evomerge.model.DeviceMerge;
import dev.evomerge.model.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The dry run's time estimate: a candidate's build and its scoring, a generation and the run, from
 * the run's shapes and token counts and from {@link Throughput} figures. A forward pass costs 2
 * FLOPs per parameter per token; a decode step costs the larger of its FLOPs and one read of the
 * weights; a Java build costs what the calibration measured per parameter; a device build costs
 * {@link DeviceMerge#trafficPerParameter} bytes over the device's bandwidth, plus DARE's keep
 * decisions packed in Java and sent over the host link. An executor builds each candidate it
 * scores once (its other shards reuse it), and executors work in parallel.
 */
final class TimeEstimate {
    /**
     * Image tokens a VQA prompt is counted with: LLaVA-1.5's 576 (24 x 24 patches of a 336-pixel
     * CLIP ViT-L/14); a LLaVA-1.6 image is its global view plus up to four such tiles, so its
     * prompts are up to five times longer than estimated.
     */
    static final int IMAGE_TOKENS = 576;

    private TimeEstimate() {
    }

    /** What a run's time is made of, in seconds. */
    record Costs(double build, String buildHow, double fitness, double test, int executors) {

        /** A generation's wall time: each candidate built on up to {@code shards} executors, scored once in all. */
        double generation(int population, int shards) {
            return population * (Math.min(shards, executors) * build + fitness) / executors;
        }
    }

    /**
     * Tokens a forward pass computes for each task of a set, batch by batch as the evaluator forms
     * them: per shard, likelihood items sorted by length and right-padded to the longest of their
     * batch (as {@code Likelihood}); MGSM prompts in order, padded likewise. Counted by the
     * reference's tokenizer when it is on this machine, else at ~3 UTF-8 bytes a token.
     */
    record Tokens(Map<TaskSpec, Long> padded, Map<TaskSpec, Integer> batches, long rowsPerBatch) {
    }

    static Tokens tokens(EvalSet set, Map<TaskSpec, List<EvalItem>> items, CheckpointHeaders reference) {
        Map<TaskSpec, Long> padded = new java.util.HashMap<>();
        Map<TaskSpec, Integer> batches = new java.util.HashMap<>();
        long rows = 0;
        int counted = 0;
        try (Tokenizer tok = Storage.isLocal(reference.location())
                ? Tokenizer.load(Storage.localPath(reference.location()), reference.config()) : null) {
            Function<String, Integer> length = text -> tok == null
                    ? Math.max(1, text.getBytes(StandardCharsets.UTF_8).length / 3) : tok.encode(text).length;
            for (TaskSpec spec : set.tasks()) {
                long total = 0;
                int n = 0;
                for (List<EvalItem> shard : Shards.of(items.get(spec), set.shards())) {
                    int[] lengths = shard.stream().mapToInt(i -> spec.isLikelihood() ? length.apply(LikelihoodTask.text(i))
                            : spec.toTask() instanceof VqaTask vqa ? length.apply(vqa.prompt(i)) + IMAGE_TOKENS
                            : length.apply(((MgsmTask) spec.toTask()).prompt(i))).toArray();
                    if (spec.isLikelihood()) {
                        java.util.Arrays.sort(lengths);
                    }
                    for (int from = 0; from < lengths.length; from += set.batchSize()) {
                        int to = Math.min(lengths.length, from + set.batchSize());
                        int longest = 0;
                        for (int k = from; k < to; k++) {
                            longest = Math.max(longest, lengths[k]);
                        }
                        total += (long) longest * (to - from);
                        n++;
                    }
                }
                padded.put(spec, total);
                batches.put(spec, n);
                rows += total;
                counted += n;
            }
        }
        return new Tokens(padded, batches, counted == 0 ? 1 : Math.max(1, rows / counted));
    }

    static Costs costs(RunConfig run, CheckpointHeaders reference, Tokens fitness, Tokens test, Throughput t, boolean gpu,
                       int executors) {
        long p = reference.parameters();
        double build;
        String how;
        int models = run.models().size();
        MergeMethod method = run.isDataFlow() ? null : MergeMethods.byName(run.method());
        if (run.isDataFlow()) {
            build = 0;
            how = "a path over the pool's resident layers: nothing merged";
        } else if (run.executor().buildsOnDevice(gpu) && DeviceMerge.supports(method)) {
            double traffic = DeviceMerge.trafficPerParameter(method, models);
            build = p * traffic / t.bandwidth();
            how = String.format(Locale.ROOT, "on the device from resident parents: %.0f bytes of device memory traffic per parameter",
                    traffic);
            if (run.method().startsWith("dare")) {
                double bits = (double) p * models / t.packRate() + (t.hostToDevice() > 0 ? p * models / 8.0 / t.hostToDevice() : 0);
                build += bits;
                how += String.format(Locale.ROOT, " + DARE's keep bits packed in Java and sent (%.1f s)", bits);
            }
        } else {
            build = p * t.javaBuildSeconds();
            how = "Java merge of " + (models + 1) + " inputs onto the device";
        }
        double bytesPerWeight = gpu ? 2 : 4;
        return new Costs(build, how, score(run.fitness(), fitness, p, t, bytesPerWeight),
                score(run.test(), test, p, t, bytesPerWeight), executors);
    }

    /** Seconds to score one candidate on every item of {@code set}, on one executor. */
    private static double score(EvalSet set, Tokens tokens, long p, Throughput t, double bytesPerWeight) {
        double seconds = 0;
        for (TaskSpec spec : set.tasks()) {
            seconds += 2.0 * p * tokens.padded().get(spec) / t.flops(); // the forward over the (padded) prompts or texts
            if (!spec.isLikelihood()) {
                double step = Math.max(2.0 * p * set.batchSize() / t.flops(), p * bytesPerWeight / t.bandwidth());
                seconds += (double) tokens.batches().get(spec) * spec.maxNewTokens() * step;
            }
        }
        return seconds;
    }

    static String duration(double seconds) {
        if (seconds < 90) {
            return String.format(Locale.ROOT, "%.1f s", seconds);
        }
        if (seconds < 5400) {
            return String.format(Locale.ROOT, "%.1f min", seconds / 60);
        }
        return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
    }
}
