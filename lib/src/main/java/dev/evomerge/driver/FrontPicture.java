package dev.evomerge.driver;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * {@code front.png}: the Pareto front of a multi-objective run on its first two objectives (the
 * members as dots joined in order, the chosen one ringed), with the parents, untuned merges and
 * compared models placed on the same axes as labelled squares. Axes are in the objectives' own
 * units and frame the front: a placed model far outside it (a parent bad at one objective) sits
 * on the border as a triangle, its values in its label.
 */
final class FrontPicture {
    private static final int W = 760;
    private static final int H = 520;
    private static final int LEFT = 90;
    private static final int RIGHT = 30;
    private static final int TOP = 44;
    private static final int BOTTOM = 64;

    private FrontPicture() {
    }

    static byte[] png(ParetoFront.Summary summary, List<Objective> objectives) {
        Canvas canvas = new Canvas(W, H);
        Graphics2D g = canvas.graphics();
        List<double[]> all = new ArrayList<>();
        summary.front().forEach(m -> all.add(m.values()));
        double[] fx = range(all, 0);
        double[] fy = range(all, 1);
        // placed models within one front-width of the front widen the frame; farther ones are clipped to it
        summary.placed().stream().filter(p -> finite(p.values()) && near(p.values()[0], fx) && near(p.values()[1], fy))
                .forEach(p -> all.add(p.values()));
        double[] xr = range(all, 0);
        double[] yr = range(all, 1);
        g.setColor(Color.DARK_GRAY);
        g.drawRect(LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);
        for (int i = 0; i <= 4; i++) {
            double xv = xr[0] + (xr[1] - xr[0]) * i / 4;
            double yv = yr[0] + (yr[1] - yr[0]) * i / 4;
            g.drawString(String.format(Locale.ROOT, "%.3g", xv), px(xv, xr) - 14, H - BOTTOM + 16);
            g.drawString(String.format(Locale.ROOT, "%.3g", yv), 10, py(yv, yr) + 4);
        }
        g.drawString(axis(objectives.get(0)), W / 2 - 80, H - 18);
        g.drawString(axis(objectives.get(1)), 10, TOP - 10);
        g.drawString("Pareto front" + (objectives.size() > 2 ? " (first two of " + objectives.size() + " objectives)" : ""),
                W / 2 - 40, TOP - 10);
        List<ParetoFront.Member> members = new ArrayList<>(summary.front());
        members.sort(Comparator.comparingDouble(m -> m.values()[0]));
        g.setColor(new Color(31, 119, 180));
        g.setStroke(new BasicStroke(1.5f));
        for (int k = 0; k < members.size(); k++) {
            int x = px(members.get(k).values()[0], xr);
            int y = py(members.get(k).values()[1], yr);
            g.fillOval(x - 4, y - 4, 8, 8);
            if (k > 0 && objectives.size() == 2) {
                g.drawLine(px(members.get(k - 1).values()[0], xr), py(members.get(k - 1).values()[1], yr), x, y);
            }
        }
        ParetoFront.Member chosen = summary.chosen();
        g.setColor(new Color(214, 39, 40));
        g.setStroke(new BasicStroke(2f));
        int cx = px(chosen.values()[0], xr);
        int cy = py(chosen.values()[1], yr);
        g.drawOval(cx - 9, cy - 9, 18, 18);
        g.drawString("best/", cx + 12, cy - 8);
        g.setColor(new Color(90, 90, 90));
        int clipped = 0;
        for (ParetoFront.Placed p : summary.placed()) {
            if (!finite(p.values())) {
                continue;
            }
            boolean inside = inside(p.values()[0], xr) && inside(p.values()[1], yr);
            int x = Math.max(LEFT, Math.min(W - RIGHT, px(p.values()[0], xr)));
            int y = Math.max(TOP, Math.min(H - BOTTOM, py(p.values()[1], yr)));
            String label = inside ? p.label() : String.format(Locale.ROOT, "%s (%.3g, %.3g)", p.label(), p.values()[0], p.values()[1]);
            if (inside) {
                g.fillRect(x - 4, y - 4, 8, 8);
            } else {
                g.fillPolygon(new int[] {x - 6, x + 6, x}, new int[] {y + 5, y + 5, y - 6}, 3);
            }
            int below = inside ? 14 : 14 * ++clipped; // labels of models clipped to the same border stack, never overlap
            g.drawString(label, Math.max(LEFT + 2, Math.min(x + 8, W - RIGHT - 7 * label.length())),
                    Math.max(TOP + 12 * (inside ? 1 : clipped), Math.min(H - BOTTOM - 4, y + below)));
        }
        return canvas.png();
    }

    private static String axis(Objective o) {
        return o.name() + (o.maximize() ? " (higher is better)" : " (lower is better)");
    }

    private static boolean finite(double[] v) {
        return v.length >= 2 && Double.isFinite(v[0]) && Double.isFinite(v[1]);
    }

    private static boolean near(double v, double[] r) {
        double w = r[1] - r[0];
        return v >= r[0] - w && v <= r[1] + w;
    }

    private static boolean inside(double v, double[] r) {
        return v >= r[0] && v <= r[1];
    }

    private static double[] range(List<double[]> values, int axis) {
        double lo = values.stream().mapToDouble(v -> v[axis]).min().orElse(0);
        double hi = values.stream().mapToDouble(v -> v[axis]).max().orElse(1);
        if (hi - lo < 1e-12) {
            lo -= 0.5;
            hi += 0.5;
        }
        double pad = (hi - lo) * 0.06;
        return new double[] {lo - pad, hi + pad};
    }

    private static int px(double v, double[] r) {
        return LEFT + (int) Math.round((v - r[0]) / (r[1] - r[0]) * (W - LEFT - RIGHT));
    }

    private static int py(double v, double[] r) {
        return H - BOTTOM - (int) Math.round((v - r[0]) / (r[1] - r[0]) * (H - TOP - BOTTOM));
    }
}
