package dev.evomerge.merge.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SplitMix64Test {
    @Test
    void drawsTheSameStreamAsSplittableRandomFromASeed() {
        for (long seed : new long[] {0, 1, -7, 42L * SplitMix64.GAMMA, Long.MIN_VALUE}) {
            SplittableRandom reference = new SplittableRandom(seed);
            long state = seed;
            for (int k = 0; k < 1000; k++) {
                state += SplitMix64.GAMMA;
                assertEquals(reference.nextLong(), SplitMix64.mix64(state), "seed " + seed + ", draw " + k);
            }
        }
    }
}
