package dev.evomerge.optim;

/**
 * The complete state of a {@link CmaEs} as plain data, for JSON ({@link OptimizerState}). Random
 * numbers are derived from (seed, restart, generation), so no generator state needs saving: an
 * optimizer restored from this continues bit for bit.
 */
public record CmaState(
        CmaOptions options,
        int restart,
        int lambda,
        int generation,
        double[] mean,
        double sigma,
        double[] covariance, // n*n row-major (full) or n (separable)
        FullCovariance.Factors factors, // the full covariance's (possibly older) eigendecomposition, or null
        double[] pSigma,
        double[] pC,
        double[] funHistory, // best and worst fitness of recent generations, for the tolfun criterion
        double[] marginScale) // CMA-ES with margin's A, or null
        implements OptimizerState {

    @Override
    public CmaEs restore() {
        return CmaEs.fromState(this);
    }

    public static CmaState fromJson(String json) {
        if (OptimizerState.fromJson(json) instanceof CmaState s) {
            return s;
        }
        throw new IllegalArgumentException("not a CMA-ES state");
    }
}
