package dev.evomerge.evolve;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * A full covariance matrix with its eigendecomposition C = B D^2 B^T (Commons Math), computed
 * lazily after each update and cached until the next one.
 */
public final class FullCovariance implements Covariance {
    private static final double EPS = 1e-8;
    private final int n;
    private final double[][] c;
    private double[][] b; // eigenvectors as columns
    private double[] d; // axis lengths: sqrt of eigenvalues

    public FullCovariance(double[][] matrix) {
        this.n = matrix.length;
        this.c = new double[n][];
        for (int i = 0; i < n; i++) {
            if (matrix[i].length != n) {
                throw new IllegalArgumentException("covariance must be square, row " + i + " has " + matrix[i].length);
            }
            c[i] = matrix[i].clone();
        }
    }

    public static FullCovariance diagonal(double[] variances) {
        double[][] m = new double[variances.length][variances.length];
        for (int i = 0; i < variances.length; i++) {
            m[i][i] = variances[i];
        }
        return new FullCovariance(m);
    }

    public static FullCovariance fromValues(int n, double[] rowMajor) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(rowMajor, i * n, m[i], 0, n);
        }
        return new FullCovariance(m);
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
        if (d != null) {
            return;
        }
        EigenDecomposition eig = new EigenDecomposition(new Array2DRowRealMatrix(c, false));
        RealMatrix v = eig.getV();
        double[] eigenvalues = eig.getRealEigenvalues();
        b = v.getData();
        d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = Math.sqrt(eigenvalues[i] < 0 ? EPS : eigenvalues[i]);
        }
    }

    @Override
    public double[] sample(double[] z) {
        decompose();
        double[] dz = new double[n];
        for (int k = 0; k < n; k++) {
            dz[k] = d[k] * z[k];
        }
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            double[] row = b[i];
            for (int k = 0; k < n; k++) {
                s += row[k] * dz[k];
            }
            y[i] = s;
        }
        return y;
    }

    @Override
    public double[] invSqrtTimes(double[] y) {
        decompose();
        // C^(-1/2) y = B D^-1 B^T y
        double[] t = new double[n];
        for (int k = 0; k < n; k++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += b[i][k] * y[i];
            }
            t[k] = s / d[k];
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            double[] row = b[i];
            for (int k = 0; k < n; k++) {
                s += row[k] * t[k];
            }
            out[i] = s;
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
        b = null;
        d = null;
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
            a[r] = b[r][i] * d[i];
        }
        return a;
    }

    @Override
    public double[] values() {
        double[] out = new double[n * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(c[i], 0, out, i * n, n);
        }
        return out;
    }
}
