package dev.evomerge.world;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * A synthetic picture for the mini world's vision-language tasks: a few flat shapes (circle,
 * square, triangle) in a few colours on white, each in its own cell of a 2 x 2 grid (so positions
 * have names and shapes never touch), drawn without antialiasing so every pixel is one of the
 * palette's and the PNG is the same bytes on every JVM. Drawn from a seed.
 */
public record Picture(int size, List<Shape> shapes) {

    public enum Kind {
        CIRCLE("circle", "丸"), SQUARE("square", "四角"), TRIANGLE("triangle", "三角");

        public final String en;
        public final String ja;

        Kind(String en, String ja) {
            this.en = en;
            this.ja = ja;
        }
    }

    public enum Paint {
        RED("red", "赤", new Color(220, 30, 30)), BLUE("blue", "青", new Color(30, 60, 220)),
        GREEN("green", "緑", new Color(30, 160, 60)), YELLOW("yellow", "黄色", new Color(235, 200, 20));

        public final String en;
        public final String ja;
        public final Color rgb;

        Paint(String en, String ja, Color rgb) {
            this.en = en;
            this.ja = ja;
            this.rgb = rgb;
        }
    }

    /** The grid's cells, row by row: where a shape is, in words. */
    public enum Cell {
        TOP_LEFT("top left", "左上"), TOP_RIGHT("top right", "右上"), BOTTOM_LEFT("bottom left", "左下"),
        BOTTOM_RIGHT("bottom right", "右下");

        public final String en;
        public final String ja;

        Cell(String en, String ja) {
            this.en = en;
            this.ja = ja;
        }
    }

    /** One shape: its kind, colour and cell, and its extent in pixels within the cell (a margin, so shapes never touch). */
    public record Shape(Kind kind, Paint paint, Cell cell, int x, int y, int extent) {
    }

    /** 1 to 4 shapes in distinct cells, each kind, colour and size drawn from {@code random}. */
    public static Picture random(int size, SplittableRandom random) {
        int count = 1 + random.nextInt(4);
        List<Cell> cells = new ArrayList<>(List.of(Cell.values()));
        List<Shape> shapes = new ArrayList<>();
        int half = size / 2;
        for (int i = 0; i < count; i++) {
            Cell cell = cells.remove(random.nextInt(cells.size()));
            int extent = half / 2 + random.nextInt(half / 4 + 1); // half to three quarters of the cell
            int slack = half - extent - 2; // a 1-pixel margin on each side
            int x = (cell.ordinal() % 2) * half + 1 + random.nextInt(slack + 1);
            int y = (cell.ordinal() / 2) * half + 1 + random.nextInt(slack + 1);
            shapes.add(new Shape(Kind.values()[random.nextInt(Kind.values().length)],
                    Paint.values()[random.nextInt(Paint.values().length)], cell, x, y, extent));
        }
        shapes.sort(java.util.Comparator.comparing(Shape::cell));
        return new Picture(size, List.copyOf(shapes));
    }

    /** The picture as RGB pixels. */
    public BufferedImage image() {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, size, size);
        for (Shape s : shapes) {
            g.setColor(s.paint().rgb);
            switch (s.kind()) {
                case CIRCLE -> g.fillOval(s.x(), s.y(), s.extent(), s.extent());
                case SQUARE -> g.fillRect(s.x(), s.y(), s.extent(), s.extent());
                case TRIANGLE -> g.fillPolygon(new int[] {s.x() + s.extent() / 2, s.x(), s.x() + s.extent()},
                        new int[] {s.y(), s.y() + s.extent(), s.y() + s.extent()}, 3);
            }
        }
        g.dispose();
        return image;
    }

    /** The picture as PNG bytes. */
    public byte[] png() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image(), "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
