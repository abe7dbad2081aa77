package dev.evomerge.optim;

/** A diagonal covariance: separable CMA-ES, O(n) per sample and per update. */
public final class DiagonalCovariance implements Covariance {
    private static final double EPS = 1e-8;
    private final double[] c;

    public DiagonalCovariance(double[] variances) {
        this.c = variances.clone();
    }

    @Override
    public int dimension() {
        return c.length;
    }

    @Override
    public double[] sample(double[] z) {
        double[] y = new double[c.length];
        for (int i = 0; i < c.length; i++) {
            y[i] = std(i) * z[i];
        }
        return y;
    }

    @Override
    public double[] invSqrtTimes(double[] y) {
        double[] out = new double[c.length];
        for (int i = 0; i < c.length; i++) {
            out[i] = y[i] / std(i);
        }
        return out;
    }

    private double std(int i) {
        return Math.sqrt(c[i] < 0 ? EPS : c[i]);
    }

    @Override
    public void update(double decay, double c1, double[] pc, double cMu, double[] weights, double[][] ys) {
        for (int j = 0; j < c.length; j++) {
            double rankMu = 0;
            for (int k = 0; k < ys.length; k++) {
                rankMu += weights[k] * ys[k][j] * ys[k][j];
            }
            c[j] = decay * c[j] + c1 * pc[j] * pc[j] + cMu * rankMu;
        }
    }

    @Override
    public double[] diagonal() {
        return c.clone();
    }

    @Override
    public double[] axisLengths() {
        double[] d = new double[c.length];
        for (int i = 0; i < c.length; i++) {
            d[i] = std(i);
        }
        return d;
    }

    @Override
    public double[] axis(int i) {
        double[] a = new double[c.length];
        a[i] = std(i);
        return a;
    }

    @Override
    public double[] values() {
        return c.clone();
    }
}
