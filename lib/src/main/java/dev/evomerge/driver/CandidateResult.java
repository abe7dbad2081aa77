package dev.evomerge.driver;

import dev.evomerge.eval.EvalSet;
import dev.evomerge.eval.Summary;
import dev.evomerge.eval.TaskSpec;
import dev.evomerge.executor.CandidateSpec;
import dev.evomerge.executor.EvalTask;
import dev.evomerge.executor.ShardResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One candidate's outcome, reduced from its shards: per task the summed totals, the metrics
 * (loss per token or accuracy, as people read them), and the {@link Objectives} the optimizer is
 * told. A candidate with any failed shard has no objectives, fitness NaN (ranked worst) and an error.
 */
public record CandidateResult(int generation, int candidate, CandidateSpec spec, double[] genome, List<Summary> perTask,
                              Map<String, Double> metrics, Objectives objectives, double buildSeconds, double evalSeconds,
                              String executors, String error) {

    /** Sums shards in shard order, so the result does not depend on the order tasks finished in. */
    public static CandidateResult reduce(EvalSet set, List<ShardResult> shards, double[] genome) {
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
        Objectives objectives = Objectives.of(set, perTask);
        if (error != null || !Double.isFinite(objectives.fitness())) {
            objectives = Objectives.FAILED;
            metrics.clear();
            error = error != null ? error : "non-finite fitness";
        }
        LinkedHashSet<String> executors = new LinkedHashSet<>();
        ordered.forEach(r -> executors.add(r.executor()));
        EvalTask first = ordered.get(0).task();
        return new CandidateResult(first.generation(), first.candidate(), first.spec(), genome, perTask, metrics, objectives,
                ordered.stream().mapToDouble(ShardResult::buildSeconds).sum(),
                ordered.stream().mapToDouble(ShardResult::evalSeconds).sum(), String.join(",", executors), error);
    }

    /** Each task's metric by its column name: loss per token (likelihood) or accuracy (MGSM-ja: right and in Japanese). */
    public static Map<String, Double> metrics(EvalSet set, List<Summary> perTask) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (int t = 0; t < set.tasks().size(); t++) {
            TaskSpec spec = set.tasks().get(t);
            metrics.put(spec.metric(), spec.metric(perTask.get(t)));
        }
        return metrics;
    }

    /** The scalar the search ranks by (higher is better; NaN when the candidate failed). */
    public double fitness() {
        return objectives.fitness();
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
    public static List<CandidateResult> reduceAll(EvalSet set, List<ShardResult> shards, List<double[]> genomes) {
        Map<Integer, List<ShardResult>> byCandidate = new TreeMap<>();
        shards.forEach(r -> byCandidate.computeIfAbsent(r.task().candidate(), k -> new ArrayList<>()).add(r));
        List<CandidateResult> out = new ArrayList<>();
        byCandidate.forEach((c, rs) -> out.add(reduce(set, rs, genomes == null ? null : genomes.get(c))));
        return out;
    }
}
