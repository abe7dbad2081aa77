package dev.evomerge.driver;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;

/**
 * A line chart of rows as PNG: one line per series against an integer x (a generation, a
 * training step), the y axis fitted to the data, the legend above the plot. Points are marked
 * while there are few enough to tell apart.
 */
public final class LineChart {
    private static final int W = 720;
    private static final int H = 420;
    private static final int LEFT = 80;
    private static final int RIGHT = 24;
    private static final int TOP = 40;
    private static final int BOTTOM = 56;
    private static final int MARKED = 60;

    /** One line: its legend, colour, and its value in a row (not finite: a gap). */
    public record Series<T>(String label, Color color, ToDoubleFunction<T> value) {
    }

    private LineChart() {
    }

    public static <T> byte[] png(List<T> rows, ToIntFunction<T> x, String xLabel, String title, List<Series<T>> series) {
        Canvas canvas = new Canvas(W, H);
        Graphics2D g = canvas.graphics();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (T row : rows) {
            for (Series<T> line : series) {
                double v = line.value().applyAsDouble(row);
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
        int n = Math.max(rows.size(), 1);
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
        for (int i = 0; i < rows.size(); i++) {
            if (rows.size() <= 20 || i % (rows.size() / 10) == 0) {
                g.drawString(Integer.toString(x.applyAsInt(rows.get(i))), px(i, n) - 4, H - BOTTOM + 16);
            }
        }
        g.drawString(xLabel, W / 2 - 30, H - 12);
        g.drawString(title, LEFT, 24);
        for (int k = 0; k < series.size(); k++) {
            line(g, rows, n, lo, hi, series.get(k), W - RIGHT - 100 * (series.size() - k));
        }
        return canvas.png();
    }

    private static <T> void line(Graphics2D g, List<T> rows, int n, double lo, double hi, Series<T> series, int legendX) {
        g.setColor(series.color());
        g.setStroke(new BasicStroke(2f));
        int px = -1;
        int py = -1;
        for (int i = 0; i < rows.size(); i++) {
            double v = series.value().applyAsDouble(rows.get(i));
            if (!Double.isFinite(v)) {
                px = -1;
                continue;
            }
            int x = px(i, n);
            int y = TOP + (int) Math.round((hi - v) / (hi - lo) * (H - TOP - BOTTOM));
            if (rows.size() <= MARKED) {
                g.fillOval(x - 3, y - 3, 6, 6);
            }
            if (px >= 0) {
                g.drawLine(px, py, x, y);
            }
            px = x;
            py = y;
        }
        g.drawLine(legendX, 20, legendX + 24, 20); // the legend sits above the plot, never on the data
        g.drawString(series.label(), legendX + 30, 24);
    }

    private static int px(int i, int n) {
        return n == 1 ? (LEFT + W - RIGHT) / 2 : LEFT + 12 + (W - LEFT - RIGHT - 24) * i / (n - 1);
    }
}
