package dev.evomerge.optim;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.commons.math3.random.MersenneTwister;

/**
 * NSGA-II (Deb, Pratap, Agarwal and Meyarivan, "A Fast and Elitist Multiobjective Genetic
 * Algorithm: NSGA-II", IEEE TEVC 2002) with ask/tell. Generation 0 is a random population inside
 * the bounds (with the initial point, when given, as its first member). Every later generation
 * is N offspring of the surviving parents: binary tournaments on (rank, crowding distance),
 * simulated binary crossover and polynomial mutation for real genes (the bounded forms of Deb's
 * reference code), uniform crossover and bit flips for binary ones. Telling their values joins
 * them to the parents, sorts the 2N into fronts (constraint-domination: a failed candidate, told
 * NaN, is dominated by every one that worked), and keeps the best N by front, then by crowding
 * distance (the last front that fits in part pruned one member at a time, Kukkonen and Deb 2006).
 *
 * <p>Random numbers are a function of (seed, generation), so asking twice gives the same
 * population and a restored state continues bit for bit; StrictMath keeps them equal on every JVM.
 */
public final class Nsga2 implements Optimizer {
    private final Nsga2Options options;
    private int generation;
    private double[][] parents;
    private double[][] values; // as told (the options' direction), one row per parent
    private int[] ranks;
    private double[] crowding;
    private Population pending;

    public Nsga2(Nsga2Options options) {
        this.options = options;
    }

    static Nsga2 fromState(Nsga2State s) {
        Nsga2 o = new Nsga2(s.options());
        o.generation = s.generation();
        o.parents = s.parents();
        o.values = s.values();
        o.ranks = s.ranks();
        o.crowding = s.crowding();
        return o;
    }

    @Override
    public Nsga2State state() {
        return new Nsga2State(options, generation, parents, values, ranks, crowding);
    }

    public Nsga2Options options() {
        return options;
    }

    @Override
    public int objectives() {
        return options.objectives();
    }

    @Override
    public int populationSize() {
        return options.populationSize();
    }

    /** NSGA-II runs for the budget the caller gives it; it has no stop criterion of its own. */
    @Override
    public Optional<String> stopReason() {
        return Optional.empty();
    }

    /** The surviving parents' genes (after the last tell), best front first as selected. */
    public double[][] parents() {
        return parents == null ? new double[0][] : Arrays.stream(parents).map(double[]::clone).toArray(double[][]::new);
    }

    /** The surviving parents' values, as told. */
    public double[][] parentValues() {
        return values == null ? new double[0][] : Arrays.stream(values).map(double[]::clone).toArray(double[][]::new);
    }

    @Override
    public Population ask() {
        if (pending == null) {
            MersenneTwister rng = new MersenneTwister(new int[] {(int) (options.seed() >>> 32), (int) options.seed(), generation, 2});
            pending = new Population(0, generation, parents == null ? initialPopulation(rng) : offspring(rng));
        }
        return pending;
    }

    private double[][] initialPopulation(MersenneTwister rng) {
        int n = options.dimension();
        double[][] pop = new double[options.populationSize()][n];
        for (int k = 0; k < pop.length; k++) {
            for (int i = 0; i < n; i++) {
                double lo = options.lower()[i];
                double hi = options.upper()[i];
                if (k == 0 && options.initial() != null) {
                    double x = Math.min(hi, Math.max(lo, options.initial()[i]));
                    pop[k][i] = options.isBinary(i) ? (x > (lo + hi) / 2 ? hi : lo) : x;
                } else {
                    pop[k][i] = options.isBinary(i) ? (rng.nextBoolean() ? hi : lo) : lo + rng.nextDouble() * (hi - lo);
                }
            }
        }
        return pop;
    }

    /** N children: pairs of tournament winners, crossed and mutated. */
    private double[][] offspring(MersenneTwister rng) {
        int size = options.populationSize();
        double[][] children = new double[size][];
        Tournament tournament = new Tournament(rng);
        for (int k = 0; k < size; k += 2) {
            double[] a = parents[tournament.winner()].clone();
            double[] b = parents[tournament.winner()].clone();
            crossover(rng, a, b);
            mutate(rng, a);
            mutate(rng, b);
            children[k] = a;
            children[k + 1] = b;
        }
        return children;
    }

