package dev.evomerge.optim;

import org.apache.commons.math3.random.MersenneTwister;

/**
 * Standard normal numbers from a Mersenne Twister by Marsaglia's polar method. Commons Math's
 * own nextGaussian (Box-Muller with FastMath's sin, cos and log) took most of an ask at
 * n = 5,000; this is about twice as fast. StrictMath.log and the correctly rounded sqrt make
 * the numbers identical on every JVM, which the bit-identical resume relies on.
 */
final class StandardNormal {
    private final MersenneTwister uniform;
    private double spare = Double.NaN;

    StandardNormal(int... seed) {
        this.uniform = new MersenneTwister(seed);
    }

    double next() {
        if (!Double.isNaN(spare)) {
            double z = spare;
            spare = Double.NaN;
            return z;
        }
        double u;
        double v;
        double s;
        do {
            u = 2 * uniform.nextDouble() - 1;
            v = 2 * uniform.nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double m = Math.sqrt(-2 * StrictMath.log(s) / s);
        spare = v * m;
        return u * m;
    }
}
