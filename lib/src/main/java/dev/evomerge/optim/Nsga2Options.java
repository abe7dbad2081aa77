package dev.evomerge.optim;

/**
 * How to start NSGA-II. The variation operators default to the MOEA Framework's settings for
 * real-coded genes: simulated binary crossover of every pair with distribution index 15,
 * polynomial mutation with probability 1/n per gene and distribution index 20 (Deb et al. 2002
 * used 0.9 and 20 for crossover; the two measure level, BENCHMARKS.md); binary genes cross
 * uniformly and flip with the same per-gene probability.
 *
 * @param lower                per-gene lower bounds (a binary gene's "off" value)
 * @param upper                per-gene upper bounds (a binary gene's "on" value)
 * @param binary               which genes are binary (take only their lower or upper bound), or null for none
 * @param initial              a point the first population includes (binary genes snapped to the nearer bound), or null
 * @param populationSize       N, even, at least 4
 * @param objectives           how many values each candidate is told with (at least 1)
 * @param seed                 every random number comes from this seed and the generation
 * @param maximize             the told values are to be maximized (else minimized)
 * @param crossoverProbability probability that a pair of parents is crossed at all
 * @param crossoverIndex       SBX distribution index eta_c (larger: children nearer their parents)
 * @param mutationProbability  per-gene mutation probability, or 0 for 1/n
 * @param mutationIndex        polynomial mutation distribution index eta_m
 */
public record Nsga2Options(double[] lower, double[] upper, boolean[] binary, double[] initial, int populationSize,
                           int objectives, long seed, boolean maximize, double crossoverProbability, double crossoverIndex,
                           double mutationProbability, double mutationIndex) {

    public Nsga2Options {
        int n = lower.length;
        if (n == 0 || upper.length != n || binary != null && binary.length != n || initial != null && initial.length != n) {
            throw new IllegalArgumentException("lower, upper, binary and initial must have one entry per gene (" + n + ")");
        }
        for (int i = 0; i < n; i++) {
            if (!(lower[i] < upper[i]) || !Double.isFinite(lower[i]) || !Double.isFinite(upper[i])) {
                throw new IllegalArgumentException("gene " + i + ": bounds [" + lower[i] + ", " + upper[i] + "] are not a finite interval");
            }
        }
        if (populationSize < 4 || populationSize % 2 != 0) {
            throw new IllegalArgumentException("the population must be even and at least 4 (offspring come in pairs), got "
                    + populationSize);
        }
        if (objectives < 1) {
            throw new IllegalArgumentException("at least one objective, got " + objectives);
        }
        if (!(crossoverProbability >= 0 && crossoverProbability <= 1) || !(mutationProbability >= 0 && mutationProbability <= 1)) {
            throw new IllegalArgumentException("probabilities must be in [0, 1]");
        }
        if (!(crossoverIndex >= 0) || !(mutationIndex >= 0)) {
            throw new IllegalArgumentException("distribution indices must be >= 0");
        }
    }

    /** The default variation, minimizing, no binary genes, no initial point, seed 0. */
    public static Nsga2Options of(double[] lower, double[] upper, int populationSize, int objectives) {
        return new Nsga2Options(lower.clone(), upper.clone(), null, null, populationSize, objectives, 0, false, 1.0, 15, 0, 20);
    }

    public int dimension() {
        return lower.length;
    }

    public boolean isBinary(int gene) {
        return binary != null && binary[gene];
    }

    /** The per-gene mutation probability in use: as given, or 1/n. */
    public double mutationRate() {
        return mutationProbability > 0 ? mutationProbability : 1.0 / dimension();
    }

    public Nsga2Options withSeed(long s) {
        return new Nsga2Options(lower, upper, binary, initial, populationSize, objectives, s, maximize, crossoverProbability,
                crossoverIndex, mutationProbability, mutationIndex);
    }

    public Nsga2Options withMaximize(boolean max) {
        return new Nsga2Options(lower, upper, binary, initial, populationSize, objectives, seed, max, crossoverProbability,
                crossoverIndex, mutationProbability, mutationIndex);
    }

    public Nsga2Options withBinary(boolean[] b) {
        return new Nsga2Options(lower, upper, b == null ? null : b.clone(), initial, populationSize, objectives, seed, maximize,
                crossoverProbability, crossoverIndex, mutationProbability, mutationIndex);
    }

    public Nsga2Options withInitial(double[] x) {
        return new Nsga2Options(lower, upper, binary, x == null ? null : x.clone(), populationSize, objectives, seed, maximize,
                crossoverProbability, crossoverIndex, mutationProbability, mutationIndex);
    }

    public Nsga2Options withVariation(double pc, double etaC, double pm, double etaM) {
        return new Nsga2Options(lower, upper, binary, initial, populationSize, objectives, seed, maximize, pc, etaC, pm, etaM);
    }
}
