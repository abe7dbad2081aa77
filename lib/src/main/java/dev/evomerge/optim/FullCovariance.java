package dev.evomerge.optim;

/**
 * A full covariance matrix with its eigendecomposition C = B D^2 B^T ({@link SymmetricEigen}).
 *
 * <p>The decomposition costs O(n^3) (about 1.6 ms at n = 100), more than the rest of a
 * generation, so it is refreshed only every {@code gap} updates and the factors in between are
 * those of a slightly older C, as pycma does ("lazy" eigendecomposition; gap
 * 0.5 / (n (c1 + c_mu)) generations). The factors are part of the state, so a resumed
 * optimizer samples with exactly the factors the original had.
 */
public final class FullCovariance implements Covariance {
    private static final double EPS = 1e-8;
    private final int n;
    private final double[][] c;
    private final int gap;
    private int staleUpdates; // updates of C since the factors were computed
    private double[][] b; // b[k] is the k-th eigenvector (a row of B^T), null when a refresh is due
    private double[] d; // axis lengths: sqrt of eigenvalues

    /** The decomposition as plain data: the eigenvectors one after another, D, and how many updates old it is. */
    public record Factors(double[] eigenvectors, double[] axisLengths, int staleUpdates) {
    }

    public FullCovariance(double[][] matrix) {
        this(matrix, 1, null);
    }

    public FullCovariance(double[][] matrix, int gap, Factors factors) {
        if (gap < 1) {
            throw new IllegalArgumentException("decomposition gap must be at least 1, got " + gap);
        }
        this.gap = gap;
        this.n = matrix.length;
        this.c = new double[n][];
        for (int i = 0; i < n; i++) {
            if (matrix[i].length != n) {
                throw new IllegalArgumentException("covariance must be square, row " + i + " has " + matrix[i].length);
            }
            c[i] = matrix[i].clone();
        }
        if (factors != null && factors.eigenvectors() != null) {
            this.b = toMatrix(n, factors.eigenvectors());
            this.d = factors.axisLengths().clone();
            this.staleUpdates = factors.staleUpdates();
        }
    }

    public static FullCovariance diagonal(double[] variances, int gap) {
        double[][] m = new double[variances.length][variances.length];
        for (int i = 0; i < variances.length; i++) {
            m[i][i] = variances[i];
        }
        return new FullCovariance(m, gap, null);
    }

    public static FullCovariance fromValues(int n, double[] rowMajor, int gap, Factors factors) {
        return new FullCovariance(toMatrix(n, rowMajor), gap, factors);
    }

    private static double[][] toMatrix(int n, double[] rowMajor) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(rowMajor, i * n, m[i], 0, n);
        }
        return m;
    }

    private static double[] toRowMajor(double[][] m) {
        int n = m.length;
        double[] out = new double[n * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(m[i], 0, out, i * n, n);
        }
        return out;
    }

    public Factors factors() {
        return new Factors(b == null ? null : toRowMajor(b), d == null ? null : d.clone(), staleUpdates);
    }

    @Override
    public int dimension() {
        return n;
    }

    /**
     * Decomposes C. The factors are a pure function of C (which stays as updated, unlike the
     * cmaes library's, which rebuilds C from clamped factors): so an optimizer restored from its
     * saved C samples exactly what the original would have.
     */
    private void decompose() {
        if (b != null) {
            return;
        }
        staleUpdates = 0;
        SymmetricEigen eig = new SymmetricEigen(c);
        b = eig.vectors;
        d = new double[n];
        for (int k = 0; k < n; k++) {
            d[k] = Math.sqrt(eig.values[k] < 0 ? EPS : eig.values[k]);
        }
    }

    @Override
    public double[] sample(double[] z) {
        decompose();
        double[] y = new double[n]; // y = B D z = sum_k d_k z_k b_k
        for (int k = 0; k < n; k++) {
            double dz = d[k] * z[k];
            double[] bk = b[k];
            for (int i = 0; i < n; i++) {
                y[i] += bk[i] * dz;
            }
        }
        return y;
    }

    @Override
    public double[] invSqrtTimes(double[] y) {
        decompose();
        double[] out = new double[n]; // C^(-1/2) y = B D^-1 B^T y = sum_k (b_k . y / d_k) b_k
        for (int k = 0; k < n; k++) {
            double[] bk = b[k];
            double dot = 0;
            for (int i = 0; i < n; i++) {
                dot += bk[i] * y[i];
            }
            double t = dot / d[k];
            for (int i = 0; i < n; i++) {
                out[i] += bk[i] * t;
            }
        }
        return out;
    }

    @Override
    public void update(double decay, double c1, double[] pc, double cMu, double[] weights, double[][] ys) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double rankMu = 0;
                for (int k = 0; k < ys.length; k++) {
                    rankMu += weights[k] * ys[k][i] * ys[k][j];
                }
                double v = decay * c[i][j] + c1 * pc[i] * pc[j] + cMu * rankMu;
                c[i][j] = v;
                c[j][i] = v;
            }
        }
        if (++staleUpdates >= gap) {
            b = null;
            d = null;
        }
    }

    @Override
    public double[] diagonal() {
        double[] diag = new double[n];
        for (int i = 0; i < n; i++) {
            diag[i] = c[i][i];
        }
        return diag;
    }

    @Override
    public double[] axisLengths() {
        decompose();
        return d.clone();
    }

    @Override
    public double[] axis(int i) {
        decompose();
        double[] a = new double[n];
        for (int r = 0; r < n; r++) {
            a[r] = b[i][r] * d[i];
        }
        return a;
    }

    @Override
    public double[] values() {
        return toRowMajor(c);
    }
}
