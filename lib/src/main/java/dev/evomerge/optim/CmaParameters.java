package dev.evomerge.optim;

/**
 * The strategy parameters of CMA-ES, named and computed as in Hansen, "The CMA Evolution
 * Strategy: A Tutorial" (arXiv:1604.00772), with the equation numbers of its appendix A. The
 * separable variant (Ros and Hansen 2008) learns a diagonal covariance, so its learning rates
 * are scaled up by (n + 2) / 3 and its cumulation constants use the diagonal's formulas, as in
 * the {@code cmaes} library's SepCMA.
 */
public record CmaParameters(
        int n,
        int lambda,
        int mu,
        double[] weights, // lambda entries: mu positive, then negative (active CMA, eq. 53)
        double muEff,
        double cSigma,
        double dSigma,
        double cC,
        double c1,
        double cMu,
        double cM,
        double chiN) {

    public static CmaParameters of(int n, int lambda, boolean separable) {
        if (n < 1) {
            throw new IllegalArgumentException("dimension must be at least 1, got " + n);
        }
        if (lambda < 2) {
            throw new IllegalArgumentException("population size must be at least 2, got " + lambda);
        }
        int mu = lambda / 2;
        // (eq. 49) raw weights, positive for the better half
        double[] raw = new double[lambda];
        for (int i = 0; i < lambda; i++) {
            raw[i] = Math.log((lambda + 1) / 2.0) - Math.log(i + 1);
        }
        double muEff = sq(sum(raw, 0, mu)) / sumSq(raw, 0, mu);
        double muEffMinus = lambda > mu ? sq(sum(raw, mu, lambda)) / sumSq(raw, mu, lambda) : 0;

        double alphaCov = 2;
        double c1 = alphaCov / (sq(n + 1.3) + muEff);
        double cMu = Math.min(1 - c1 - 1e-8, // 1e-8 keeps 1 - c1 - cMu > 0 for huge populations
                alphaCov * (muEff - 2 + 1 / muEff) / (sq(n + 2) + alphaCov * muEff / 2));
        double cSigma = (muEff + 2) / (n + muEff + 5); // (eq. 55)
        double cC = (4 + muEff / n) / (n + 4 + 2 * muEff / n); // (eq. 56)
        if (separable) {
            c1 = Math.min(1, c1 * (n + 2) / 3.0);
            cMu = Math.min(1 - c1 - 1e-8, cMu * (n + 2) / 3.0);
            cSigma = (muEff + 2) / (n + muEff + 3);
            cC = 4.0 / (n + 4);
        }
        double dSigma = 1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (n + 1)) - 1) + cSigma; // (eq. 55)

        // (eq. 50-53) negative weights scaled so the covariance stays positive definite
        double alphaMuMinus = 1 + c1 / cMu;
        double alphaMuEffMinus = 1 + 2 * muEffMinus / (muEff + 2);
        double alphaPosDefMinus = (1 - c1 - cMu) / (n * cMu);
        double alphaMin = Math.min(alphaMuMinus, Math.min(alphaMuEffMinus, alphaPosDefMinus));
        double positiveSum = 0;
        double negativeSum = 0;
        for (double w : raw) {
            if (w > 0) {
                positiveSum += w;
            } else {
                negativeSum -= w;
            }
        }
        double[] weights = new double[lambda];
        for (int i = 0; i < lambda; i++) {
            weights[i] = raw[i] >= 0 ? raw[i] / positiveSum : alphaMin * raw[i] / negativeSum;
        }
        double chiN = Math.sqrt(n) * (1 - 1.0 / (4 * n) + 1.0 / (21.0 * n * n)); // E||N(0, I)||
        return new CmaParameters(n, lambda, mu, weights, muEff, cSigma, dSigma, cC, c1, cMu, 1.0, chiN);
    }

    /** The default population size, 4 + floor(3 ln n) (eq. 48). */
    public static int defaultLambda(int n) {
        return 4 + (int) Math.floor(3 * Math.log(n));
    }

    public double weightSum() {
        return sum(weights, 0, weights.length);
    }

    private static double sum(double[] xs, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += xs[i];
        }
        return s;
    }

    private static double sumSq(double[] xs, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += xs[i] * xs[i];
        }
        return s;
    }

    private static double sq(double x) {
        return x * x;
    }
}
