package dev.evomerge.optim;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * CMA-ES with an ask/tell interface (Hansen, "The CMA Evolution Strategy: A Tutorial",
 * arXiv:1604.00772), as the driver of an evolve run needs it: {@link #ask} hands out a whole
 * population, Spark evaluates it, {@link #tell} updates the distribution. Active CMA (negative
 * weights), box bounds (resample, then clip), per-coordinate scaling, a separable (diagonal)
 * variant, and integer coordinates with a margin. Names follow the tutorial and the
 * {@code cmaes} library; comments give the tutorial's equation numbers.
 *
 * <p>Commons Math's {@code CMAESOptimizer} cannot serve here: it calls the fitness one
 * candidate at a time inside {@code optimize}.
 */
public final class CmaEs implements Optimizer {
    private static final double MEAN_MAX = 1e32;
    private static final double SIGMA_MAX = 1e32;
    private static final double TOL_FUN = 1e-12;
    private static final double TOL_X_UP = 1e4;
    private static final double TOL_CONDITION_COV = 1e14;

    private final CmaOptions options;
    private final CmaParameters p;
    private final int restart;
    private final Covariance cov;
    private final Margin margin;
    private final double[] mean;
    private double sigma;
    private double[] pSigma;
    private double[] pC;
    private int generation;
    private final double tolX;
    private final int funHistoryLength;
    private final double[] funHistory;

    private Population pending;
    private double[][] pendingForTell; // raw samples behind the encoded candidates

    public CmaEs(CmaOptions options) {
        this(options, 0, options.lambda());
    }

    /** A fresh start: restart {@code restart} of an IPOP run, with population {@code lambda}. */
    CmaEs(CmaOptions options, int restart, int lambda) {
        this(options, restart, lambda, initialCovariance(options, lambda), null);
    }

    private CmaEs(CmaOptions options, int restart, int lambda, Covariance cov, double[] marginScale) {
        this.options = options;
        this.restart = restart;
        int n = options.dimension();
        this.p = CmaParameters.of(n, lambda, options.separable());
        this.cov = cov;
        this.mean = options.mean().clone();
        this.sigma = options.sigma();
        this.pSigma = new double[n];
        this.pC = new double[n];
        this.tolX = 1e-12 * options.sigma();
        this.funHistoryLength = 10 + (int) Math.ceil(30.0 * n / lambda);
        this.funHistory = new double[2 * funHistoryLength];
        Arrays.fill(funHistory, Double.NaN);
        double alpha = options.margin() > 0 ? options.margin() : 1.0 / (n * lambda);
        this.margin = options.hasIntegerCoordinates()
                ? new Margin(options.lower(), options.upper(), options.steps(), alpha, marginScale)
                : null;
    }

    /** C0 = diag(scaling^2), the identity without scaling. */
    private static Covariance initialCovariance(CmaOptions o, int lambda) {
        double[] variances = new double[o.dimension()];
        for (int i = 0; i < variances.length; i++) {
            variances[i] = o.scaling() == null ? 1.0 : o.scaling()[i] * o.scaling()[i];
        }
        return o.separable() ? new DiagonalCovariance(variances)
                : FullCovariance.diagonal(variances, decompositionGap(o, lambda));
    }

    /** Generations between eigendecompositions: pycma's lazy gap, 0.5 / (n (c1 + c_mu)), at least 1. */
    private static int decompositionGap(CmaOptions o, int lambda) {
        CmaParameters p = CmaParameters.of(o.dimension(), lambda, false);
        return Math.max(1, (int) Math.floor(0.5 / (o.dimension() * (p.c1() + p.cMu()))));
    }

    /** Restores an optimizer from {@link #state()}; it continues exactly where the original was. */
    public static CmaEs fromState(CmaState s) {
        int n = s.options().dimension();
        Covariance restored = s.options().separable() ? new DiagonalCovariance(s.covariance())
                : FullCovariance.fromValues(n, s.covariance(), decompositionGap(s.options(), s.lambda()), s.factors());
        CmaEs c = new CmaEs(s.options(), s.restart(), s.lambda(), restored, s.marginScale());
        System.arraycopy(s.mean(), 0, c.mean, 0, n);
        c.sigma = s.sigma();
        c.pSigma = s.pSigma().clone();
        c.pC = s.pC().clone();
        c.generation = s.generation();
        System.arraycopy(s.funHistory(), 0, c.funHistory, 0, c.funHistory.length);
        return c;
    }

    @Override
    public CmaState state() {
        return new CmaState(options, restart, p.lambda(), generation, mean.clone(), sigma, cov.values(),
                cov instanceof FullCovariance full ? full.factors() : null,
                pSigma.clone(), pC.clone(), funHistory.clone(), margin == null ? null : margin.scale());
    }

    public CmaParameters parameters() {
        return p;
    }

    @Override
    public int populationSize() {
        return p.lambda();
    }

    /** CMA-ES optimizes one objective. */
    @Override
    public int objectives() {
        return 1;
    }

    public int generation() {
        return generation;
    }

    public int restart() {
        return restart;
    }

    public double sigma() {
        return sigma;
    }

    public double[] mean() {
        return mean.clone();
    }

    /**
     * The next generation's population. Asking again before telling returns the same population:
     * the samples are a function of (seed, restart, generation) alone, which is also what makes a
     * resumed optimizer ask exactly what the original would have.
     */
    @Override
    public Population ask() {
        if (pending != null) {
            return pending;
        }
        StandardNormal rng = new StandardNormal((int) (options.seed() >>> 32), (int) options.seed(), restart, generation);
        int n = p.n();
        double[][] candidates = new double[p.lambda()][];
        pendingForTell = new double[p.lambda()][];
        for (int k = 0; k < p.lambda(); k++) {
            double[] x = null;
            for (int attempt = 0; attempt <= options.maxResampling(); attempt++) {
                x = sample(rng, n);
                if (continuousFeasible(x)) {
                    break;
                }
                if (attempt == options.maxResampling()) {
                    x = clipContinuous(sample(rng, n)); // as the cmaes library: one more sample, clipped
                }
            }
            pendingForTell[k] = x;
            candidates[k] = margin == null ? x.clone() : margin.encode(x, mean);
        }
        pending = new Population(restart, generation, candidates);
        return pending;
    }

    private double[] sample(StandardNormal rng, int n) {
        double[] z = new double[n];
        for (int i = 0; i < n; i++) {
            z[i] = rng.next(); // z ~ N(0, I)
        }
        double[] y = cov.sample(z); // y ~ N(0, C)
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = mean[i] + sigma * y[i]; // x ~ N(m, sigma^2 C)
        }
        return x;
    }

    private boolean continuousFeasible(double[] x) {
        if (options.lower() == null) {
            return true;
        }
        for (int i = 0; i < x.length; i++) {
            if ((margin == null || !margin.isDiscrete(i)) && (x[i] < options.lower()[i] || x[i] > options.upper()[i])) {
                return false;
            }
        }
        return true;
    }

    private double[] clipContinuous(double[] x) {
        if (options.lower() == null) {
            return x;
        }
        for (int i = 0; i < x.length; i++) {
            if (margin == null || !margin.isDiscrete(i)) {
                x[i] = Math.min(options.upper()[i], Math.max(options.lower()[i], x[i]));
            }
        }
        return x;
    }

    /** {@link #tell(Population, double[])} with one objective value per candidate, as the {@link Optimizer} seam tells it. */
    @Override
    public TellReport tell(Population population, double[][] objectives) {
        double[] fitness = new double[objectives.length];
        for (int c = 0; c < objectives.length; c++) {
            if (objectives[c].length != 1) {
                throw new IllegalArgumentException("CMA-ES optimizes one objective; candidate " + c + " has " + objectives[c].length);
            }
            fitness[c] = objectives[c][0];
        }
        return tell(population, fitness);
    }

    /**
     * Updates the distribution with the fitness of the population {@link #ask} gave. A NaN or
     * infinite fitness (a candidate that failed) is ranked worst and listed in the report.
     */
    public TellReport tell(Population population, double[] fitness) {
        if (pending == null) {
            throw new IllegalStateException("tell without ask: generation " + generation + " has no population out");
        }
        if (!pending.sameAs(population)) {
            throw new IllegalArgumentException("tell with a population that was not asked (expected restart "
                    + restart + " generation " + generation + ", " + p.lambda() + " candidates)");
        }
        if (fitness.length != p.lambda()) {
            throw new IllegalArgumentException("tell with " + fitness.length + " fitness values for "
                    + p.lambda() + " candidates");
        }
        int n = p.n();
        double sign = options.maximize() ? -1 : 1;
        int[] failed = IntStream.range(0, fitness.length).filter(i -> !Double.isFinite(fitness[i])).toArray();
        // Rank: finite values ascending (after the sign), failures last, ties by index (deterministic).
        Integer[] order = IntStream.range(0, fitness.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingInt(i -> Double.isFinite(fitness[i]) ? 0 : 1)
                .thenComparingDouble(i -> Double.isFinite(fitness[i]) ? sign * fitness[i] : 0)
                .thenComparingInt(i -> i));
        int best = order[0];
        recordFunHistory(sign, fitness, order);

        double[][] y = new double[p.lambda()][n]; // y_k = (x_k - m) / sigma, sorted best first
        for (int k = 0; k < p.lambda(); k++) {
            double[] x = pendingForTell[order[k]];
            for (int i = 0; i < n; i++) {
                y[k][i] = (x[i] - mean[i]) / sigma;
            }
        }
        // (eq. 41) selection and recombination
        double[] yW = new double[n];
        for (int k = 0; k < p.mu(); k++) {
            for (int i = 0; i < n; i++) {
                yW[i] += p.weights()[k] * y[k][i];
            }
        }
        for (int i = 0; i < n; i++) {
            mean[i] += p.cM() * sigma * yW[i]; // (eq. 42)
        }
        // (eq. 43) step-size path, (eq. 44) step-size update
        double[] whitened = cov.invSqrtTimes(yW);
        double cs = Math.sqrt(p.cSigma() * (2 - p.cSigma()) * p.muEff());
        for (int i = 0; i < n; i++) {
            pSigma[i] = (1 - p.cSigma()) * pSigma[i] + cs * whitened[i];
        }
        double normPSigma = norm(pSigma);
        sigma *= Math.exp((p.cSigma() / p.dSigma()) * (normPSigma / p.chiN() - 1));
        sigma = Math.min(sigma, SIGMA_MAX);

        // (p. 28) h_sigma stalls the rank-one path while the step size grows fast; g counts from 1
        // at the first tell, and the exponent is 2 (g + 1) as in the cmaes library.
        double hSigmaLeft = normPSigma / Math.sqrt(1 - Math.pow(1 - p.cSigma(), 2 * (generation + 2)));
        double hSigma = hSigmaLeft < (1.4 + 2.0 / (n + 1)) * p.chiN() ? 1.0 : 0.0;
        // (eq. 45) covariance path
        double cc = Math.sqrt(p.cC() * (2 - p.cC()) * p.muEff());
        for (int i = 0; i < n; i++) {
            pC[i] = (1 - p.cC()) * pC[i] + hSigma * cc * yW[i];
        }
        // (eq. 46) negative weights are rescaled by n / ||C^(-1/2) y||^2
        double[] wIo = new double[p.lambda()];
        for (int k = 0; k < p.lambda(); k++) {
            double w = p.weights()[k];
            wIo[k] = w >= 0 ? w : w * n / (sq(norm(cov.invSqrtTimes(y[k]))) + 1e-8);
        }
        // (eq. 47) covariance update
        double deltaHSigma = (1 - hSigma) * p.cC() * (2 - p.cC());
        double decay = 1 + p.c1() * deltaHSigma - p.c1() - p.cMu() * p.weightSum();
        cov.update(decay, p.c1(), pC, p.cMu(), wIo, y);

        if (margin != null) {
            margin.correct(mean, sigma, cov.diagonal());
        }
        for (double m : mean) {
            if (!(Math.abs(m) < MEAN_MAX)) {
                throw new IllegalStateException("the mean diverged (|m| >= " + MEAN_MAX + ")");
            }
        }
        generation++;
        pending = null;
        pendingForTell = null;
        return new TellReport(generation - 1, failed, best, fitness[best]);
    }

    private void recordFunHistory(double sign, double[] fitness, Integer[] order) {
        double bestValue = sign * fitness[order[0]];
        double worstValue = bestValue;
        for (double f : fitness) {
            if (Double.isFinite(f)) {
                worstValue = Math.max(worstValue, sign * f);
            }
        }
        int slot = 2 * ((generation + 1) % funHistoryLength);
        funHistory[slot] = bestValue;
        funHistory[slot + 1] = worstValue;
    }

    @Override
    public Optional<String> stopReason() {
        return shouldStop().map(Enum::name);
    }

    /** Why this run should stop, if it should (the {@code cmaes} library's criteria). */
    public Optional<StopReason> shouldStop() {
        int n = p.n();
        double[] dC = cov.diagonal();
        if (generation > funHistoryLength) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (double f : funHistory) {
                lo = Math.min(lo, f);
                hi = Math.max(hi, f);
            }
            if (hi - lo < TOL_FUN) {
                return Optional.of(StopReason.TOL_FUN);
            }
        }
        boolean allSmall = true;
        for (int i = 0; i < n && allSmall; i++) {
            allSmall = sigma * dC[i] < tolX && sigma * pC[i] < tolX;
        }
        if (allSmall) {
            return Optional.of(StopReason.TOL_X);
        }
        double[] d = cov.axisLengths();
        double dMax = Arrays.stream(d).max().orElse(0);
        double dMin = Arrays.stream(d).min().orElse(0);
        if (sigma * dMax > TOL_X_UP) {
            return Optional.of(StopReason.TOL_X_UP);
        }
        for (int i = 0; i < n; i++) {
            if (mean[i] == mean[i] + 0.2 * sigma * Math.sqrt(dC[i])) {
                return Optional.of(StopReason.NO_EFFECT_COORD);
            }
        }
        double[] axis = cov.axis(generation % n);
        boolean noEffect = true;
        for (int i = 0; i < n && noEffect; i++) {
            noEffect = mean[i] == mean[i] + 0.1 * sigma * axis[i];
        }
        if (noEffect) {
            return Optional.of(StopReason.NO_EFFECT_AXIS);
        }
        if (dMax / dMin > TOL_CONDITION_COV) {
            return Optional.of(StopReason.CONDITION_COV);
        }
        return Optional.empty();
    }

    /**
     * For integer coordinates: the probability that a sample's grid value differs from the one the
     * mean sits on. CMA-ES with margin keeps it at least about margin / 2.
     */
    public double[] integerFlipProbabilities() {
        return margin == null ? new double[0] : margin.flipProbabilities(mean, sigma, cov.diagonal());
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    private static double sq(double x) {
        return x * x;
    }
}
