package dev.evomerge.optim;

import java.util.Arrays;

/**
 * One generation's candidates as {@link CmaEs#ask} hands them out: the points to evaluate, in
 * order. Integer coordinates are already on their grid and bounded coordinates inside their bounds.
 */
public record Population(int restart, int generation, double[][] candidates) {

    public int size() {
        return candidates.length;
    }

    public double[] candidate(int i) {
        return candidates[i].clone();
    }

    /** Same generation and bit-identical candidates. */
    public boolean sameAs(Population other) {
        return other != null && restart == other.restart && generation == other.generation
                && Arrays.deepEquals(candidates, other.candidates);
    }
}
