package dev.evomerge.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.TestProblems;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class CmaEsTest {

    @Test
    void defaultParametersMatchTheTutorialWorkedByHand() {
        CmaParameters p = CmaParameters.of(10, CmaParameters.defaultLambda(10), false);
        assertEquals(10, p.lambda()); // 4 + floor(3 ln 10) = 4 + 6
        assertEquals(5, p.mu());
        // w'_i = ln(5.5) - ln(i), i = 1..5: sum 3.736249, sum of squares 4.407400 -> mu_eff = 3.167299
        assertEquals(3.167299, p.muEff(), 1e-6);
        assertEquals(1.0, Arrays.stream(p.weights()).limit(5).sum(), 1e-12);
        // The constants below were computed separately (Python, from the tutorial's formulas).
        assertEquals(0.284429, p.cSigma(), 1e-6); // (mu_eff + 2) / (n + mu_eff + 5)
        assertEquals(1.284429, p.dSigma(), 1e-6); // sqrt((mu_eff - 1)/(n + 1)) - 1 < 0, so 1 + c_sigma
        assertEquals(0.294990, p.cC(), 1e-6); // (4 + mu_eff/n) / (n + 4 + 2 mu_eff/n)
        assertEquals(0.015284, p.c1(), 1e-6); // 2 / ((n + 1.3)^2 + mu_eff)
        assertEquals(0.020154, p.cMu(), 1e-6); // 2 (mu_eff - 2 + 1/mu_eff) / ((n + 2)^2 + mu_eff)
        assertEquals(3.084727, p.chiN(), 1e-6); // sqrt(10) (1 - 1/40 + 1/2100)
        for (int i = 5; i < 10; i++) {
            assertTrue(p.weights()[i] <= 0, "active CMA: the worse half gets negative weights");
        }
    }

    private static CmaOptions sphereOptions(int n, long seed) {
        double[] x0 = new double[n];
        Arrays.fill(x0, 1.0);
        return CmaOptions.of(x0, 0.5).withSeed(seed);
    }

    private static double[] evaluate(Population pop, ToDoubleFunction<double[]> f) {
        return Arrays.stream(pop.candidates()).mapToDouble(f).toArray();
    }

    @Test
    void theSameSeedGivesTheSameSamplesAndAnotherSeedOthers() {
        CmaEs a = new CmaEs(sphereOptions(5, 42));
        CmaEs b = new CmaEs(sphereOptions(5, 42));
        CmaEs c = new CmaEs(sphereOptions(5, 43));
        for (int g = 0; g < 5; g++) {
            Population pa = a.ask();
            Population pb = b.ask();
            assertTrue(pa.sameAs(pb));
            assertFalse(pa.sameAs(c.ask()));
            a.tell(pa, evaluate(pa, TestProblems::sphere));
            b.tell(pb, evaluate(pb, TestProblems::sphere));
            Population pc = c.ask();
            c.tell(pc, evaluate(pc, TestProblems::sphere));
        }
        assertArrayEquals(a.mean(), b.mean());
    }

    @Test
    void askingTwiceBeforeTellingGivesTheSamePopulation() {
        CmaEs a = new CmaEs(sphereOptions(4, 1));
        assertSame(a.ask(), a.ask());
    }

    @Test
    void aResumedOptimizerContinuesBitForBit() {
        for (boolean separable : new boolean[] {false, true}) {
            CmaOptions o = sphereOptions(6, 7).withSeparable(separable).withBounds(filled(6, -2), filled(6, 3));
            CmaEs uninterrupted = new CmaEs(o);
            List<Population> expected = new ArrayList<>();
            for (int g = 0; g < 30; g++) {
                Population pop = uninterrupted.ask();
                expected.add(pop);
                uninterrupted.tell(pop, evaluate(pop, TestProblems::ellipsoid));
            }
            CmaEs first = new CmaEs(o);
            for (int g = 0; g < 12; g++) {
                Population pop = first.ask();
                first.tell(pop, evaluate(pop, TestProblems::ellipsoid));
            }
            String saved = first.state().toJson();
            CmaEs resumed = CmaEs.fromState(CmaState.fromJson(saved));
            for (int g = 12; g < 30; g++) {
                Population pop = resumed.ask();
                assertTrue(pop.sameAs(expected.get(g)), "generation " + g + " differs after resume");
                resumed.tell(pop, evaluate(pop, TestProblems::ellipsoid));
            }
            assertEquals(uninterrupted.state().toJson(), resumed.state().toJson());
        }
    }

    @Test
    void maximizingFindsTheMaximum() {
        CmaEs cma = new CmaEs(sphereOptions(3, 3).withMaximize(true));
        double best = Double.NEGATIVE_INFINITY;
        for (int g = 0; g < 150; g++) {
            Population pop = cma.ask();
            best = Math.max(best, cma.tell(pop, evaluate(pop, x -> -TestProblems.sphere(x) + 5)).bestFitness());
        }
        assertEquals(5.0, best, 1e-8);
        assertEquals(0.0, TestProblems.sphere(cma.mean()), 1e-8);
    }

    @Test
    void boundsAreNeverViolatedAndABoundaryOptimumIsFound() {
        int n = 4;
        // Optimum of the shifted sphere at x = 3 lies outside the box [-1, 1]: the answer is the corner.
        CmaOptions o = CmaOptions.of(new double[n], 0.8).withSeed(5).withBounds(filled(n, -1), filled(n, 1));
        CmaEs cma = new CmaEs(o);
        BestSeen best = new BestSeen();
        for (int g = 0; g < 200; g++) {
            Population pop = cma.ask();
            for (double[] x : pop.candidates()) {
                for (double v : x) {
                    assertTrue(v >= -1 && v <= 1, "out of bounds: " + v);
                }
            }
            best.see(pop, cma.tell(pop, evaluate(pop, x -> Arrays.stream(x).map(v -> (v - 3) * (v - 3)).sum())));
        }
        // Resampling keeps candidates strictly inside, so the corner is approached, not hit.
        assertArrayEquals(filled(n, 1.0), best.x, 5e-2);
    }

    @Test
    void theMarginKeepsEveryBinaryCoordinateAlive() {
        // 5 continuous coordinates (a sphere) and 5 binary ones where 1 is better: binary values
        // must never become impossible to flip, even after the distribution has converged.
        int n = 10;
        double[] steps = new double[n];
        double[] lower = filled(n, -5);
        double[] upper = filled(n, 5);
        double[] x0 = filled(n, 2);
        for (int i = 5; i < n; i++) {
            steps[i] = 1;
            lower[i] = 0;
            upper[i] = 1;
            x0[i] = 0.2;
        }
        CmaOptions o = CmaOptions.of(x0, 1).withSeed(11).withBounds(lower, upper).withSteps(steps);
        CmaEs cma = new CmaEs(o);
        double margin = 1.0 / (n * cma.populationSize());
        BestSeen bestSeen = new BestSeen();
        for (int g = 0; g < 300; g++) {
            Population pop = cma.ask();
            for (double[] x : pop.candidates()) {
                for (int i = 5; i < n; i++) {
                    assertTrue(x[i] == 0 || x[i] == 1, "binary coordinate off its grid: " + x[i]);
                }
            }
            bestSeen.see(pop, cma.tell(pop, evaluate(pop, x -> {
                double s = 0;
                for (int i = 0; i < 5; i++) {
                    s += x[i] * x[i];
                }
                for (int i = 5; i < n; i++) {
                    s += 1 - x[i];
                }
                return s;
            })));
            for (double flip : cma.integerFlipProbabilities()) {
                assertTrue(flip >= margin * (1 - 1e-6), "flip probability " + flip + " below the margin " + margin);
            }
        }
        double[] best = bestSeen.x;
        for (int i = 5; i < n; i++) {
            assertEquals(1.0, best[i], "binary coordinate " + i + " should have found 1");
        }
    }

    @Test
    void failedCandidatesAreRankedWorstAndReported() {
        CmaEs a = new CmaEs(sphereOptions(4, 9));
        CmaEs b = new CmaEs(sphereOptions(4, 9));
        Population pa = a.ask();
        Population pb = b.ask();
        double[] fa = evaluate(pa, TestProblems::sphere);
        double[] fb = fa.clone();
        // Candidate 2 fails in a; in b it gets a value worse than every other: same ranking, same update.
        int worstOtherwise = 0;
        fa[2] = Double.NaN;
        for (int k = 0; k < fb.length; k++) {
            if (k != 2 && fb[k] > fb[worstOtherwise]) {
                worstOtherwise = k;
            }
        }
        fb[2] = fb[worstOtherwise] + 1;
        TellReport report = a.tell(pa, fa);
        b.tell(pb, fb);
        assertArrayEquals(new int[] {2}, report.failed());
        CmaState sa = a.state();
        CmaState sb = b.state();
        assertArrayEquals(sb.mean(), sa.mean());
        assertEquals(sb.sigma(), sa.sigma());
        assertArrayEquals(sb.covariance(), sa.covariance());
        assertArrayEquals(sb.pSigma(), sa.pSigma());
    }

    @Test
    void tellRefusesWhatWasNotAsked() {
        CmaEs cma = new CmaEs(sphereOptions(3, 1));
        Population pop = cma.ask();
        assertThrows(IllegalArgumentException.class, () -> cma.tell(pop, new double[pop.size() - 1]));
        double[][] altered = Arrays.stream(pop.candidates()).map(double[]::clone).toArray(double[][]::new);
        altered[0][0] += 1e-9;
        assertThrows(IllegalArgumentException.class,
                () -> cma.tell(new Population(0, 0, altered), new double[pop.size()]));
        cma.tell(pop, evaluate(pop, TestProblems::sphere));
        assertThrows(IllegalStateException.class, () -> cma.tell(pop, new double[pop.size()]));
        assertNotEquals(0, cma.generation());
    }

    @Test
    void badOptionsAreRefusedWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CmaOptions.of(new double[2], 0))
                .getMessage().contains("sigma must be a positive number"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> CmaOptions.of(new double[] {5, 0}, 1).withBounds(filled(2, -1), filled(2, 1)))
                .getMessage().contains("mean[0] = 5.0 is outside its bounds"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CmaOptions.of(new double[] {Double.NaN}, 1))
                .getMessage().contains("mean[0] is NaN"));
    }

    @Test
    void stopCriteriaFireOnAConvergedRun() {
        CmaEs cma = new CmaEs(sphereOptions(3, 2));
        BestSeen best = new BestSeen();
        int g = 0;
        while (cma.shouldStop().isEmpty() && g < 5000) {
            Population pop = cma.ask();
            best.see(pop, cma.tell(pop, evaluate(pop, TestProblems::sphere)));
            g++;
        }
        assertTrue(cma.shouldStop().isPresent(), "a converged sphere run must stop");
        assertTrue(cma.finished() && cma.stopReason().isPresent());
        assertTrue(best.f < 1e-12, "and it stops only once converged: " + best.f);
    }

    /** The best candidate told so far, minimizing: what a caller keeps (an optimizer keeps no best of its own). */
    static final class BestSeen {
        double[] x;
        double f = Double.POSITIVE_INFINITY;

        void see(Population pop, TellReport r) {
            if (r.bestFitness() < f) {
                f = r.bestFitness();
                x = pop.candidate(r.bestIndex());
            }
        }
    }

    static double[] filled(int n, double v) {
        double[] out = new double[n];
        Arrays.fill(out, v);
        return out;
    }
}
