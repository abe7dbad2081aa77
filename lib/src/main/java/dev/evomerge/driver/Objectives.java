package dev.evomerge.driver;

import dev.evomerge.eval.EvalSet;
import dev.evomerge.eval.Summary;
import dev.evomerge.eval.TaskSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A candidate's fitness as a vector of named objectives, each higher-is-better: one per task of
 * the evaluation set (its accuracy, or minus its loss in nats per token), named as the task is.
 * The scalar {@link #fitness} that a single-objective optimizer is told is their declared
 * combination, the mean over the tasks (the paper's fitness is its one task's accuracy). A
 * multi-objective run declares its own objectives instead ({@link Objective}: task metrics and
 * candidate properties, each with a direction); this per-task map stays as every run's record.
 *
 * <p>This is where shards become objectives: {@link #of} takes the per-task totals summed over a
 * candidate's shards ({@link CandidateResult#reduce}).
 */
public record Objectives(Map<String, Double> values, double fitness) {

    /** The objectives of per-task totals (in the set's task order). */
    public static Objectives of(EvalSet set, List<Summary> perTask) {
        Map<String, Double> values = new LinkedHashMap<>();
        double fitness = 0;
        for (int t = 0; t < set.tasks().size(); t++) {
            TaskSpec task = set.tasks().get(t);
            double objective = task.objective(perTask.get(t));
            values.put(task.name(), objective);
            fitness += objective / set.tasks().size();
        }
        return new Objectives(values, fitness);
    }

    /** What a candidate that failed is told: no values, fitness NaN (ranked behind every candidate that worked). */
    public static final Objectives FAILED = new Objectives(Map.of(), Double.NaN);

    /** The vector a single-objective optimizer is told: the fitness alone. */
    public double[] forOptimizer() {
        return new double[] {fitness};
    }
}
