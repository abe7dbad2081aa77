package dev.evomerge.optim;

import java.util.Arrays;

/**
 * How to start CMA-ES. Everything but the initial mean and sigma has a default:
 * population {@code 4 + floor(3 ln n)}, no bounds, unit scaling, full covariance, no integer
 * coordinates, minimization.
 *
 * @param mean          initial mean x0
 * @param sigma         initial step size sigma0
 * @param populationSize lambda, or 0 for the default
 * @param seed          every random number comes from this seed, the restart and the generation
 * @param lower         lower bounds per coordinate, or null (unbounded)
 * @param upper         upper bounds per coordinate, or null
 * @param scaling       per-coordinate standard deviation factors (C0 = diag(scaling^2)), or null
 * @param separable     diagonal covariance (for thousands of dimensions)
 * @param steps         grid step per coordinate, 0 for continuous ones (CMA-ES with margin), or null
 * @param margin        the margin alpha, or 0 for the default 1 / (n lambda)
 * @param maximize      maximize the fitness instead of minimizing it
 * @param maxResampling how often to resample an out-of-bounds candidate before clipping it
 */
public record CmaOptions(
        double[] mean,
        double sigma,
        int populationSize,
        long seed,
        double[] lower,
        double[] upper,
        double[] scaling,
        boolean separable,
        double[] steps,
        double margin,
        boolean maximize,
        int maxResampling) {

    public static final int DEFAULT_MAX_RESAMPLING = 100;

    public CmaOptions {
        int n = mean.length;
        if (n == 0) {
            throw new IllegalArgumentException("the mean must have at least one coordinate");
        }
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("sigma must be a positive number, got " + sigma);
        }
        if (populationSize == 1 || populationSize < 0) {
            throw new IllegalArgumentException("population size must be at least 2 (or 0 for the default), got " + populationSize);
        }
        if ((lower == null) != (upper == null)) {
            throw new IllegalArgumentException("give both lower and upper bounds, or neither");
        }
        checkLength("mean", mean, n);
        checkLength("lower", lower, n);
        checkLength("upper", upper, n);
        checkLength("scaling", scaling, n);
        checkLength("steps", steps, n);
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(mean[i])) {
                throw new IllegalArgumentException("mean[" + i + "] is " + mean[i]);
            }
            if (lower != null && !(lower[i] <= mean[i] && mean[i] <= upper[i])) {
                throw new IllegalArgumentException("mean[" + i + "] = " + mean[i] + " is outside its bounds ["
                        + lower[i] + ", " + upper[i] + "]");
            }
            if (scaling != null && !(scaling[i] > 0)) {
                throw new IllegalArgumentException("scaling[" + i + "] must be positive, got " + scaling[i]);
            }
            if (steps != null && steps[i] > 0 && lower == null) {
                throw new IllegalArgumentException("integer coordinate " + i + " needs bounds");
            }
        }
        if (margin < 0 || margin >= 0.5) {
            throw new IllegalArgumentException("margin must be in (0, 0.5), or 0 for the default; got " + margin);
        }
        if (maxResampling < 0) {
            throw new IllegalArgumentException("maxResampling must be >= 0, got " + maxResampling);
        }
        mean = mean.clone();
        lower = lower == null ? null : lower.clone();
        upper = upper == null ? null : upper.clone();
        scaling = scaling == null ? null : scaling.clone();
        steps = steps == null ? null : steps.clone();
    }

    private static void checkLength(String name, double[] xs, int n) {
        if (xs != null && xs.length != n) {
            throw new IllegalArgumentException(name + " has " + xs.length + " coordinates, the mean " + n);
        }
    }

    /** Defaults for everything but the start. */
    public static CmaOptions of(double[] mean, double sigma) {
        return new CmaOptions(mean, sigma, 0, 0L, null, null, null, false, null, 0, false, DEFAULT_MAX_RESAMPLING);
    }

    public int dimension() {
        return mean.length;
    }

    /** The population size in effect: the given one, or the default for the dimension. */
    public int lambda() {
        return populationSize > 0 ? populationSize : CmaParameters.defaultLambda(mean.length);
    }

    public boolean hasIntegerCoordinates() {
        return steps != null && Arrays.stream(steps).anyMatch(s -> s > 0);
    }

    public CmaOptions withPopulationSize(int lambda) {
        return new CmaOptions(mean, sigma, lambda, seed, lower, upper, scaling, separable, steps, margin, maximize, maxResampling);
    }

    public CmaOptions withSeed(long s) {
        return new CmaOptions(mean, sigma, populationSize, s, lower, upper, scaling, separable, steps, margin, maximize, maxResampling);
    }

    public CmaOptions withBounds(double[] lo, double[] hi) {
        return new CmaOptions(mean, sigma, populationSize, seed, lo, hi, scaling, separable, steps, margin, maximize, maxResampling);
    }

    public CmaOptions withScaling(double[] sc) {
        return new CmaOptions(mean, sigma, populationSize, seed, lower, upper, sc, separable, steps, margin, maximize, maxResampling);
    }

    public CmaOptions withSeparable(boolean sep) {
        return new CmaOptions(mean, sigma, populationSize, seed, lower, upper, scaling, sep, steps, margin, maximize, maxResampling);
    }

    public CmaOptions withSteps(double[] st) {
        return new CmaOptions(mean, sigma, populationSize, seed, lower, upper, scaling, separable, st, margin, maximize, maxResampling);
    }

    public CmaOptions withMargin(double m) {
        return new CmaOptions(mean, sigma, populationSize, seed, lower, upper, scaling, separable, steps, m, maximize, maxResampling);
    }

    public CmaOptions withMaximize(boolean max) {
        return new CmaOptions(mean, sigma, populationSize, seed, lower, upper, scaling, separable, steps, margin, max, maxResampling);
    }

    public CmaOptions withMean(double[] m) {
        return new CmaOptions(m, sigma, populationSize, seed, lower, upper, scaling, separable, steps, margin, maximize, maxResampling);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CmaOptions x && Arrays.equals(mean, x.mean) && sigma == x.sigma
                && populationSize == x.populationSize && seed == x.seed && Arrays.equals(lower, x.lower)
                && Arrays.equals(upper, x.upper) && Arrays.equals(scaling, x.scaling) && separable == x.separable
                && Arrays.equals(steps, x.steps) && margin == x.margin && maximize == x.maximize
                && maxResampling == x.maxResampling;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(mean) * 31 + Long.hashCode(seed);
    }
}
