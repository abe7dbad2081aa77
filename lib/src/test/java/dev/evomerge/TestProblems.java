package dev.evomerge;

import dev.evomerge.optim.Optimizer;
import dev.evomerge.optim.Population;
import java.util.function.ToDoubleFunction;

/** The standard optimizer test functions (minimum 0) and the evaluations-to-target count, for benchmarks and tests. */
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
