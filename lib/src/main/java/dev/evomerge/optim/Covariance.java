package dev.evomerge.optim;

/**
 * The covariance matrix C of the search distribution, full (n x n, for small genomes) or
 * diagonal (separable CMA-ES, for genomes of thousands of dimensions). The optimizer only needs
 * these operations, so the update equations are written once for both.
 */
public sealed interface Covariance permits FullCovariance, DiagonalCovariance {

    int dimension();

    /** y = C^(1/2) z: maps a standard normal sample to one with covariance C. */
    double[] sample(double[] z);

    /** C^(-1/2) y: whitens a step, for the step-size path and the active weights. */
    double[] invSqrtTimes(double[] y);

    /**
     * (eq. 47) C <- (1 + c1 delta_h - c1 - cMu sum w) C + c1 pc pc^T + cMu sum_i w_i° y_i y_i^T,
     * with {@code decay} the first factor.
     */
    void update(double decay, double c1, double[] pc, double cMu, double[] weights, double[][] ys);

    /** The diagonal of C: per-coordinate variances (margin, stop criteria). */
    double[] diagonal();

    /** Square roots of C's eigenvalues (the axis lengths D). */
    double[] axisLengths();

    /** Eigenvector {@code i} of C scaled by its axis length (the "no effect axis" check). */
    double[] axis(int i);

    /** The matrix as plain numbers: n*n row-major for full, n for diagonal. */
    double[] values();
}
