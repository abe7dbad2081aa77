package dev.evomerge.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HypervolumeTest {

    @Test
    void twoObjectivesWorkedByHand() {
        // reference (4,4); boxes from (1,3), (2,2), (3,1): a staircase of 3 + 2 + 1 unit columns... 1*1 + 2*1 + 3*1 = 6
        double[][] front = {{2, 2}, {1, 3}, {3, 1}};
        assertEquals(6.0, Hypervolume.of(front, new double[] {4, 4}), 1e-12);
        // a dominated point and a point outside the box change nothing
        assertEquals(6.0, Hypervolume.of(new double[][] {{2, 2}, {1, 3}, {3, 1}, {3, 3}, {0.5, 5}}, new double[] {4, 4}), 1e-12);
        assertEquals(0.0, Hypervolume.of(new double[0][], new double[] {4, 4}), 0);
    }

    @Test
    void threeObjectivesByInclusionExclusionOfTwoBoxes() {
        double[] r = {1, 1, 1};
        double[] a = {0.2, 0.5, 0.1};
        double[] b = {0.6, 0.1, 0.3};
        double va = 0.8 * 0.5 * 0.9;
        double vb = 0.4 * 0.9 * 0.7;
        double both = (1 - 0.6) * (1 - 0.5) * (1 - 0.3); // the box from the componentwise maximum
        assertEquals(va + vb - both, Hypervolume.of(new double[][] {a, b}, r), 1e-12);
    }

    @Test
    void agreesWithMonteCarloOnRandomFrontsInThreeAndFourObjectives() {
        Random random = new Random(3);
        for (int m : new int[] {3, 4}) {
            double[][] points = new double[25][m];
            for (double[] p : points) {
                double norm = 0;
                for (int i = 0; i < m; i++) {
                    p[i] = random.nextDouble();
                    norm += p[i] * p[i];
                }
                for (int i = 0; i < m; i++) {
                    p[i] /= Math.sqrt(norm); // on the unit sphere: mutually non-dominated, like DTLZ2's front
                }
            }
            double[] r = new double[m];
            java.util.Arrays.fill(r, 1.1);
            int samples = 400_000;
            int hits = 0;
            double[] s = new double[m];
            for (int k = 0; k < samples; k++) {
                for (int i = 0; i < m; i++) {
                    s[i] = random.nextDouble() * r[i];
                }
                for (double[] p : points) {
                    if (NondominatedSorting.dominates(p, s) || java.util.Arrays.equals(p, s)) {
                        hits++;
                        break;
                    }
                }
            }
            double box = Math.pow(1.1, m);
            double estimate = box * hits / samples;
            double stderr = box * Math.sqrt((double) hits / samples * (1 - (double) hits / samples) / samples);
            assertEquals(estimate, Hypervolume.of(points, r), 4 * stderr, m + " objectives");
        }
    }

    @Test
    void normalizedDividesEachObjectiveBySpan() {
        double[][] front = {{2, 20}, {1, 30}, {3, 10}};
        assertEquals(6.0, Hypervolume.normalized(front, new double[] {4, 40}, new double[] {1, 10}), 1e-12);
    }
}
