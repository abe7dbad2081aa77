package dev.evomerge.merge.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MagnitudeRanksTest {

    @Test
    void quickselectAgreesWithAFullSort() {
        SplittableRandom r = new SplittableRandom(11);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + r.nextInt(2000);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = r.nextInt(4) == 0 ? 0.5f : (float) r.nextGaussian(); // many ties
            }
            long[] keys = MagnitudeRanks.ascendingKeys(x, 0, n);
            long[] sorted = keys.clone();
            Arrays.sort(sorted);
            int k = r.nextInt(n);
            assertEquals(sorted[k], MagnitudeRanks.select(keys, k), "n=" + n + " k=" + k);
            // Sorted keys order by |x| ascending, ties by index.
            for (int i = 1; i < n; i++) {
                int a = MagnitudeRanks.index(sorted[i - 1]);
                int b = MagnitudeRanks.index(sorted[i]);
                boolean ordered = Math.abs(x[a]) < Math.abs(x[b]) || (Math.abs(x[a]) == Math.abs(x[b]) && a < b);
                assertEquals(true, ordered);
            }
        }
    }
}
