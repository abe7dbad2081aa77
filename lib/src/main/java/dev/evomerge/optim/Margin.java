package dev.evomerge.optim;

import java.util.Arrays;
import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * CMA-ES with Margin (Hamano et al., "CMA-ES with Margin: Lower-Bounding Marginal Probability
 * for Mixed-Integer Black-Box Optimization", GECCO 2022, arXiv:2205.13482): integer and binary
 * coordinates are rounded to their grid for evaluation, and after each update the mean and a
 * per-coordinate scale A are corrected so the probability of leaving the current grid value
 * never falls below the margin. Without it, a 0/1 include bit of the data-flow merge freezes as
 * soon as the distribution's variance collapses around one value.
 */
final class Margin {
    private static final NormalDistribution STANDARD_NORMAL = new NormalDistribution(null, 0, 1);

    private final int[] discrete; // indices of the integer coordinates
    private final double[][] grid; // their values: lower, lower + step, ..., upper
    private final double[][] thresholds; // midpoints between neighbouring grid values
    private final double alpha; // the margin
    private final double[] a; // per-coordinate scale A (1 for continuous ones)

    Margin(double[] lower, double[] upper, double[] steps, double alpha, double[] a) {
        int n = steps.length;
        this.alpha = alpha;
        this.a = a == null ? filled(n, 1.0) : a.clone();
        this.discrete = java.util.stream.IntStream.range(0, n).filter(i -> steps[i] > 0).toArray();
        this.grid = new double[discrete.length][];
        this.thresholds = new double[discrete.length][];
        for (int k = 0; k < discrete.length; k++) {
            int i = discrete[k];
            int count = (int) Math.floor((upper[i] - lower[i]) / steps[i] + 0.5) + 1;
            if (count < 2) {
                throw new IllegalArgumentException("integer coordinate " + i + " has fewer than two values in ["
                        + lower[i] + ", " + upper[i] + "] with step " + steps[i]);
            }
            grid[k] = new double[count];
            thresholds[k] = new double[count - 1];
            for (int v = 0; v < count; v++) {
                grid[k][v] = lower[i] + v * steps[i];
            }
            for (int v = 0; v < count - 1; v++) {
                thresholds[k][v] = (grid[k][v] + grid[k][v + 1]) / 2;
            }
        }
    }

    boolean isDiscrete(int coordinate) {
        return Arrays.binarySearch(discrete, coordinate) >= 0;
    }

    double[] scale() {
        return a.clone();
    }

    /** The grid value each integer coordinate of {@code x} falls on, after scaling by A around the mean. */
    double[] encode(double[] x, double[] mean) {
        double[] out = x.clone();
        for (int k = 0; k < discrete.length; k++) {
            int i = discrete[k];
            double scaled = (x[i] - mean[i]) * a[i] + mean[i];
            out[i] = grid[k][searchLeft(thresholds[k], scaled)];
        }
        return out;
    }

    /** numpy's searchsorted(side='left'): the first index whose threshold is >= v. */
    private static int searchLeft(double[] sorted, double v) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The margin correction of the paper (Algorithm 1, lines 14-22), applied after the CMA update. */
    void correct(double[] mean, double sigma, double[] cDiagonal) {
        for (int k = 0; k < discrete.length; k++) {
            int i = discrete[k];
            double[] lim = thresholds[k];
            int pos = searchLeft(lim, mean[i]);
            double limLow = lim[Math.max(0, Math.min(pos - 1, lim.length - 1))];
            double limUp = lim[Math.max(0, Math.min(pos, lim.length - 1))];
            double stdZ = sigma * a[i] * Math.sqrt(cDiagonal[i]);
            double lowCdf = STANDARD_NORMAL.cumulativeProbability((limLow - mean[i]) / stdZ);
            double upCdf = 1 - STANDARD_NORMAL.cumulativeProbability((limUp - mean[i]) / stdZ);
            double midCdf = 1 - (lowCdf + upCdf);
            if (Math.max(lowCdf, upCdf) > 0.5) {
                // The mean sits at an edge value: push it back so the far side keeps probability alpha.
                if (Math.min(lowCdf, upCdf) < alpha) {
                    double dist = sigma * a[i] * Math.sqrt(chi2Ppf(1 - 2 * alpha) * cDiagonal[i]);
                    mean[i] = limUp + Math.signum(mean[i] - limUp) * dist;
                }
                continue;
            }
            // The mean sits between two thresholds: rescale A and move the mean so both tails keep alpha / 2.
            lowCdf = Math.max(lowCdf, alpha / 2);
            upCdf = Math.max(upCdf, alpha / 2);
            double excess = 1 - lowCdf - upCdf - midCdf;
            double denominator = lowCdf + midCdf + upCdf - 3 * alpha / 2;
            double modifiedLow = clamp(lowCdf + excess * (lowCdf - alpha / 2) / denominator);
            double modifiedUp = clamp(upCdf + excess * (upCdf - alpha / 2) / denominator);
            double chiLow = Math.sqrt(chi2Ppf(1 - 2 * modifiedLow));
            double chiUp = Math.sqrt(chi2Ppf(1 - 2 * modifiedUp));
            a[i] = (limUp - limLow) / ((chiLow + chiUp) * sigma * Math.sqrt(cDiagonal[i]));
            mean[i] = (limLow * chiUp + limUp * chiLow) / (chiLow + chiUp);
        }
    }

    /** Probability that an encoded coordinate differs from what the mean encodes to, per integer coordinate. */
    double[] flipProbabilities(double[] mean, double sigma, double[] cDiagonal) {
        double[] out = new double[discrete.length];
        for (int k = 0; k < discrete.length; k++) {
            int i = discrete[k];
            double[] lim = thresholds[k];
            int pos = searchLeft(lim, mean[i]);
            double stdZ = sigma * a[i] * Math.sqrt(cDiagonal[i]);
            double below = pos > 0 ? STANDARD_NORMAL.cumulativeProbability((lim[pos - 1] - mean[i]) / stdZ) : 0;
            double above = pos < lim.length ? 1 - STANDARD_NORMAL.cumulativeProbability((lim[pos] - mean[i]) / stdZ) : 0;
            out[k] = below + above;
        }
        return out;
    }

    private static double clamp(double p) {
        return Math.min(0.5 - 1e-10, Math.max(1e-10, p));
    }

    /** Quantile of the chi-squared distribution with one degree of freedom. */
    private static double chi2Ppf(double q) {
        double z = STANDARD_NORMAL.inverseCumulativeProbability((1 + q) / 2);
        return z * z;
    }

    private static double[] filled(int n, double v) {
        double[] out = new double[n];
        Arrays.fill(out, v);
        return out;
    }
}
