package dev.evomerge.optim;

/**
 * Eigendecomposition of a real symmetric matrix: Householder reduction to tridiagonal form, then
 * the implicit QL method (EISPACK's tred2 and tql2, as in the public-domain JAMA). Commons Math's
 * EigenDecomposition runs the same algorithms; this version keeps the eigenvectors as rows while
 * the QL rotations run, so every rotation sweeps two contiguous rows instead of two columns of a
 * row-major matrix, and uses sqrt where JAMA uses the slow strict hypot. At n = 100 it takes a
 * fraction of Commons Math's time (see BENCHMARKS.md), which matters because CMA-ES decomposes its
 * covariance every few generations. Deterministic: the same matrix gives the same bits.
 */
final class SymmetricEigen {
    /** Eigenvalues, ascending. */
    final double[] values;
    /** vectors[k] is the unit eigenvector of values[k]. */
    final double[][] vectors;

    SymmetricEigen(double[][] symmetric) {
        int n = symmetric.length;
        double[][] v = new double[n][];
        for (int i = 0; i < n; i++) {
            v[i] = symmetric[i].clone();
        }
        double[] d = new double[n];
        double[] e = new double[n];
        tridiagonalize(v, d, e);
        double[][] rows = transpose(v); // rows[k] = column k of the accumulated transformation
        diagonalize(rows, d, e);
        sort(d, rows);
        this.values = d;
        this.vectors = rows;
    }

    /** tred2: V becomes the orthogonal transformation, d the diagonal, e the sub-diagonal. */
    private static void tridiagonalize(double[][] v, double[] d, double[] e) {
        int n = d.length;
        System.arraycopy(v[n - 1], 0, d, 0, n);
        for (int i = n - 1; i > 0; i--) {
            double scale = 0;
            double h = 0;
            for (int k = 0; k < i; k++) {
                scale += Math.abs(d[k]);
            }
            if (scale == 0) {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++) {
                    d[j] = v[i - 1][j];
                    v[i][j] = 0;
                    v[j][i] = 0;
                }
            } else {
                for (int k = 0; k < i; k++) {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.sqrt(h);
                if (f > 0) {
                    g = -g;
                }
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) {
                    e[j] = 0;
                    v[j][i] = d[j];
                }
                // e = A d over the lower triangle, one row at a time (JAMA walks columns).
                for (int k = 0; k < i; k++) {
                    double[] row = v[k];
                    double dk = d[k];
                    double ek = 0;
                    for (int j = 0; j < k; j++) {
                        ek += row[j] * d[j];
                        e[j] += row[j] * dk;
                    }
                    e[k] += ek + row[k] * dk;
                }
                f = 0;
                for (int j = 0; j < i; j++) {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) {
                    e[j] -= hh * d[j];
                }
                // Rank-2 update of the lower triangle, row by row, with the old d.
                for (int k = 0; k < i; k++) {
                    double[] row = v[k];
                    double dk = d[k];
                    double ek = e[k];
                    for (int j = 0; j <= k; j++) {
                        row[j] -= d[j] * ek + e[j] * dk;
                    }
                }
                for (int j = 0; j < i; j++) {
                    d[j] = v[i - 1][j];
                    v[i][j] = 0;
                }
            }
            d[i] = h;
        }
        // Accumulate the transformations.
        for (int i = 0; i < n - 1; i++) {
            v[n - 1][i] = v[i][i];
            v[i][i] = 1;
            double h = d[i + 1];
            if (h != 0) {
                // g_j = sum_k v[k][i+1] v[k][j], then v[k][j] -= g_j v[k][i+1] / h: both as row sweeps.
                double[] g = new double[i + 1];
                for (int k = 0; k <= i; k++) {
                    double[] row = v[k];
                    double w = row[i + 1];
                    for (int j = 0; j <= i; j++) {
                        g[j] += w * row[j];
                    }
                }
                for (int k = 0; k <= i; k++) {
                    double[] row = v[k];
                    double dk = row[i + 1] / h;
                    for (int j = 0; j <= i; j++) {
                        row[j] -= g[j] * dk;
                    }
                }
            }
            for (int k = 0; k <= i; k++) {
                v[k][i + 1] = 0;
            }
        }
        for (int j = 0; j < n; j++) {
            d[j] = v[n - 1][j];
            v[n - 1][j] = 0;
        }
        v[n - 1][n - 1] = 1;
        e[0] = 0;
    }

    /** tql2 on the tridiagonal (d, e); rows[k] accumulates the k-th eigenvector. */
    private static void diagonalize(double[][] rows, double[] d, double[] e) {
        int n = d.length;
        for (int i = 1; i < n; i++) {
            e[i - 1] = e[i];
        }
        e[n - 1] = 0;
        double f = 0;
        double tst1 = 0;
        double eps = Math.ulp(1.0);
        for (int l = 0; l < n; l++) {
            tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
            int m = l;
            while (m < n && Math.abs(e[m]) > eps * tst1) {
                m++;
            }
            if (m > l) {
                int iterations = 0;
                do {
                    if (++iterations > 100 * n) {
                        throw new ArithmeticException("eigendecomposition did not converge (NaN or infinite covariance?)");
                    }
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Math.sqrt(p * p + 1);
                    if (p < 0) {
                        r = -r;
                    }
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) {
                        d[i] -= h;
                    }
                    f += h;
                    p = d[m];
                    double c = 1;
                    double c2 = c;
                    double c3 = c;
                    double el1 = e[l + 1];
                    double s = 0;
                    double s2 = 0;
                    for (int i = m - 1; i >= l; i--) {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Math.sqrt(p * p + e[i] * e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        double[] a = rows[i];
                        double[] b = rows[i + 1];
                        for (int k = 0; k < n; k++) { // rotate the two eigenvector rows
                            double hk = b[k];
                            b[k] = s * a[k] + c * hk;
                            a[k] = c * a[k] - s * hk;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
    }

    private static void sort(double[] d, double[][] rows) {
        int n = d.length;
        for (int i = 0; i < n - 1; i++) {
            int k = i;
            for (int j = i + 1; j < n; j++) {
                if (d[j] < d[k]) {
                    k = j;
                }
            }
            if (k != i) {
                double t = d[k];
                d[k] = d[i];
                d[i] = t;
                double[] r = rows[k];
                rows[k] = rows[i];
                rows[i] = r;
            }
        }
    }

    private static double[][] transpose(double[][] m) {
        int n = m.length;
        double[][] t = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                t[j][i] = m[i][j];
            }
        }
        return t;
    }
}
