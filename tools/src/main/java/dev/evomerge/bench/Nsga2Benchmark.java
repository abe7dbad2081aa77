package dev.evomerge.bench;

import dev.evomerge.TestProblems;
import dev.evomerge.optim.Hypervolume;
import dev.evomerge.optim.NondominatedSorting;
import dev.evomerge.optim.Nsga2;
import dev.evomerge.optim.Nsga2Options;
import dev.evomerge.optim.Population;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import org.moeaframework.algorithm.NSGAII;
import org.moeaframework.core.NondominatedPopulation;
import org.moeaframework.core.PRNG;
import org.moeaframework.core.Problem;
import org.moeaframework.core.Solution;
import org.moeaframework.problem.DTLZ.DTLZ2;
import org.moeaframework.problem.ZDT.ZDT1;
import org.moeaframework.problem.ZDT.ZDT2;
import org.moeaframework.problem.ZDT.ZDT3;

/**
 * {@code scripts/bench nsga2 [SEEDS]}: the hypervolume of our NSGA-II's final non-dominated set
 * against the MOEA Framework's NSGA-II (its defaults: SBX and polynomial mutation) on ZDT1-3 and
 * three-objective DTLZ2, same population (100) and evaluation budget, per seed; the median of
 * the per-seed ratios ours / theirs. Both are judged by the same hypervolume code (ours, exact;
 * cross-checked against MOEA's on their own results). Then the time of one ask + tell at
 * population 100 (30 genes, two objectives), evaluations excluded.
 */
public final class Nsga2Benchmark {
    private static final int POPULATION = 100;

    private Nsga2Benchmark() {
    }

    private record Case(String name, Problem peer, Function<double[], double[]> f, int genes, int objectives, double[] reference,
                        int evaluations) {
    }

    public static void main(String[] args) {
        int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 11;
        Case[] cases = {
            new Case("ZDT1", new ZDT1(), TestProblems::zdt1, 30, 2, new double[] {1.1, 1.1}, 25_000),
            new Case("ZDT2", new ZDT2(), TestProblems::zdt2, 30, 2, new double[] {1.1, 1.1}, 25_000),
            new Case("ZDT3", new ZDT3(), TestProblems::zdt3, 30, 2, new double[] {1.1, 1.1}, 25_000),
            new Case("DTLZ2 (3 obj)", new DTLZ2(3), x -> TestProblems.dtlz2(x, 3), 12, 3, new double[] {1.1, 1.1, 1.1}, 30_000),
        };
        System.out.printf(Locale.ROOT, "hypervolume of the final non-dominated set, population %d, %d seeds%n", POPULATION, seeds);
        System.out.printf(Locale.ROOT, "%-14s %12s %12s %12s %14s %14s%n", "problem", "evaluations", "ours", "moea", "median ratio",
                "ratio range");
        for (Case c : cases) {
            double[] ours = new double[seeds];
            double[] theirs = new double[seeds];
            double[] ratio = new double[seeds];
            for (int s = 0; s < seeds; s++) {
                ours[s] = Hypervolume.of(ours(c, s), c.reference());
                theirs[s] = Hypervolume.of(moea(c, s), c.reference());
                ratio[s] = ours[s] / theirs[s];
            }
            double[] sorted = ratio.clone();
            Arrays.sort(sorted);
            System.out.printf(Locale.ROOT, "%-14s %12d %12.5f %12.5f %14.4f %6.3f-%.3f%n", c.name(), c.evaluations(), median(ours),
                    median(theirs), median(ratio), sorted[0], sorted[sorted.length - 1]);
        }
        timeAskTell();
    }

    /** The final non-dominated values of our NSGA-II after {@code evaluations} evaluations (initial population included). */
    private static double[][] ours(Case c, long seed) {
        double[] lo = new double[c.genes()];
        double[] hi = new double[c.genes()];
        Arrays.fill(hi, 1);
        Nsga2 o = new Nsga2(Nsga2Options.of(lo, hi, POPULATION, c.objectives()).withSeed(seed));
        for (int evals = 0; evals < c.evaluations(); evals += POPULATION) {
            Population pop = o.ask();
            o.tell(pop, Arrays.stream(pop.candidates()).map(c.f()).toArray(double[][]::new));
        }
        double[][] values = o.parentValues();
        int[] rank = NondominatedSorting.ranks(values);
        return java.util.stream.IntStream.range(0, values.length).filter(i -> rank[i] == 0).mapToObj(i -> values[i])
                .toArray(double[][]::new);
    }

    private static double[][] moea(Case c, long seed) {
        PRNG.setSeed(seed);
        NSGAII algorithm = new NSGAII(c.peer());
        algorithm.setInitialPopulationSize(POPULATION);
        algorithm.run(c.evaluations());
        NondominatedPopulation result = algorithm.getResult();
        double[][] values = new double[result.size()][];
        for (int i = 0; i < result.size(); i++) {
            Solution s = result.get(i);
            values[i] = s.getObjectives();
        }
        return values;
    }

    private static void timeAskTell() {
        double[] lo = new double[30];
        double[] hi = new double[30];
        Arrays.fill(hi, 1);
        Nsga2 o = new Nsga2(Nsga2Options.of(lo, hi, POPULATION, 2).withSeed(1));
        long nanos = 0;
        int timed = 0;
        for (int g = 0; g < 600; g++) {
            long t0 = System.nanoTime();
            Population pop = o.ask();
            long t1 = System.nanoTime();
            double[][] v = Arrays.stream(pop.candidates()).map(TestProblems::zdt1).toArray(double[][]::new);
            long t2 = System.nanoTime();
            o.tell(pop, v);
            long t3 = System.nanoTime();
            if (g >= 100) { // after the JIT has warmed up
                nanos += (t1 - t0) + (t3 - t2);
                timed++;
            }
        }
        System.out.printf(Locale.ROOT, "ask + tell, population %d, 30 genes, 2 objectives: %.3f ms per generation (goal < 5 ms)%n",
                POPULATION, nanos / 1e6 / timed);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
