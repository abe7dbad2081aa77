package dev.evomerge.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NondominatedSortingTest {

    @Test
    void frontsOfAHandDrawnSet() {
        // minimize both: (1,5) (2,3) (4,1) are the front; (3,4) is behind (2,3); (5,5) behind (3,4); (2,3) twice: equal, not dominating
        double[][] f = {{3, 4}, {1, 5}, {5, 5}, {2, 3}, {4, 1}, {2, 3}};
        List<int[]> fronts = NondominatedSorting.fronts(f);
        assertEquals(3, fronts.size());
        assertArrayEquals(new int[] {1, 3, 4, 5}, fronts.get(0));
        assertArrayEquals(new int[] {0}, fronts.get(1));
        assertArrayEquals(new int[] {2}, fronts.get(2));
        assertArrayEquals(new int[] {1, 0, 2, 0, 0, 0}, NondominatedSorting.ranks(f));
    }

    @Test
    void ranksAgreeWithPeelingTheNondominatedSetByBruteForce() {
        Random random = new Random(7);
        for (int trial = 0; trial < 30; trial++) {
            double[][] f = new double[40][3];
            for (double[] v : f) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = random.nextInt(6); // ties on purpose
                }
            }
            int[] expected = new int[f.length];
            java.util.Arrays.fill(expected, -1);
            for (int rank = 0, left = f.length; left > 0; rank++) {
                boolean[] inFront = new boolean[f.length];
                for (int p = 0; p < f.length; p++) {
                    if (expected[p] >= 0) {
                        continue;
                    }
                    boolean dominated = false;
                    for (int q = 0; q < f.length; q++) {
                        dominated |= expected[q] < 0 && q != p && NondominatedSorting.dominates(f[q], f[p]);
                    }
                    inFront[p] = !dominated;
                }
                for (int p = 0; p < f.length; p++) {
                    if (inFront[p]) {
                        expected[p] = rank;
                        left--;
                    }
                }
            }
            assertArrayEquals(expected, NondominatedSorting.ranks(f));
        }
    }

    @Test
    void failedVectorsAreDominatedByEveryFeasibleOneAndShareTheLastFront() {
        double[][] f = {{Double.NaN, 1}, {9, 9}, {1, 1}, {0, Double.POSITIVE_INFINITY}};
        assertTrue(NondominatedSorting.dominates(f[1], f[0]));
        assertFalse(NondominatedSorting.dominates(f[0], f[3]));
        assertFalse(NondominatedSorting.dominates(f[3], f[0]));
        assertArrayEquals(new int[] {2, 1, 0, 2}, NondominatedSorting.ranks(f));
        assertArrayEquals(new double[] {0, 0}, NondominatedSorting.crowding(f, new int[] {0, 3}));
    }

    @Test
    void crowdingDistanceWorkedByHand() {
        // front sorted by f1: (0,4) (1,2) (3,1) (4,0); ranges 4 and 4
        // (1,2): (3-0)/4 + (4-1)/4 = 1.5; (3,1): (4-1)/4 + (2-0)/4 = 1.25; ends infinite
        double[][] f = {{3, 1}, {0, 4}, {4, 0}, {1, 2}};
        double[] d = NondominatedSorting.crowding(f, new int[] {0, 1, 2, 3});
        assertArrayEquals(new double[] {1.25, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 1.5}, d, 1e-12);
    }
}
