package dev.evomerge.driver;

import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.EvalSet;
import dev.evomerge.eval.LikelihoodTask;
import dev.evomerge.eval.MgsmTask;
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
    private TimeEstimate() {
    }

    /** What a run's time is made of, in seconds. */
    record Costs(double build, String buildHow, double fitness, double test, int executors) {

        /** A generation's wall time: each candidate built on up to {@code shards} executors, scored once in all. */
        double generation(int population, int shards) {
            return population * (Math.min(shards, executors) * build + fitness) / executors;
        }
    }

    static Costs costs(RunConfig run, CheckpointHeaders reference, Map<TaskSpec, List<EvalItem>> items, Throughput t, boolean gpu,
                       int executors, Storage storage) {
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
        // the reference's tokenizer counts tokens when it is on this machine; else ~3 UTF-8 bytes a token
        try (Tokenizer tok = Storage.isLocal(reference.location())
                ? Tokenizer.load(Storage.localPath(reference.location()), reference.config()) : null) {
            Function<String, Long> tokens = text -> tok == null ? Math.max(1, text.getBytes(StandardCharsets.UTF_8).length / 3)
                    : (long) tok.encode(text).length;
            return new Costs(build, how, score(run.fitness(), items, p, t, bytesPerWeight, tokens),
                    score(run.test(), items, p, t, bytesPerWeight, tokens), executors);
        }
    }

    /** Seconds to score one candidate on every item of {@code set}, on one executor. */
    private static double score(EvalSet set, Map<TaskSpec, List<EvalItem>> items, long p, Throughput t, double bytesPerWeight,
                                Function<String, Long> tokens) {
        double seconds = 0;
        for (TaskSpec spec : set.tasks()) {
            List<EvalItem> list = items.get(spec);
            if (spec.isLikelihood()) {
                long scored = list.stream().mapToLong(i -> tokens.apply(LikelihoodTask.text(i))).sum();
                seconds += 2.0 * p * scored / t.flops();
            } else {
                MgsmTask task = (MgsmTask) spec.toTask();
                long prompt = list.stream().mapToLong(i -> tokens.apply(task.prompt(i))).sum();
                int batches = (list.size() + set.batchSize() - 1) / set.batchSize();
                double step = Math.max(2.0 * p * set.batchSize() / t.flops(), p * bytesPerWeight / t.bandwidth());
                seconds += 2.0 * p * prompt / t.flops() + (double) batches * spec.maxNewTokens() * step;
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
