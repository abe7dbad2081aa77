package dev.evomerge.driver;

import dev.evomerge.eval.Summary;
import dev.evomerge.executor.CandidateSpec;
import dev.evomerge.executor.EvalTask;
import dev.evomerge.executor.ShardResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * One candidate's outcome, reduced from its shards: per task the summed totals, the metrics
 * (loss per token or accuracy), and the fitness the optimizer is told. Fitness is higher-better:
 * the mean over the set's tasks of accuracy (MGSM-ja counts only answers in Japanese) or of
 * minus the loss. A candidate with any failed shard has fitness NaN (ranked worst) and an error.
 */
public record CandidateResult(int generation, int candidate, CandidateSpec spec, double[] genome, List<Summary> perTask,
                              Map<String, Double> metrics, double fitness, double buildSeconds, double evalSeconds,
                              String executors, String error) {

    /** Sums shards in shard order, so the result does not depend on the order tasks finished in. */
    public static CandidateResult reduce(RunConfig.EvalSet set, List<ShardResult> shards, double[] genome) {
        List<ShardResult> ordered = new ArrayList<>(shards);
        ordered.sort(Comparator.comparingInt(r -> r.task().shard()));
        if (ordered.size() != set.shards()) {
            throw new IllegalStateException("candidate " + ordered.get(0).task().candidate() + ": " + ordered.size()
                    + " shard results for " + set.shards() + " shards");
        }
        List<Summary> perTask = new ArrayList<>();
        for (int t = 0; t < set.tasks().size(); t++) {
            Summary sum = new Summary(0, 0, 0, 0, 0);
            for (ShardResult r : ordered) {
                sum = sum.plus(r.perTask().get(t));
            }
            perTask.add(sum);
        }
        String error = ordered.stream().map(ShardResult::error).filter(e -> e != null).findFirst().orElse(null);
        Map<String, Double> metrics = metrics(set, perTask);
        double fitness = 0;
        for (RunConfig.TaskSpec spec : set.tasks()) {
            double metric = metrics.get(spec.metric());
            fitness += (spec.isLikelihood() ? -metric : metric) / set.tasks().size();
        }
        if (error != null || !Double.isFinite(fitness)) {
            fitness = Double.NaN;
            metrics.clear();
            error = error != null ? error : "non-finite fitness";
        }
        LinkedHashSet<String> executors = new LinkedHashSet<>();
        ordered.forEach(r -> executors.add(r.executor()));
        EvalTask first = ordered.get(0).task();
        return new CandidateResult(first.generation(), first.candidate(), first.spec(), genome, perTask, metrics, fitness,
                ordered.stream().mapToDouble(ShardResult::buildSeconds).sum(),
                ordered.stream().mapToDouble(ShardResult::evalSeconds).sum(), String.join(",", executors), error);
    }

    /** Each task's metric: loss per token (likelihood) or accuracy (MGSM-ja: right and in Japanese). */
    public static Map<String, Double> metrics(RunConfig.EvalSet set, List<Summary> perTask) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (int t = 0; t < set.tasks().size(); t++) {
            RunConfig.TaskSpec spec = set.tasks().get(t);
            Summary s = perTask.get(t);
            metrics.put(spec.metric(), spec.isLikelihood() ? s.meanLoss() : s.accuracyInJapanese());
        }
        return metrics;
    }

    public boolean failed() {
        return error != null;
    }

    public int items() {
        return perTask.stream().mapToInt(Summary::items).sum();
    }

    public int correct() {
        return perTask.stream().mapToInt(Summary::correctInJapanese).sum();
    }

    public long tokens() {
        return perTask.stream().mapToLong(Summary::tokens).sum();
    }

    /** The results of every candidate in a list of shard results, by candidate index. */
    public static List<CandidateResult> reduceAll(RunConfig.EvalSet set, List<ShardResult> shards, List<double[]> genomes) {
        Map<Integer, List<ShardResult>> byCandidate = new java.util.TreeMap<>();
        shards.forEach(r -> byCandidate.computeIfAbsent(r.task().candidate(), k -> new ArrayList<>()).add(r));
        List<CandidateResult> out = new ArrayList<>();
        byCandidate.forEach((c, rs) -> out.add(reduce(set, rs, genomes == null ? null : genomes.get(c))));
        return out;
    }
}
