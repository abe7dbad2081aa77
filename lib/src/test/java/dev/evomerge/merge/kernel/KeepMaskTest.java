package dev.evomerge.merge.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeepMaskTest {

    @Test
    void theFinalizerIsMurmurHash3s() {
        // Reference values computed with Python's arbitrary-precision integers, masked to 32 bits.
        assertEquals(0x514e28b7, KeepMask.fmix32(1));
        assertEquals(0x92ca2f0e, KeepMask.fmix32(0x9e3779b9));
        assertEquals(0xba60d89a, KeepMask.fmix32(123456789));
        assertEquals(0, KeepMask.fmix32(0));
    }

    @Test
    void theVectorLoopDecidesAsThePlainFormula() {
        for (double density : new double[] {0, 0.1, 0.5, 0.9}) {
            KeepMask mask = new KeepMask(42, density);
            float[] keep = new float[Chunks.SIZE];
            for (int from : new int[] {0, Chunks.SIZE, 7 * Chunks.SIZE, Integer.MAX_VALUE - Chunks.SIZE}) {
                int count = from == 0 ? 1000 : Chunks.SIZE; // a short chunk too
                mask.fill(keep, from, count);
                for (int i = 0; i < count; i++) {
                    assertEquals(reference(42, density, from + i) ? 1f : 0f, keep[i], "density " + density + ", entry " + (from + i));
                }
            }
        }
    }

    @Test
    void theDifferenceAndTheSumsKeepExactlyTheKeptEntries() {
        // Both loops run on SIMD vectors in the tests (Surefire enables the Vector API), their tails
        // and the fallback on the plain loop; both must decide as the formula and compute as torch does.
        SplittableRandom r = new SplittableRandom(3);
        KeepMask mask = new KeepMask(11, 0.3);
        for (int from : new int[] {0, 5 * Chunks.SIZE, Integer.MAX_VALUE - Chunks.SIZE}) {
            for (int count : new int[] {Chunks.SIZE, 1000, 7}) {
                float[] x = new float[count];
                float[] b = new float[count];
                float[] total = new float[count];
                float[] kept = new float[count];
                for (int i = 0; i < count; i++) {
                    b[i] = (float) r.nextGaussian();
                    x[i] = i % 5 == 0 ? b[i] - (i + 1f) : (float) r.nextGaussian();
                    total[i] = i;
                    kept[i] = -i;
                }
                float[] expectedTotal = total.clone();
                float[] expectedKept = kept.clone();
                float[] expected = new float[count];
                for (int i = 0; i < count; i++) {
                    float d = x[i] - b[i];
                    expected[i] = d * (reference(11, 0.3, from + i) ? 1f : 0f);
                    expectedTotal[i] += Math.abs(d);
                    expectedKept[i] += Math.abs(expected[i]);
                }
                mask.addSums(x, b, total, kept, from, count);
                mask.applyToDifference(x, b, from, count);
                for (int i = 0; i < count; i++) {
                    String where = "entry " + (from + i) + " of " + count;
                    assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(x[i]), where + " (-0.0 for a dropped negative)");
                    assertEquals(expectedTotal[i], total[i], where + ": sum of |delta|");
                    assertEquals(expectedKept[i], kept[i], where + ": sum of |kept delta|");
                }
            }
        }
    }

    @Test
    void keepsAboutDensityOfTheEntriesIndependently() {
        int n = 1 << 20;
        for (double p : new double[] {0.1, 0.5, 0.9}) {
            KeepMask a = new KeepMask(7, p);
            KeepMask b = new KeepMask(8, p);
            long kept = 0;
            long neighbours = 0; // entry i and i + 1 both kept
            long together = 0; // entry i kept by both masks
            for (int i = 0; i < n; i++) {
                boolean ai = a.kept(i);
                kept += ai ? 1 : 0;
                neighbours += ai && a.kept(i + 1) ? 1 : 0;
                together += ai && b.kept(i) ? 1 : 0;
            }
            // Binomial counts within 5 standard deviations (p^2 for the pairs: independent decisions).
            assertWithin(n * p, Math.sqrt(n * p * (1 - p)), kept, "kept share at " + p);
            double q = p * p;
            assertWithin(n * q, Math.sqrt(n * q * (1 - q)), neighbours, "neighbouring pairs at " + p);
            assertWithin(n * q, Math.sqrt(n * q * (1 - q)), together, "two seeds at " + p);
        }
    }

    @Test
    void densityOutsideItsRangeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new KeepMask(1, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new KeepMask(1, -0.1));
        assertThrows(IllegalArgumentException.class, () -> new KeepMask(1, Double.NaN));
    }

    private static void assertWithin(double expected, double sd, long actual, String what) {
        assertTrue(Math.abs(actual - expected) < 5 * sd, what + ": " + actual + " vs " + expected + " +/- " + sd);
    }

    /** The keep decision written out from its definition, in long arithmetic masked to 32 bits. */
    private static boolean reference(long seed, double density, int index) {
        long keys = new SplittableRandom(seed).nextLong();
        long k1 = keys & 0xffffffffL;
        long k2 = keys >>> 32;
        long z = ((index * 0x9e3779b9L + k1) & 0xffffffffL) ^ k2;
        z = fmix(z);
        return (z >>> 1) < Math.floor(density * (1L << 31));
    }

    private static long fmix(long z) {
        z ^= z >>> 16;
        z = (z * 0x85ebca6bL) & 0xffffffffL;
        z ^= z >>> 13;
        z = (z * 0xc2b2ae35L) & 0xffffffffL;
        return z ^ (z >>> 16);
    }
}
