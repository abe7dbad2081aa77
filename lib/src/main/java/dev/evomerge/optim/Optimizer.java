package dev.evomerge.optim;

/** What a driver needs of an optimizer: a population to evaluate, the fitness back, and when to stop. */
public interface Optimizer {
    Population ask();

    TellReport tell(Population population, double[] fitness);

    /** True when asking more is pointless (a stop criterion fired and no restart is left). */
    boolean finished();
}
