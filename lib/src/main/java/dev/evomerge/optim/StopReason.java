package dev.evomerge.optim;

/** The usual CMA-ES termination criteria (Hansen's tutorial, appendix B.3). */
public enum StopReason {
    /** The best and worst fitness of the last generations span less than tolfun. */
    TOL_FUN,
    /** Every coordinate's standard deviation and evolution path are below tolx. */
    TOL_X,
    /** sigma times the largest axis grew past tolxup: divergence. */
    TOL_X_UP,
    /** Adding 0.2 standard deviations in some coordinate leaves the mean unchanged. */
    NO_EFFECT_COORD,
    /** Adding 0.1 standard deviations along a principal axis leaves the mean unchanged. */
    NO_EFFECT_AXIS,
    /** The condition number of C exceeds 1e14. */
    CONDITION_COV
}
