package dev.evomerge.evolve;

import java.util.function.ToDoubleFunction;

/** The standard benchmark functions, minimum 0. */
final class TestFunctions {
    private TestFunctions() {
    }

    static double sphere(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return s;
    }

    /** Condition 1e6: axis i scaled by 1e3^(i / (n - 1)). */
    static double ellipsoid(double[] x) {
        int n = x.length;
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.pow(1e6, (double) i / (n - 1)) * x[i] * x[i];
        }
        return s;
    }

    static double rosenbrock(double[] x) {
        double s = 0;
        for (int i = 0; i < x.length - 1; i++) {
            s += 100 * Math.pow(x[i] * x[i] - x[i + 1], 2) + Math.pow(x[i] - 1, 2);
        }
        return s;
    }

    static double rastrigin(double[] x) {
        double s = 10 * x.length;
        for (double v : x) {
            s += v * v - 10 * Math.cos(2 * Math.PI * v);
        }
        return s;
    }

    /** Runs ask/tell until f < target, a stop criterion or the budget; returns evaluations used (or -1). */
    static int evaluationsToTarget(CmaEs cma, ToDoubleFunction<double[]> f, double target, int budget) {
        int evals = 0;
        while (evals < budget && cma.shouldStop().isEmpty()) {
            Population pop = cma.ask();
            double[] fit = new double[pop.size()];
            for (int k = 0; k < pop.size(); k++) {
                fit[k] = f.applyAsDouble(pop.candidates()[k]);
                evals++;
                if (fit[k] < target) {
                    return evals;
                }
            }
            cma.tell(pop, fit);
        }
        return -1;
    }

    /** The same with IPOP restarts: stops only when the last restart has stopped. */
    static int evaluationsToTarget(IpopCmaEs cma, ToDoubleFunction<double[]> f, double target, int budget) {
        int evals = 0;
        while (evals < budget && !cma.finished()) {
            Population pop = cma.ask();
            double[] fit = new double[pop.size()];
            for (int k = 0; k < pop.size(); k++) {
                fit[k] = f.applyAsDouble(pop.candidates()[k]);
                evals++;
                if (fit[k] < target) {
                    return evals;
                }
            }
            cma.tell(pop, fit);
        }
        return -1;
    }
}
