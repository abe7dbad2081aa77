package dev.evomerge.optim;

/**
 * What one {@link Optimizer#tell} did: the candidates whose values were NaN or infinite (ranked
 * behind every other), the generation's best (by the first objective), and for a multi-objective
 * optimizer each candidate's Pareto rank (0 = non-dominated) and crowding distance in the survivor
 * selection it took part in ({@code null} for a single-objective one).
 */
public record TellReport(int generation, int[] failed, int bestIndex, double bestFitness, int[] paretoRank,
                         double[] crowdingDistance) {

    public TellReport(int generation, int[] failed, int bestIndex, double bestFitness) {
        this(generation, failed, bestIndex, bestFitness, null, null);
    }
}
