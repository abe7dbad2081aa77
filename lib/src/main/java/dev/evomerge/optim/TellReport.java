package dev.evomerge.optim;

/**
 * What one {@link CmaEs#tell} did: the candidates whose fitness was NaN or infinite (ranked
 * worst), and the generation's best.
 */
public record TellReport(int generation, int[] failed, int bestIndex, double bestFitness) {
}
