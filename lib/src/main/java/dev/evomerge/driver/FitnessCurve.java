package dev.evomerge.driver;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The per-generation pictures of a run, as PNG: best and mean fitness ({@code fitness.png}), and
 * for a multi-objective run the front's hypervolume ({@code hypervolume.png}).
 */
public final class FitnessCurve {
    private static final int W = 720;
    private static final int H = 420;
    private static final int LEFT = 80;
    private static final int RIGHT = 24;
    private static final int TOP = 40;
    private static final int BOTTOM = 56;

    private record Series(String label, Color color, ToDoubleFunction<RunState.GenerationStats> value) {
    }

    private FitnessCurve() {
    }

    public static byte[] png(List<RunState.GenerationStats> history) {
        return plot(history, "fitness per generation (higher is better)", List.of(
                new Series("best", new Color(31, 119, 180), RunState.GenerationStats::best),
                new Series("mean", new Color(255, 127, 14), RunState.GenerationStats::mean)));
    }

    public static byte[] hypervolume(List<RunState.GenerationStats> history) {
        return plot(history, "hypervolume of the front after each generation (higher is better)", List.of(
                new Series("hypervolume", new Color(44, 160, 44), RunState.GenerationStats::hypervolume)));
    }

    private static byte[] plot(List<RunState.GenerationStats> history, String title, List<Series> series) {
        Canvas canvas = new Canvas(W, H);
        Graphics2D g = canvas.graphics();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (RunState.GenerationStats s : history) {
            for (Series line : series) {
                double v = line.value().applyAsDouble(s);
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (!Double.isFinite(lo)) {
            lo = 0;
            hi = 1;
        }
        if (hi - lo < 1e-12) {
            lo -= 0.5;
            hi += 0.5;
        }
        double pad = (hi - lo) * 0.05;
        lo -= pad;
        hi += pad;
        int n = Math.max(history.size(), 1);
        g.setColor(new Color(225, 225, 225));
        for (int i = 0; i <= 4; i++) {
            int y = TOP + (H - TOP - BOTTOM) * i / 4;
            g.drawLine(LEFT, y, W - RIGHT, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.3f", hi - (hi - lo) * i / 4), 8, y + 4);
            g.setColor(new Color(225, 225, 225));
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);
        for (int i = 0; i < history.size(); i++) {
            if (history.size() <= 20 || i % (history.size() / 10) == 0) {
                g.drawString(Integer.toString(history.get(i).generation()), x(i, n) - 4, H - BOTTOM + 16);
            }
        }
        g.drawString("generation", W / 2 - 30, H - 12);
        g.drawString(title, LEFT, 24);
        for (int k = 0; k < series.size(); k++) {
            line(g, history, n, lo, hi, series.get(k), W - RIGHT - 100 * (series.size() - k));
        }
        return canvas.png();
    }

    private static void line(Graphics2D g, List<RunState.GenerationStats> history, int n, double lo, double hi, Series series,
                             int legendX) {
        g.setColor(series.color());
        g.setStroke(new BasicStroke(2f));
        int px = -1;
        int py = -1;
        for (int i = 0; i < history.size(); i++) {
            double v = series.value().applyAsDouble(history.get(i));
            if (!Double.isFinite(v)) {
                px = -1;
                continue;
            }
            int x = x(i, n);
            int y = TOP + (int) Math.round((hi - v) / (hi - lo) * (H - TOP - BOTTOM));
            g.fillOval(x - 3, y - 3, 6, 6);
            if (px >= 0) {
                g.drawLine(px, py, x, y);
            }
            px = x;
            py = y;
        }
        g.drawLine(legendX, 20, legendX + 24, 20); // the legend sits above the plot, never on the data
        g.drawString(series.label(), legendX + 30, 24);
    }

    private static int x(int i, int n) {
        return n == 1 ? (LEFT + W - RIGHT) / 2 : LEFT + 12 + (W - LEFT - RIGHT - 24) * i / (n - 1);
    }
}
