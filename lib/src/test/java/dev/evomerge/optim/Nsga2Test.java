package dev.evomerge.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.TestProblems;
import java.util.Arrays;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class Nsga2Test {

    private static Nsga2Options zdtOptions(long seed) {
        double[] lo = new double[30];
        double[] hi = new double[30];
        Arrays.fill(hi, 1);
        return Nsga2Options.of(lo, hi, 100, 2).withSeed(seed);
    }

    private static double[][] evaluate(Population pop, Function<double[], double[]> f) {
        return Arrays.stream(pop.candidates()).map(f).toArray(double[][]::new);
    }

    private static void run(Nsga2 o, Function<double[], double[]> f, int generations) {
        for (int g = 0; g < generations; g++) {
            Population pop = o.ask();
            o.tell(pop, evaluate(pop, f));
        }
    }

    @Test
    void convergesOnZdt1TowardsItsKnownHypervolume() {
        Nsga2 o = new Nsga2(zdtOptions(1));
        run(o, TestProblems::zdt1, 100);
        // the front f2 = 1 - sqrt(f1) dominates 1 - 1/3 = 2/3 of the unit square (reference (1, 1))
        double hv = Hypervolume.of(o.parentValues(), new double[] {1, 1});
        assertTrue(hv > 0.62 && hv <= 2.0 / 3, "hypervolume " + hv);
        for (double[] x : o.parents()) {
            for (int i = 0; i < x.length; i++) {
                assertTrue(x[i] >= 0 && x[i] <= 1, "inside the bounds");
            }
        }
    }

    @Test
    void spreadsAlongDtlz2sSphereInThreeObjectives() {
        double[] lo = new double[12];
        double[] hi = new double[12];
        Arrays.fill(hi, 1);
        Nsga2 o = new Nsga2(Nsga2Options.of(lo, hi, 92, 3).withSeed(4));
        run(o, x -> TestProblems.dtlz2(x, 3), 150);
        double meanRadius = Arrays.stream(o.parentValues()).mapToDouble(f -> Math.sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]))
                .average().orElseThrow();
        assertEquals(1.0, meanRadius, 0.03, "the front is the unit sphere");
        // the sphere's octant leaves 1.1^3 - pi/6 of the reference box; 92 points cover most of it
        double hv = Hypervolume.of(o.parentValues(), new double[] {1.1, 1.1, 1.1});
        double optimum = 1.331 - Math.PI / 6;
        assertTrue(hv > 0.8 * optimum && hv < optimum, hv + " of " + optimum);
    }

    @Test
    void sameSeedSamePopulationsAndAskIsRepeatable() {
        Nsga2 a = new Nsga2(zdtOptions(5));
        Nsga2 b = new Nsga2(zdtOptions(5));
        run(a, TestProblems::zdt2, 7);
        run(b, TestProblems::zdt2, 7);
        assertTrue(a.ask().sameAs(b.ask()));
        assertTrue(a.ask().sameAs(a.ask()));
        Nsga2 c = new Nsga2(zdtOptions(6));
        run(c, TestProblems::zdt2, 7);
        assertTrue(!a.ask().sameAs(c.ask()), "another seed searches elsewhere");
    }

    @Test
    void stateThroughJsonContinuesBitForBit() {
        Nsga2 a = new Nsga2(zdtOptions(9));
        run(a, TestProblems::zdt3, 5);
        Nsga2 b = (Nsga2) OptimizerState.fromJson(a.state().toJson()).restore();
        run(a, TestProblems::zdt3, 5);
        run(b, TestProblems::zdt3, 5);
        assertTrue(a.ask().sameAs(b.ask()));
        assertArrayEquals(a.parentValues(), b.parentValues());
    }

    @Test
    void survivorsAreTheBestFrontsOfParentsAndOffspring() {
        // minimize (x, 1 - x) on one gene: every point is on the front, so crowding decides; then (x, x) on a second
        Nsga2 o = new Nsga2(Nsga2Options.of(new double[] {0, 0}, new double[] {1, 1}, 8, 2).withSeed(2));
        Function<double[], double[]> f = x -> new double[] {x[0] + x[1], 1 - x[0] + x[1]};
        Population first = o.ask();
        TellReport told = o.tell(first, evaluate(first, f));
        int[] expectedRanks = NondominatedSorting.ranks(evaluate(first, f));
        assertArrayEquals(expectedRanks, told.paretoRank(), "generation 0 is ranked on its own");
        Population second = o.ask();
        double[][] pool = new double[16][];
        for (int i = 0; i < 8; i++) {
            pool[i] = f.apply(first.candidate(i));
            pool[8 + i] = f.apply(second.candidate(i));
        }
        told = o.tell(second, evaluate(second, f));
        int[] poolRanks = NondominatedSorting.ranks(pool);
        assertArrayEquals(Arrays.copyOfRange(poolRanks, 8, 16), told.paretoRank(), "offspring are ranked among parents and offspring");
        // every survivor's rank is no worse than any non-survivor's
        int worstSurvivor = Arrays.stream(o.parentValues()).mapToInt(v -> poolRanks[indexOf(pool, v)]).max().orElseThrow();
        for (int i = 0; i < 16; i++) {
            if (poolRanks[i] < worstSurvivor) {
                assertTrue(containsRow(o.parentValues(), pool[i]), "a better-ranked vector survived: " + Arrays.toString(pool[i]));
            }
        }
    }

    private static int indexOf(double[][] rows, double[] row) {
        for (int i = 0; i < rows.length; i++) {
            if (Arrays.equals(rows[i], row)) {
                return i;
            }
        }
        throw new AssertionError("not found: " + Arrays.toString(row));
    }

    private static boolean containsRow(double[][] rows, double[] row) {
        return Arrays.stream(rows).anyMatch(r -> Arrays.equals(r, row));
    }

    @Test
    void failedCandidatesNeverSurviveWhileFeasibleOnesAreLeft() {
        Nsga2 o = new Nsga2(zdtOptions(3));
        for (int g = 0; g < 4; g++) {
            Population pop = o.ask();
            double[][] v = evaluate(pop, TestProblems::zdt1);
            for (int c = 0; c < v.length; c += 3) {
                v[c] = new double[] {Double.NaN, Double.NaN}; // a third fail
            }
            TellReport r = o.tell(pop, v);
            assertEquals((v.length + 2) / 3, r.failed().length);
            for (int c : r.failed()) {
                assertEquals(Arrays.stream(r.paretoRank()).max().orElseThrow(), r.paretoRank()[c], "failed: the last front");
            }
        }
        for (double[] v : o.parentValues()) {
            assertTrue(NondominatedSorting.feasible(v), "only feasible parents survive (there are enough)");
        }
    }

    @Test
    void maximizingIsMinimizingTheNegation() {
        Nsga2 min = new Nsga2(zdtOptions(8));
        Nsga2 max = new Nsga2(zdtOptions(8).withMaximize(true));
        for (int g = 0; g < 6; g++) {
            Population p = min.ask();
            Population q = max.ask();
            assertTrue(p.sameAs(q));
            double[][] v = evaluate(p, TestProblems::zdt1);
            min.tell(p, v);
            max.tell(q, Arrays.stream(v).map(f -> new double[] {-f[0], -f[1]}).toArray(double[][]::new));
        }
        assertTrue(min.ask().sameAs(max.ask()));
    }

    @Test
    void binaryGenesTakeOnlyTheirBoundsAndTheInitialPointIsTheFirstMember() {
        double[] lo = {-1, -1, -1, -1, 0};
        double[] hi = {1, 1, 1, 1, 2};
        boolean[] binary = {true, true, true, true, false};
        Nsga2 o = new Nsga2(Nsga2Options.of(lo, hi, 12, 2).withBinary(binary).withInitial(new double[] {0.5, 0, 0.5, -0.7, 1})
                .withSeed(1).withVariation(1.0, 20, 0.3, 20));
        Population first = o.ask();
        assertArrayEquals(new double[] {1, -1, 1, -1, 1}, first.candidate(0), "snapped to the nearer bound; real genes as given");
        Function<double[], double[]> f = x -> new double[] {Arrays.stream(x).limit(4).filter(b -> b > 0).count(), -x[4]};
        o.tell(first, evaluate(first, f));
        boolean realMoved = false;
        for (int g = 0; g < 10; g++) {
            Population pop = o.ask();
            for (double[] x : pop.candidates()) {
                for (int i = 0; i < 4; i++) {
                    assertTrue(x[i] == -1 || x[i] == 1, "binary gene " + i + " = " + x[i]);
                }
                realMoved |= x[4] != 1 && x[4] > 0 && x[4] < 2;
            }
            o.tell(pop, evaluate(pop, f));
        }
        assertTrue(realMoved);
    }

    @Test
    void refusesAForeignPopulationAndWrongVectors() {
        Nsga2 o = new Nsga2(zdtOptions(1));
        Population pop = o.ask();
        assertThrows(IllegalArgumentException.class, () -> o.tell(pop, new double[pop.size()][1]));
        assertThrows(IllegalArgumentException.class, () -> o.tell(new Population(0, 3, pop.candidates()), evaluate(pop, TestProblems::zdt1)));
        assertThrows(IllegalArgumentException.class, () -> Nsga2Options.of(new double[] {0}, new double[] {1}, 5, 2));
        assertNotEquals(0, pop.size());
    }
}
