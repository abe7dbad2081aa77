package dev.evomerge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.evomerge.vision.AnyResolution;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * LLaVA-1.6's packing of an image's per-tile features into one sequence (Hugging Face's
 * {@code pack_image_features}, the "spatial_unpad" merge): the global view's features as they
 * are; then the tiles' patch grids laid back together into one grid over the padded image, the
 * rows and columns that are only padding cut off (so the grid has the image's aspect ratio), and
 * the learned {@code image_newline} after each row, so the language model sees where rows end.
 */
final class AnyResolutionFeatures {
    private AnyResolutionFeatures() {
    }

    /**
     * @param perTile [tiles, patches, D]: the projected features of the global view and then of each tile
     * @param side    patches per tile side ({@code image_size / patch_size})
     */
    static NDArray pack(NDArray perTile, int side, int tileSize, List<int[]> pinpoints, int height, int width,
                        NDArray newline, String where) {
        long tiles = perTile.getShape().get(0);
        long patches = perTile.getShape().get(1);
        long d = perTile.getShape().get(2);
        if (patches != (long) side * side) {
            throw new IllegalArgumentException(where + ": a tile gives " + patches + " features, not the " + side + "x" + side
                    + " patch grid LLaVA-1.6 packs (vision_feature_select_strategy must be \"default\" for a tower with a class token)");
        }
        NDArray base = perTile.get(0);
        if (tiles == 1) {
            return NDArrays.concat(new NDList(base, newline.expandDims(0)));
        }
        int[] grid = grid(side, tileSize, pinpoints, height, width);
        int rows = grid[0];
        int cols = grid[1];
        if (rows * cols != tiles - 1) {
            throw new IllegalArgumentException(where + ": the image has " + (tiles - 1) + " tiles, its " + height + "x" + width
                    + " size gives a " + rows + "x" + cols + " grid");
        }
        // [rows, cols, side, side, D] -> [D, rows, side, cols, side] -> [D, rows*side, cols*side]
        NDArray full = perTile.get("1:").reshape(rows, cols, side, side, d).transpose(4, 0, 2, 1, 3)
                .reshape(d, (long) rows * side, (long) cols * side);
        // cut the padded patch rows (a wide image) or columns (a tall one), as the processor padded them
        NDArray kept = full.get(":, " + grid[2] + ":" + (grid[2] + grid[4]) + ", " + grid[3] + ":" + (grid[3] + grid[5]));
        long h = grid[4];
        long w = grid[5];
        NDArray newlines = newline.reshape(d, 1, 1).broadcast(d, h, 1);
        NDArray withNewlines = NDArrays.concat(new NDList(kept, newlines), 2); // [D, h, w+1]
        return NDArrays.concat(new NDList(base, withNewlines.reshape(d, h * (w + 1)).transpose()));
    }

    /** How many features {@link #pack} gives for an image of this size: the global view's, then a newline per kept row. */
    static int count(int side, int tileSize, List<int[]> pinpoints, int height, int width) {
        int[] grid = grid(side, tileSize, pinpoints, height, width);
        return side * side + grid[4] * (grid[5] + 1);
    }

    /**
     * The image's tile grid and the part of its patch grid that is image: {rows, cols, first kept
     * patch row, first kept patch column, kept rows, kept columns}.
     */
    private static int[] grid(int side, int tileSize, List<int[]> pinpoints, int height, int width) {
        int[] best = AnyResolution.bestResolution(height, width, pinpoints);
        int rows = best[0] / tileSize;
        int cols = best[1] / tileSize;
        int h = rows * side;
        int w = cols * side;
        if ((double) width / height > (double) w / h) {
            int padding = (int) ((h - roundTo7(height * ((double) w / width))) / 2);
            return new int[] {rows, cols, padding, 0, h - 2 * padding, w};
        }
        int padding = (int) ((w - roundTo7(width * ((double) h / height))) / 2);
        return new int[] {rows, cols, 0, padding, h, w - 2 * padding};
    }

    /** Python's {@code int(round(x, 7))}: rounded to 7 decimals (half-even on the double's exact value), then truncated. */
    private static long roundTo7(double x) {
        return new BigDecimal(x).setScale(7, RoundingMode.HALF_EVEN).longValue();
    }
}
