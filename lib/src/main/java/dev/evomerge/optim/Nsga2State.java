package dev.evomerge.optim;

/**
 * The complete state of an {@link Nsga2} as plain data, for JSON ({@link OptimizerState}): the
 * options, how many generations were told, and the surviving parents with their values (as told,
 * NaN for a failed candidate), Pareto ranks and crowding distances. Random numbers come from
 * (seed, generation), so a restored optimizer asks exactly what the original would have.
 */
public record Nsga2State(Nsga2Options options, int generation, double[][] parents, double[][] values, int[] ranks,
                         double[] crowding) implements OptimizerState {

    @Override
    public Nsga2 restore() {
        return Nsga2.fromState(this);
    }
}
