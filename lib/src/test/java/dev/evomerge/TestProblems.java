package dev.evomerge;

import dev.evomerge.optim.Optimizer;
import dev.evomerge.optim.Population;
import java.util.function.ToDoubleFunction;

/**
 * The standard optimizer test functions (minimum 0), the multi-objective ones (Zitzler, Deb and
 * Thiele 2000; Deb, Thiele, Laumanns and Zitzler 2002), and the evaluations-to-target count, for
 * benchmarks and tests.
 */
public final class TestProblems {
    private TestProblems() {
    }

    public static double sphere(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return s;
    }

    /** Condition 1e6: coordinate i weighted by 1e6^(i / (n - 1)). */
    public static double ellipsoid(double[] x) {
        int n = x.length;
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.pow(1e6, (double) i / (n - 1)) * x[i] * x[i];
        }
        return s;
    }

    public static double rosenbrock(double[] x) {
        double s = 0;
        for (int i = 0; i < x.length - 1; i++) {
            s += 100 * Math.pow(x[i] * x[i] - x[i + 1], 2) + Math.pow(x[i] - 1, 2);
        }
        return s;
    }

    public static double rastrigin(double[] x) {
        double s = 10 * x.length;
        for (double v : x) {
            s += v * v - 10 * Math.cos(2 * Math.PI * v);
        }
        return s;
    }

    /** ZDT1: 30 genes in [0, 1], front f2 = 1 - sqrt(f1) (convex). */
    public static double[] zdt1(double[] x) {
        double f1 = x[0];
        double g = zdtG(x);
        return new double[] {f1, g * (1 - Math.sqrt(f1 / g))};
    }

    /** ZDT2: front f2 = 1 - f1^2 (concave). */
    public static double[] zdt2(double[] x) {
        double f1 = x[0];
        double g = zdtG(x);
        return new double[] {f1, g * (1 - (f1 / g) * (f1 / g))};
    }

    /** ZDT3: a front of five disconnected pieces. */
    public static double[] zdt3(double[] x) {
        double f1 = x[0];
        double g = zdtG(x);
        return new double[] {f1, g * (1 - Math.sqrt(f1 / g) - f1 / g * Math.sin(10 * Math.PI * f1))};
    }

    private static double zdtG(double[] x) {
        double s = 0;
        for (int i = 1; i < x.length; i++) {
            s += x[i];
        }
        return 1 + 9 * s / (x.length - 1);
    }

    /** DTLZ2 with {@code m} objectives on genes in [0, 1]; its front is the unit sphere's positive part. */
    public static double[] dtlz2(double[] x, int m) {
        double g = 0;
        for (int i = m - 1; i < x.length; i++) {
            g += (x[i] - 0.5) * (x[i] - 0.5);
        }
        double[] f = new double[m];
        for (int i = 0; i < m; i++) {
            double v = 1 + g;
            for (int j = 0; j < m - 1 - i; j++) {
                v *= Math.cos(x[j] * Math.PI / 2);
            }
            if (i > 0) {
                v *= Math.sin(x[m - 1 - i] * Math.PI / 2);
            }
            f[i] = v;
        }
        return f;
    }

    /**
     * Runs ask/tell until an evaluation reaches f < target, the optimizer finishes or the budget
     * is spent; returns the evaluations used, or -1 when the target was not reached.
     */
    public static int evaluationsToTarget(Optimizer optimizer, ToDoubleFunction<double[]> f, double target, int budget) {
        int evals = 0;
        while (evals < budget && !optimizer.finished()) {
            Population pop = optimizer.ask();
            double[] fit = new double[pop.size()];
            for (int k = 0; k < pop.size(); k++) {
                fit[k] = f.applyAsDouble(pop.candidates()[k]);
                evals++;
                if (fit[k] < target) {
                    return evals;
                }
            }
            double[][] objectives = new double[fit.length][];
            for (int k = 0; k < fit.length; k++) {
                objectives[k] = new double[] {fit[k]};
            }
            optimizer.tell(pop, objectives);
        }
        return -1;
    }
}
