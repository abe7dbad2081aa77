package dev.evomerge.optim;

import java.util.Optional;

/**
 * An optimizer as a driver holds it, without knowing which one it is: ask it for a population,
 * tell it each candidate's objective values, ask whether it has finished, and save and restore
 * its whole state as plain data. A single-objective optimizer (CMA-ES) is told one value per
 * candidate; a multi-objective one (NSGA-II) several. A value that is NaN or infinite marks a
 * candidate that failed: the optimizer ranks it behind every one that did not.
 */
public interface Optimizer {
    /** The next generation's candidates; asking again before telling gives the same population. */
    Population ask();

    /**
     * The values of the population {@link #ask} gave: {@code objectives[c]} holds candidate
     * {@code c}'s values, one per objective, in the direction the optimizer was made for.
     */
    TellReport tell(Population population, double[][] objectives);

    /** How many objective values each candidate is told with. */
    int objectives();

    int populationSize();

    /** Why asking more is pointless (a stop criterion fired and no restart is left), if it is. */
    Optional<String> stopReason();

    default boolean finished() {
        return stopReason().isPresent();
    }

    /** Everything the optimizer knows, as plain data: {@code state().restore()} continues bit for bit. */
    OptimizerState state();
}
