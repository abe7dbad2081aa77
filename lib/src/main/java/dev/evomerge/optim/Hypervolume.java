package dev.evomerge.optim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The hypervolume indicator (Zitzler and Thiele 1998) of a set of objective vectors to be
 * minimized: the volume of the region they dominate, bounded by a reference point. Exact, by
 * slicing (Hypervolume by Slicing Objectives, While et al. 2006): sort by the last objective, and
 * sum each slab's depth times the (d-1)-dimensional volume of the points below it; two objectives
 * are one sweep. Fine for the fronts a merge search makes (tens of points, a few objectives).
 */
public final class Hypervolume {
    private Hypervolume() {
    }

    /** The volume dominated by {@code points} inside the box below {@code reference}; points not below it in every objective add nothing. */
    public static double of(double[][] points, double[] reference) {
        List<double[]> inside = new ArrayList<>();
        for (double[] p : points) {
            boolean below = p.length == reference.length;
            for (int i = 0; below && i < p.length; i++) {
                below = p[i] < reference[i];
            }
            if (below) {
                inside.add(p);
            }
        }
        return slice(inside, reference, reference.length);
    }

    /** The volume of the union of the boxes [p, reference] over the first {@code d} objectives. */
    private static double slice(List<double[]> points, double[] reference, int d) {
        if (points.isEmpty()) {
            return 0;
        }
        List<double[]> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingDouble(p -> p[d - 1]));
        if (d == 1) {
            return reference[0] - sorted.get(0)[0];
        }
        double volume = 0;
        if (d == 2) {
            double lowestFirst = Double.POSITIVE_INFINITY;
            for (int i = 0; i < sorted.size(); i++) {
                lowestFirst = Math.min(lowestFirst, sorted.get(i)[0]);
                double top = i + 1 < sorted.size() ? sorted.get(i + 1)[1] : reference[1];
                volume += (top - sorted.get(i)[1]) * (reference[0] - lowestFirst);
            }
            return volume;
        }
        for (int i = 0; i < sorted.size(); i++) {
            double top = i + 1 < sorted.size() ? sorted.get(i + 1)[d - 1] : reference[d - 1];
            if (top > sorted.get(i)[d - 1]) {
                volume += (top - sorted.get(i)[d - 1]) * slice(sorted.subList(0, i + 1), reference, d - 1);
            }
        }
        return volume;
    }

    /** {@code of} on each vector rescaled to units of {@code span} per objective: comparable across objectives of any size. */
    public static double normalized(double[][] points, double[] reference, double[] span) {
        double[][] scaled = new double[points.length][];
        for (int k = 0; k < points.length; k++) {
            scaled[k] = new double[points[k].length];
            for (int i = 0; i < points[k].length; i++) {
                scaled[k][i] = points[k][i] / span[i];
            }
        }
        double[] r = new double[reference.length];
        Arrays.setAll(r, i -> reference[i] / span[i]);
        return of(scaled, r);
    }
}
