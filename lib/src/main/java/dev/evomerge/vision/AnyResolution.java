package dev.evomerge.vision;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * LLaVA-1.6's any-resolution input (Liu et al. 2024, LLaVA-NeXT), as Hugging Face's
 * LlavaNextImageProcessor cuts it: of the checkpoint's {@code image_grid_pinpoints}, the
 * resolution that keeps the most of the image's pixels (ties: the one that wastes the fewest);
 * the image resized into it keeping its aspect ratio, centered on black padding, and cut into
 * tower-sized tiles row by row; before them, the whole image squashed to one tile (the global
 * view).
 */
public final class AnyResolution {
    private AnyResolution() {
    }

    /**
     * The {@code image_grid_pinpoints} of a config, [[height, width], ...]; none when absent (a
     * plain CLIP processor, a LLaVA-1.5). {@code where} names the file and key in errors.
     */
    public static List<int[]> pinpoints(String where, JsonNode v) {
        if (v == null || v.isNull()) {
            return List.of();
        }
        List<int[]> out = new ArrayList<>();
        for (JsonNode p : v) {
            if (!p.isArray() || p.size() != 2 || p.get(0).asInt() <= 0 || p.get(1).asInt() <= 0) {
                throw new IllegalArgumentException(where + ": each must be [height, width] in pixels, got " + p);
            }
            out.add(new int[] {p.get(0).asInt(), p.get(1).asInt()});
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(where + ": empty");
        }
        return List.copyOf(out);
    }

    /** The pinpoint (height, width) that best fits an image of {@code height} x {@code width}. */
    public static int[] bestResolution(int height, int width, List<int[]> pinpoints) {
        int[] best = null;
        long maxEffective = 0;
        long minWasted = Long.MAX_VALUE;
        for (int[] p : pinpoints) {
            double scale = Math.min((double) p[1] / width, (double) p[0] / height);
            long effective = Math.min((long) (int) (width * scale) * (int) (height * scale), (long) width * height);
            long wasted = (long) p[0] * p[1] - effective;
            if (effective > maxEffective || (effective == maxEffective && wasted < minWasted)) {
                maxEffective = effective;
                minWasted = wasted;
                best = p;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("image_grid_pinpoints is empty");
        }
        return best;
    }

    /**
     * The global view ({@code global} x {@code global}), then the tiles ({@code tile} x {@code tile}),
     * each [height][width][3] in 0..255.
     */
    public static List<int[][][]> tiles(int[][][] rgb, List<int[]> pinpoints, int tile, int global, PilResize.Filter filter) {
        int h = rgb.length;
        int w = rgb[0].length;
        int[] target = bestResolution(h, w, pinpoints);
        int targetH = target[0];
        int targetW = target[1];
        double scaleW = (double) targetW / w;
        double scaleH = (double) targetH / h;
        int newH;
        int newW;
        if (scaleW < scaleH) {
            newW = targetW;
            newH = (int) Math.min(Math.ceil(h * scaleW), targetH);
        } else {
            newH = targetH;
            newW = (int) Math.min(Math.ceil(w * scaleH), targetW);
        }
        int[][][] resized = PilResize.resize(rgb, newW, newH, filter);
        int top = (targetH - newH) / 2;
        int left = (targetW - newW) / 2;
        int[][][] padded = new int[targetH][targetW][3]; // black
        for (int y = 0; y < newH; y++) {
            for (int x = 0; x < newW; x++) {
                padded[top + y][left + x] = resized[y][x];
            }
        }
        List<int[][][]> out = new ArrayList<>();
        out.add(PilResize.resize(rgb, global, global, filter));
        for (int y = 0; y < targetH; y += tile) {
            for (int x = 0; x < targetW; x += tile) {
                int th = Math.min(tile, targetH - y);
                int tw = Math.min(tile, targetW - x);
                int[][][] t = new int[th][tw][];
                for (int i = 0; i < th; i++) {
                    System.arraycopy(padded[y + i], x, t[i], 0, tw);
                }
                out.add(t);
            }
        }
        return out;
    }
}
