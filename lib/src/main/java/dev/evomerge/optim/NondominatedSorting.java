package dev.evomerge.optim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Deb et al.'s (2002) fast non-dominated sorting and crowding distance, on objective vectors to
 * be minimized. A vector with a NaN or infinite value is infeasible (a candidate that failed):
 * under constraint-domination every feasible vector dominates it and infeasible ones do not
 * dominate each other, so they share the last front.
 */
public final class NondominatedSorting {
    private NondominatedSorting() {
    }

    public static boolean feasible(double[] f) {
        for (double v : f) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code a} constraint-dominates {@code b}: no worse in every objective and better in one. */
    public static boolean dominates(double[] a, double[] b) {
        boolean fa = feasible(a);
        boolean fb = feasible(b);
        if (fa != fb) {
            return fa;
        }
        if (!fa) {
            return false;
        }
        boolean better = false;
        for (int i = 0; i < a.length; i++) {
            if (a[i] > b[i]) {
                return false;
            }
            better |= a[i] < b[i];
        }
        return better;
    }

    /** The fronts, best first, each a list of indices in increasing order (section III-A: O(M N^2)). */
    public static List<int[]> fronts(double[][] f) {
        int n = f.length;
        int[] dominatedBy = new int[n];
        List<List<Integer>> dominates = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            dominates.add(new ArrayList<>());
        }
        for (int p = 0; p < n; p++) {
            for (int q = p + 1; q < n; q++) {
                if (dominates(f[p], f[q])) {
                    dominates.get(p).add(q);
                    dominatedBy[q]++;
                } else if (dominates(f[q], f[p])) {
                    dominates.get(q).add(p);
                    dominatedBy[p]++;
                }
            }
        }
        List<int[]> fronts = new ArrayList<>();
        int[] current = java.util.stream.IntStream.range(0, n).filter(p -> dominatedBy[p] == 0).toArray();
        while (current.length > 0) {
            fronts.add(current);
            List<Integer> next = new ArrayList<>();
            for (int p : current) {
                for (int q : dominates.get(p)) {
                    if (--dominatedBy[q] == 0) {
                        next.add(q);
                    }
                }
            }
            current = next.stream().mapToInt(Integer::intValue).sorted().toArray();
        }
        return fronts;
    }

    /** Each vector's front index (0 = non-dominated). */
    public static int[] ranks(double[][] f) {
        int[] rank = new int[f.length];
        List<int[]> fronts = fronts(f);
        for (int r = 0; r < fronts.size(); r++) {
            for (int i : fronts.get(r)) {
                rank[i] = r;
            }
        }
        return rank;
    }

    /**
     * The crowding distance of each member of one front (section III-B): per objective, the
     * members sorted by value, the two ends infinite, every other the normalized gap between its
     * neighbours, summed over objectives. Infeasible members get 0. Ties sort by index, so the
     * result does not depend on anything but the values.
     */
    public static double[] crowding(double[][] f, int[] front) {
        double[] d = new double[front.length];
        if (front.length == 0 || !feasible(f[front[0]])) {
            return d;
        }
        Integer[] order = new Integer[front.length];
        for (int m = 0; m < f[front[0]].length; m++) {
            int objective = m;
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> f[front[i]][objective]).thenComparingInt(i -> i));
            double lo = f[front[order[0]]][m];
            double hi = f[front[order[order.length - 1]]][m];
            d[order[0]] = Double.POSITIVE_INFINITY;
            d[order[order.length - 1]] = Double.POSITIVE_INFINITY;
            if (hi - lo <= 0) {
                continue;
            }
            for (int k = 1; k < order.length - 1; k++) {
                d[order[k]] += (f[front[order[k + 1]]][m] - f[front[order[k - 1]]][m]) / (hi - lo);
            }
        }
        return d;
    }
}
