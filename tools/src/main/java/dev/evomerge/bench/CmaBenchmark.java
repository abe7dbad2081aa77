package dev.evomerge.bench;

import dev.evomerge.TestProblems;
import dev.evomerge.optim.CmaEs;
import dev.evomerge.optim.CmaOptions;
import dev.evomerge.optim.CmaParameters;
import dev.evomerge.optim.Population;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.apache.commons.math3.exception.TooManyEvaluationsException;
import org.apache.commons.math3.optim.InitialGuess;
import org.apache.commons.math3.optim.MaxEval;
import org.apache.commons.math3.optim.SimpleBounds;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunction;
import org.apache.commons.math3.optim.nonlinear.scalar.noderiv.CMAESOptimizer;
import org.apache.commons.math3.random.MersenneTwister;

/**
 * {@code scripts/bench cma [SEEDS]}: evaluations to f < 1e-8 of our CMA-ES and Commons Math's
 * {@code CMAESOptimizer} on the same functions, from the same start, with the same population
 * and sigma, in the same run; then the time of one ask/tell pair at n = 100 (full covariance)
 * and n = 5,000 (separable).
 */
public final class CmaBenchmark {
    private static final double TARGET = 1e-8;

    private CmaBenchmark() {
    }

    private record Problem(String name, ToDoubleFunction<double[]> f, double start, double sigma) {
    }

    public static void main(String[] args) {
        int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 11;
        Problem[] problems = {
            new Problem("sphere", TestProblems::sphere, 3, 1),
            new Problem("ellipsoid 1e6", TestProblems::ellipsoid, 3, 1),
            new Problem("rosenbrock", TestProblems::rosenbrock, 0, 0.5),
        };
        System.out.printf(Locale.ROOT, "median evaluations to f < 1e-8 over %d seeds (failures: budget spent or stopped early)%n", seeds);
        System.out.printf(Locale.ROOT, "%-14s %4s %7s %12s %14s %8s%n", "function", "n", "lambda", "ours", "commons-math", "ratio");
        for (int n : new int[] {10, 40}) {
            for (Problem pr : problems) {
                int lambda = CmaParameters.defaultLambda(n);
                int budget = 2000 * n * n / 10 + 20_000;
                int[] ours = new int[seeds];
                int[] theirs = new int[seeds];
                for (int s = 0; s < seeds; s++) {
                    ours[s] = ours(pr, n, lambda, s, budget);
                    theirs[s] = commonsMath(pr, n, lambda, s, budget);
                }
                double mo = median(ours);
                double mt = median(theirs);
                System.out.printf(Locale.ROOT, "%-14s %4d %7d %8.0f (%d) %10.0f (%d) %8.2f%n", pr.name(), n, lambda,
                        mo, failures(ours), mt, failures(theirs), mo / mt);
            }
        }
        timeOptimizer(100, false, 600);
        timeOptimizer(5000, true, 150);
    }

    private static int ours(Problem pr, int n, int lambda, long seed, int budget) {
        double[] x0 = new double[n];
        Arrays.fill(x0, pr.start());
        CmaEs cma = new CmaEs(CmaOptions.of(x0, pr.sigma()).withSeed(seed).withPopulationSize(lambda));
        int evals = TestProblems.evaluationsToTarget(cma, pr.f(), TARGET, budget);
        return evals < 0 ? Integer.MAX_VALUE : evals;
    }

    private static final class Reached extends RuntimeException {
        Reached() {
            super(null, null, false, false);
        }
    }

    private static int commonsMath(Problem pr, int n, int lambda, long seed, int budget) {
        double[] x0 = new double[n];
        Arrays.fill(x0, pr.start());
        double[] sigma = new double[n];
        Arrays.fill(sigma, pr.sigma());
        int[] evals = {0};
        CMAESOptimizer optimizer = new CMAESOptimizer(1_000_000, 0, true, 0, 0, new MersenneTwister(seed), false, null);
        try {
            optimizer.optimize(new MaxEval(budget), GoalType.MINIMIZE, new InitialGuess(x0), SimpleBounds.unbounded(n),
                    new CMAESOptimizer.Sigma(sigma), new CMAESOptimizer.PopulationSize(lambda),
                    new ObjectiveFunction(x -> {
                        double f = pr.f().applyAsDouble(x);
                        evals[0]++;
                        if (f < TARGET) {
                            throw new Reached();
                        }
                        return f;
                    }));
        } catch (Reached done) {
            return evals[0];
        } catch (TooManyEvaluationsException spent) {
            return Integer.MAX_VALUE;
        }
        return Integer.MAX_VALUE; // stopped by its own criteria before the target
    }

    private static void timeOptimizer(int n, boolean separable, int generations) {
        double[] x0 = new double[n];
        Arrays.fill(x0, 1);
        CmaEs cma = new CmaEs(CmaOptions.of(x0, 0.5).withSeed(1).withSeparable(separable));
        long[] nanos = new long[generations];
        for (int g = 0; g < generations; g++) {
            long t0 = System.nanoTime();
            Population pop = cma.ask();
            long t1 = System.nanoTime();
            double[] fit = Arrays.stream(pop.candidates()).mapToDouble(TestProblems::sphere).toArray();
            long t2 = System.nanoTime();
            cma.tell(pop, fit);
            long t3 = System.nanoTime();
            nanos[g] = (t1 - t0) + (t3 - t2);
        }
        long[] steady = Arrays.copyOfRange(nanos, generations / 3, generations); // after JIT warm-up
        double mean = Arrays.stream(steady).average().orElse(0);
        Arrays.sort(steady);
        System.out.printf(Locale.ROOT, "ask+tell n=%d %s lambda=%d: median %.3f ms, mean %.3f ms, p90 %.3f ms%n", n,
                separable ? "separable" : "full", cma.populationSize(), steady[steady.length / 2] / 1e6, mean / 1e6,
                steady[steady.length * 9 / 10] / 1e6);
    }

    private static int failures(int[] evals) {
        return (int) Arrays.stream(evals).filter(e -> e == Integer.MAX_VALUE).count();
    }

    private static double median(int[] xs) {
        int[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2] == Integer.MAX_VALUE ? Double.POSITIVE_INFINITY : s[s.length / 2];
    }
}
