package dev.evomerge.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.evomerge.model.Djl;
import java.util.List;
import org.junit.jupiter.api.Test;

/** AdamW on DJL against the update rule computed step by step in plain Java doubles. */
class AdamWTest {
    static {
        Djl.init();
    }

    @Test
    void matchesTheDecoupledUpdateRuleWithClippingAndDecayOnMatricesOnly() {
        float[] w0 = {0.5f, -1.0f, 2.0f, 0.25f};
        float[] b0 = {1.0f, -2.0f};
        double lr = 0.1;
        double beta1 = 0.9;
        double beta2 = 0.95;
        double eps = 1e-8;
        double decay = 0.1;
        double maxNorm = 1.0;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(w0, new Shape(2, 2));
            NDArray b = m.create(b0);
            w.setRequiresGradient(true);
            b.setRequiresGradient(true);
            AdamW adam = new AdamW(List.of(w, b), beta1, beta2, eps, decay);
            double[] ew = toDouble(w0);
            double[] eb = toDouble(b0);
            double[][] mState = {new double[4], new double[2]};
            double[][] vState = {new double[4], new double[2]};
            for (int step = 1; step <= 3; step++) {
                // loss = sum(w^3) + 3 sum(b^2): gradients 3 w^2 and 6 b, norm well above 1 (clipped)
                try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                    c.backward(w.pow(3).sum().add(b.square().sum().mul(3)));
                }
                double[] gw = new double[4];
                double[] gb = new double[2];
                double sq = 0;
                for (int i = 0; i < 4; i++) {
                    gw[i] = 3 * ew[i] * ew[i];
                    sq += gw[i] * gw[i];
                }
                for (int i = 0; i < 2; i++) {
                    gb[i] = 6 * eb[i];
                    sq += gb[i] * gb[i];
                }
                double norm = Math.sqrt(sq);
                double clip = norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
                double reported = adam.step(lr, maxNorm);
                assertEquals(norm, reported, 1e-4 * norm, "the norm before clipping");
                update(ew, gw, mState[0], vState[0], clip, lr, beta1, beta2, eps, decay, step);
                update(eb, gb, mState[1], vState[1], clip, lr, beta1, beta2, eps, 0, step); // a vector: no decay
                assertArrayEquals(toFloat(ew), w.toFloatArray(), 1e-5f, "step " + step);
                assertArrayEquals(toFloat(eb), b.toFloatArray(), 1e-5f, "step " + step);
                assertArrayEquals(new float[4], w.getGradient().toFloatArray(), "gradients zeroed for the next step");
            }
        }
    }

    private static void update(double[] p, double[] g, double[] m, double[] v, double clip, double lr, double beta1,
                               double beta2, double eps, double decay, int t) {
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] * clip;
            p[i] *= 1 - lr * decay;
            m[i] = beta1 * m[i] + (1 - beta1) * gi;
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
            double mHat = m[i] / (1 - Math.pow(beta1, t));
            double vHat = v[i] / (1 - Math.pow(beta2, t));
            p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    @Test
    void theScheduleWarmsUpLinearlyThenFollowsAHalfCosineToTheFloor() {
        CosineSchedule s = new CosineSchedule(1.0, 0.1, 4, 14);
        assertEquals(0.25, s.at(0), 1e-12);
        assertEquals(1.0, s.at(3), 1e-12);
        assertEquals(1.0, s.at(4), 1e-12, "the first decay step is the peak");
        // decay steps 4..13: progress (s - 4) / 9; at s = 8.5 it would be half way; s = 13 is the floor
        assertEquals(0.1 + 0.45 * (1 + Math.cos(Math.PI * 3 / 9.0)), s.at(7), 1e-12);
        assertEquals(0.1, s.at(13), 1e-12);
    }
}
