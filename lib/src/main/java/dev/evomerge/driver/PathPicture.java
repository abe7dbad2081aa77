package dev.evomerge.driver;

import dev.evomerge.merge.LayerPathMerge;
import dev.evomerge.model.LayerPath;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.util.Locale;

/**
 * The evolved layer path as a picture, as the paper's figure of it: step by step along x, the
 * layer it runs up the y axis (each pool model a band of its own colour, its layers bottom to
 * top), and below, a bar per step for the scale of the hidden state entering it.
 */
public final class PathPicture {
    private static final Color[] COLORS = {new Color(31, 119, 180), new Color(214, 39, 40), new Color(44, 160, 44),
        new Color(148, 103, 189), new Color(255, 127, 14)};
    private static final int W = 900;
    private static final int LEFT = 70;
    private static final int RIGHT = 24;
    private static final int TOP = 40;
    private static final int PATH_H = 320;
    private static final int SCALE_H = 110;
    private static final int GAP = 40;
    private static final int H = TOP + PATH_H + GAP + SCALE_H + 40;

    private PathPicture() {
    }

    /** {@code layers[m]}: how many layers pool model m has. */
    public static byte[] png(LayerPath path, int[] layers) {
        Canvas canvas = new Canvas(W, H);
        Graphics2D g = canvas.graphics();
        int total = 0;
        int[] offset = new int[layers.length];
        for (int i = 0; i < layers.length; i++) {
            offset[i] = total;
            total += layers[i];
        }
        int n = path.depth();
        int plotW = W - LEFT - RIGHT;
        // the pool's layers as bands, model A at the bottom
        for (int m = 0; m < layers.length; m++) {
            int yTop = y(offset[m] + layers[m] - 1, total) - rowH(total) / 2;
            int yBottom = y(offset[m], total) + rowH(total) / 2;
            Color c = COLORS[m % COLORS.length];
            g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 28));
            g.fillRect(LEFT, yTop, plotW, yBottom - yTop);
            g.setColor(c);
            g.drawString("model " + LayerPathMerge.poolName(m), 8, (yTop + yBottom) / 2 + 4);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(LEFT, TOP, plotW, PATH_H);
        g.drawString("layer path: step (x) through pool layer (y); depth " + n, LEFT, 24);
        double maxScale = path.steps().stream().mapToDouble(s -> Math.abs(s.scale())).max().orElse(1);
        maxScale = Math.max(maxScale, 1);
        int scaleTop = TOP + PATH_H + GAP;
        g.drawRect(LEFT, scaleTop, plotW, SCALE_H);
        g.drawString(String.format(Locale.ROOT, "scale of the hidden state entering each step (dashed: 1; top: %.2f)", maxScale),
                LEFT, scaleTop - 6);
        int one = scaleTop + SCALE_H - (int) Math.round(SCALE_H / maxScale);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 4f}, 0f));
        g.drawLine(LEFT, one, LEFT + plotW, one);
        int px = -1;
        int py = -1;
        for (int i = 0; i < n; i++) {
            LayerPath.Step s = path.steps().get(i);
            int x = LEFT + (int) Math.round((i + 0.5) * plotW / n);
            int yy = y(offset[s.model()] + s.layer(), total);
            Color c = COLORS[s.model() % COLORS.length];
            g.setStroke(new BasicStroke(1.5f));
            g.setColor(Color.GRAY);
            if (px >= 0) {
                g.drawLine(px, py, x, yy);
            }
            g.setColor(c);
            g.fillOval(x - 4, yy - 4, 8, 8);
            int barH = (int) Math.round(Math.abs(s.scale()) / maxScale * SCALE_H);
            int barW = Math.max(2, plotW / n - 2);
            g.fillRect(x - barW / 2, scaleTop + SCALE_H - barH, barW, barH);
            px = x;
            py = yy;
        }
        g.setColor(Color.DARK_GRAY);
        g.drawString("step", W / 2 - 12, H - 12);
        return canvas.png();
    }

    private static int rowH(int total) {
        return PATH_H / total;
    }

    private static int y(int global, int total) {
        return TOP + PATH_H - (int) Math.round((global + 0.5) * PATH_H / total);
    }
}