    /**
     * Binary tournaments as Deb's reference code runs them: contestants are drawn in pairs from a
     * random permutation of the parents (a new one when it runs out), so every parent competes
     * about equally often; the lower rank wins, then the larger crowding distance, then a coin.
     */
    private final class Tournament {
        private final MersenneTwister rng;
        private int[] order = new int[0];
        private int next;

        Tournament(MersenneTwister rng) {
            this.rng = rng;
        }

        int winner() {
            if (next + 2 > order.length) {
                order = permutation(rng, parents.length);
                next = 0;
            }
            int a = order[next++];
            int b = order[next++];
            if (ranks[a] != ranks[b]) {
                return ranks[a] < ranks[b] ? a : b;
            }
            if (crowding[a] != crowding[b]) {
                return crowding[a] > crowding[b] ? a : b;
            }
            return rng.nextBoolean() ? a : b;
        }
    }

    private static int[] permutation(MersenneTwister rng, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Simulated binary crossover (Deb and Agrawal 1995), bounded as in Deb's reference code; uniform crossover for binary genes. */
    private void crossover(MersenneTwister rng, double[] a, double[] b) {
        if (rng.nextDouble() > options.crossoverProbability()) {
            return;
        }
        double eta = options.crossoverIndex();
        for (int i = 0; i < a.length; i++) {
            if (rng.nextDouble() > 0.5) {
                continue; // each gene crosses with probability 1/2
            }
            if (options.isBinary(i)) {
                double t = a[i];
                a[i] = b[i];
                b[i] = t;
                continue;
            }
            double y1 = Math.min(a[i], b[i]);
            double y2 = Math.max(a[i], b[i]);
            if (y2 - y1 <= 1e-14) {
                continue;
            }
            double lo = options.lower()[i];
            double hi = options.upper()[i];
            double u = rng.nextDouble();
            double c1 = 0.5 * (y1 + y2 - spreadFactor(u, 1 + 2 * (y1 - lo) / (y2 - y1), eta) * (y2 - y1));
            double c2 = 0.5 * (y1 + y2 + spreadFactor(u, 1 + 2 * (hi - y2) / (y2 - y1), eta) * (y2 - y1));
            c1 = Math.min(hi, Math.max(lo, c1));
            c2 = Math.min(hi, Math.max(lo, c2));
            if (rng.nextDouble() <= 0.5) {
                a[i] = c2;
                b[i] = c1;
            } else {
                a[i] = c1;
                b[i] = c2;
            }
        }
    }

    /** SBX's beta_q for a uniform u, with the distribution cut at the bound that beta measures the distance to. */
    private static double spreadFactor(double u, double beta, double eta) {
        double alpha = 2 - StrictMath.pow(beta, -(eta + 1));
        return u <= 1 / alpha ? StrictMath.pow(u * alpha, 1 / (eta + 1)) : StrictMath.pow(1 / (2 - u * alpha), 1 / (eta + 1));
    }

    /** Polynomial mutation (Deb and Goyal 1996) in the bounded form of Deb's reference code; a binary gene flips. */
    private void mutate(MersenneTwister rng, double[] x) {
        double rate = options.mutationRate();
        double eta = options.mutationIndex();
        for (int i = 0; i < x.length; i++) {
            if (rng.nextDouble() > rate) {
                continue;
            }
            double lo = options.lower()[i];
            double hi = options.upper()[i];
            if (options.isBinary(i)) {
                x[i] = x[i] == hi ? lo : hi;
                continue;
            }
            double delta1 = (x[i] - lo) / (hi - lo);
            double delta2 = (hi - x[i]) / (hi - lo);
            double u = rng.nextDouble();
            double power = 1 / (eta + 1);
            double deltaQ;
            if (u <= 0.5) {
                double v = 2 * u + (1 - 2 * u) * StrictMath.pow(1 - delta1, eta + 1);
                deltaQ = StrictMath.pow(v, power) - 1;
            } else {
                double v = 2 * (1 - u) + 2 * (u - 0.5) * StrictMath.pow(1 - delta2, eta + 1);
                deltaQ = 1 - StrictMath.pow(v, power);
            }
            x[i] = Math.min(hi, Math.max(lo, x[i] + deltaQ * (hi - lo)));
        }
    }

    /**
     * Takes the values of the population {@link #ask} gave and selects the next parents: the
     * first generation survives whole; later, the best N of parents and offspring together.
     */
    @Override
    public TellReport tell(Population population, double[][] told) {
        if (!population.sameAs(ask())) {
            throw new IllegalArgumentException("tell: population of generation " + population.generation()
                    + " is not the one asked for generation " + generation);
        }
        if (told.length != population.size()) {
            throw new IllegalArgumentException("tell: " + told.length + " value vectors for " + population.size() + " candidates");
        }
        for (double[] v : told) {
            if (v.length != options.objectives()) {
                throw new IllegalArgumentException("tell: " + v.length + " values for a candidate, expected " + options.objectives());
            }
        }
        int old = parents == null ? 0 : parents.length;
        double[][] poolX = new double[old + told.length][];
        double[][] poolValues = new double[old + told.length][];
        for (int i = 0; i < old; i++) {
            poolX[i] = parents[i];
            poolValues[i] = values[i];
        }
        for (int c = 0; c < told.length; c++) {
            poolX[old + c] = population.candidate(c);
            poolValues[old + c] = told[c].clone();
        }
        double[][] minimized = Arrays.stream(poolValues).map(this::minimized).toArray(double[][]::new);
        List<int[]> fronts = NondominatedSorting.fronts(minimized);
        int[] poolRank = new int[poolX.length];
        double[] poolCrowding = new double[poolX.length];
        int size = options.populationSize();
        int[] selected = new int[Math.min(size, poolX.length)];
        int taken = 0;
        for (int r = 0; r < fronts.size(); r++) {
            int[] front = fronts.get(r);
            double[] d = NondominatedSorting.crowding(minimized, front);
            for (int k = 0; k < front.length; k++) {
                poolRank[front[k]] = r;
                poolCrowding[front[k]] = d[k];
            }
            if (taken + front.length <= selected.length) {
                for (int member : front) {
                    selected[taken++] = member;
                }
            } else if (taken < selected.length) {
                for (int member : pruned(minimized, front, selected.length - taken)) {
                    selected[taken++] = member;
                }
            }
        }
        parents = new double[selected.length][];
        values = new double[selected.length][];
        ranks = new int[selected.length];
        crowding = new double[selected.length];
        for (int i = 0; i < selected.length; i++) {
            parents[i] = poolX[selected[i]];
            values[i] = poolValues[selected[i]];
            ranks[i] = poolRank[selected[i]];
            crowding[i] = poolCrowding[selected[i]];
        }
        int[] rank = Arrays.copyOfRange(poolRank, old, poolRank.length);
        double[] crowd = Arrays.copyOfRange(poolCrowding, old, poolCrowding.length);
        int[] failed = java.util.stream.IntStream.range(0, told.length).filter(c -> !NondominatedSorting.feasible(told[c])).toArray();
        int best = -1;
        for (int c = 0; c < told.length; c++) {
            if (NondominatedSorting.feasible(told[c]) && (best < 0 || minimized[old + c][0] < minimized[old + best][0])) {
                best = c;
            }
        }
        generation++;
        pending = null;
        return new TellReport(generation - 1, failed, best, best < 0 ? Double.NaN : told[best][0], rank, crowd);
    }

    /**
     * The {@code keep} members of a front that fits only in part: the most crowded member goes,
     * one at a time, with the crowding distances of the rest computed again after each removal
     * (Kukkonen and Deb 2006). Deb's one-shot cut by the first distances can remove two
     * neighbours that only crowded each other and leave a gap; pruning one at a time spreads the
     * survivors more evenly. Ties go to the earlier member.
     */
    private static int[] pruned(double[][] minimized, int[] front, int keep) {
        int[] members = front.clone();
        while (members.length > keep) {
            double[] d = NondominatedSorting.crowding(minimized, members);
            int worst = 0;
            for (int k = 1; k < members.length; k++) {
                if (d[k] <= d[worst]) {
                    worst = k;
                }
            }
            int[] rest = new int[members.length - 1];
            System.arraycopy(members, 0, rest, 0, worst);
            System.arraycopy(members, worst + 1, rest, worst, members.length - worst - 1);
            members = rest;
        }
        return members;
    }

    /** The told vector in the direction the sorting works in (minimization); non-finite values stay non-finite. */
    private double[] minimized(double[] v) {
        if (!options.maximize()) {
            return v;
        }
        double[] m = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            m[i] = -v[i];
        }
        return m;
    }
}
