package dev.evomerge.driver;

import dev.evomerge.optim.Hypervolume;
import dev.evomerge.optim.NondominatedSorting;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The non-dominated set of every candidate a multi-objective run has evaluated (not only the
 * optimizer's current parents: an evaluation is expensive, and no member found is ever lost),
 * kept in the run state generation by generation; its hypervolume; and the rule that picks the
 * member {@code best/} holds.
 */
public final class ParetoFront {
    private ParetoFront() {
    }

    /** A front member: where it was found, its objective values (own units, in the run's objective order), fitness, genes, recipe. */
    public record Member(int generation, int candidate, double[] values, double fitness, double[] genome, String recipe) {
    }

    /**
     * The hypervolume's frame, fixed after the first generation so generations compare: the
     * reference point (each objective's worst value in generation 1, plus a tenth of its spread)
     * and the unit per objective (that spread; a tenth of the value, or 1, when there was none).
     * Values are in minimization form (an objective to maximize is negated).
     */
    public record Frame(double[] reference, double[] span) {
        static Frame of(List<double[]> minimized) {
            int m = minimized.get(0).length;
            double[] reference = new double[m];
            double[] span = new double[m];
            for (int i = 0; i < m; i++) {
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                for (double[] v : minimized) {
                    lo = Math.min(lo, v[i]);
                    hi = Math.max(hi, v[i]);
                }
                span[i] = hi > lo ? hi - lo : Math.max(Math.abs(hi) * 0.1, 1);
                reference[i] = hi + 0.1 * span[i];
            }
            return new Frame(reference, span);
        }
    }

    /** The values of a member in minimization form. */
    static double[] minimized(List<Objective> objectives, double[] values) {
        double[] m = new double[values.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = -objectives.get(i).told(values[i]);
        }
        return m;
    }

    /**
     * The front after adding {@code found}: the members of both that no other dominates; of
     * members with equal values the earlier stays. Ordered by the first objective (best first),
     * then by where they were found.
     */
    public static List<Member> update(List<Member> front, List<Member> found, List<Objective> objectives) {
        List<Member> all = new ArrayList<>(front);
        found.stream().filter(m -> NondominatedSorting.feasible(m.values())).forEach(all::add);
        all.sort(Comparator.comparingInt(Member::generation).thenComparingInt(Member::candidate));
        double[][] m = all.stream().map(x -> minimized(objectives, x.values())).toArray(double[][]::new);
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            boolean keep = true;
            for (int j = 0; j < all.size() && keep; j++) {
                keep = !NondominatedSorting.dominates(m[j], m[i]) && !(j < i && java.util.Arrays.equals(m[j], m[i]));
            }
            if (keep) {
                kept.add(i);
            }
        }
        // sorted by the first objective (best first), then by where they were found: the index order of all
        kept.sort(Comparator.<Integer>comparingDouble(i -> m[i][0]).thenComparingInt(i -> i));
        return kept.stream().map(all::get).toList();
    }

    /** The front's hypervolume in the frame's units (1 = the volume of one spread per objective). */
    public static double hypervolume(List<Member> front, List<Objective> objectives, Frame frame) {
        double[][] points = front.stream().map(m -> minimized(objectives, m.values())).toArray(double[][]::new);
        return Hypervolume.normalized(points, frame.reference(), frame.span());
    }

    /** A model placed beside the front (a parent, an untuned merge, a compared model): its objective values on the fitness split. */
    public record Placed(String label, double[] values) {
    }

    /** What the report shows of a finished multi-objective run. */
    public record Summary(List<Member> front, Choice choice, List<Placed> placed) {
        public Member chosen() {
            return front.get(choice.index());
        }
    }

    /** {@code front-recipes/generation-00003-candidate-05.yml}: a front member's recipe file, in the run's directory. */
    public static String recipeFile(Member m) {
        return String.format(java.util.Locale.ROOT, "front-recipes/generation-%05d-candidate-%02d.yml", m.generation(), m.candidate());
    }

    /** Values by objective name, in the objectives' order; a value that is not finite (a failed candidate's) is left out. */
    public static Map<String, Double> named(List<Objective> objectives, double[] values) {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < objectives.size(); i++) {
            if (Double.isFinite(values[i])) {
                out.put(objectives.get(i).name(), values[i]);
            }
        }
        return out;
    }

    /** Which member {@code best/} holds, and why (a line for the report). */
    public record Choice(int index, String why) {
    }

    /**
     * The member a rule picks. The knee (no {@code best}): the member nearest the ideal point in
     * Manhattan distance once each objective is scaled to [0, 1] over the front (Chiu, Yen and Hsu
     * 2016: the member whose trade-off gives up least in sum). With {@code best}: the member best
     * on that objective among those within {@code within}'s bounds (at most the bound for an
     * objective to minimize, at least for one to maximize); when none is, the knee, saying so.
     */
    public static Choice choose(List<Member> front, List<Objective> objectives, RunConfig.Choose rule) {
        if (front.isEmpty()) {
            throw new IllegalStateException("an empty front has no member to choose");
        }
        if (rule.best() != null) {
            int target = indexOf(objectives, rule.best());
            int chosen = -1;
            for (int k = 0; k < front.size(); k++) {
                if (within(front.get(k), objectives, rule.within()) && (chosen < 0
                        || minimized(objectives, front.get(k).values())[target] < minimized(objectives, front.get(chosen).values())[target])) {
                    chosen = k;
                }
            }
            if (chosen >= 0) {
                return new Choice(chosen, "the best " + rule.best() + " within " + rule.within());
            }
            return new Choice(knee(front, objectives), "no member is within " + rule.within() + "; the knee instead");
        }
        return new Choice(knee(front, objectives), "the knee (least normalized Manhattan distance to the ideal point)");
    }

    private static boolean within(Member m, List<Objective> objectives, Map<String, Double> bounds) {
        for (Map.Entry<String, Double> b : bounds.entrySet()) {
            int i = indexOf(objectives, b.getKey());
            double v = m.values()[i];
            if (objectives.get(i).maximize() ? v < b.getValue() : v > b.getValue()) {
                return false;
            }
        }
        return true;
    }

    static int indexOf(List<Objective> objectives, String name) {
        for (int i = 0; i < objectives.size(); i++) {
            if (objectives.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no objective named " + name);
    }

    private static int knee(List<Member> front, List<Objective> objectives) {
        int m = objectives.size();
        double[] lo = new double[m];
        double[] hi = new double[m];
        java.util.Arrays.fill(lo, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(hi, Double.NEGATIVE_INFINITY);
        for (Member member : front) {
            double[] v = minimized(objectives, member.values());
            for (int i = 0; i < m; i++) {
                lo[i] = Math.min(lo[i], v[i]);
                hi[i] = Math.max(hi[i], v[i]);
            }
        }
        int best = 0;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (int k = 0; k < front.size(); k++) {
            double[] v = minimized(objectives, front.get(k).values());
            double d = 0;
            for (int i = 0; i < m; i++) {
                d += hi[i] > lo[i] ? (v[i] - lo[i]) / (hi[i] - lo[i]) : 0;
            }
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }
}
