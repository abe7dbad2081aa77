package dev.evomerge.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.junit.jupiter.api.Test;

class SymmetricEigenTest {

    private static double[][] randomSymmetric(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double v = r.nextGaussian();
                a[i][j] = v;
                a[j][i] = v;
            }
        }
        return a;
    }

    @Test
    void handWorkedTwoByTwo() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3 with eigenvectors (1, -1)/sqrt2 and (1, 1)/sqrt2.
        SymmetricEigen e = new SymmetricEigen(new double[][] {{2, 1}, {1, 2}});
        assertArrayEquals(new double[] {1, 3}, e.values, 1e-12);
        assertEquals(0, e.vectors[0][0] + e.vectors[0][1], 1e-12);
        assertEquals(0, e.vectors[1][0] - e.vectors[1][1], 1e-12);
    }

    @Test
    void agreesWithCommonsMathAndReconstructsTheMatrix() {
        for (int n : new int[] {1, 3, 10, 57}) {
            double[][] a = randomSymmetric(n, n);
            SymmetricEigen ours = new SymmetricEigen(a);
            double[] theirs = new EigenDecomposition(new Array2DRowRealMatrix(a)).getRealEigenvalues();
            Arrays.sort(theirs);
            assertArrayEquals(theirs, ours.values, 1e-10, "eigenvalues, n=" + n);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double reconstructed = 0;
                    double dot = 0;
                    for (int k = 0; k < n; k++) {
                        reconstructed += ours.vectors[k][i] * ours.values[k] * ours.vectors[k][j];
                        dot += ours.vectors[i][k] * ours.vectors[j][k];
                    }
                    assertEquals(a[i][j], reconstructed, 1e-10, "A = V^T D V at " + i + "," + j);
                    assertEquals(i == j ? 1 : 0, dot, 1e-10, "orthonormal rows " + i + "," + j);
                }
            }
        }
    }
}
