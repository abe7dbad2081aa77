package dev.evomerge.vision;

/**
 * Resizing an 8-bit RGB image exactly as Pillow's {@code Image.resize} does (libImaging's
 * Resample.c), because Hugging Face's image processors resize through Pillow and a model's
 * vision tower was trained on those pixels. Two separable passes, horizontal then vertical, each
 * a convolution whose support widens with the downscale factor (antialiasing), its weights
 * normalized and turned into 22-bit fixed point, each pass rounded and clipped to 8 bits.
 */
public final class PilResize {
    private PilResize() {
    }

    /** Pillow's resampling filters by their number (Image.Resampling): the ones Hugging Face configs name. */
    public enum Filter {
        BILINEAR(2, 1.0), BICUBIC(3, 2.0), LANCZOS(1, 3.0);

        final int pil;
        final double support;

        Filter(int pil, double support) {
            this.pil = pil;
            this.support = support;
        }

        double weight(double x) {
            x = Math.abs(x);
            return switch (this) {
                case BILINEAR -> x < 1 ? 1 - x : 0;
                case BICUBIC -> { // Keys' cubic with a = -0.5, as Pillow
                    double a = -0.5;
                    yield x < 1 ? ((a + 2) * x - (a + 3)) * x * x + 1 : x < 2 ? (((x - 5) * x + 8) * x - 4) * a : 0;
                }
                case LANCZOS -> x < 3 ? sinc(x) * sinc(x / 3) : 0;
            };
        }

        private static double sinc(double x) {
            if (x == 0) {
                return 1;
            }
            x *= Math.PI;
            return Math.sin(x) / x;
        }

        public static Filter ofPil(int number) {
            for (Filter f : values()) {
                if (f.pil == number) {
                    return f;
                }
            }
            throw new IllegalArgumentException("resample " + number + " is not supported (2 bilinear, 3 bicubic, 1 lanczos)");
        }
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** {@code rgb} is [height][width][3] in 0..255; the result is [newHeight][newWidth][3]. */
    public static int[][][] resize(int[][][] rgb, int newWidth, int newHeight, Filter filter) {
        int height = rgb.length;
        int width = rgb[0].length;
        Coefficients vertical = new Coefficients(height, newHeight, filter);
        int[][][] image = rgb;
        if (newWidth != width) {
            // only the rows the vertical pass reads
            int first = vertical.start[0];
            int last = vertical.start[newHeight - 1] + vertical.count[newHeight - 1];
            Coefficients horizontal = new Coefficients(width, newWidth, filter);
            int[][][] tmp = new int[last - first][newWidth][3];
            for (int y = first; y < last; y++) {
                for (int x = 0; x < newWidth; x++) {
                    for (int c = 0; c < 3; c++) {
                        long sum = 1L << (PRECISION_BITS - 1);
                        for (int k = 0; k < horizontal.count[x]; k++) {
                            sum += (long) rgb[y][horizontal.start[x] + k][c] * horizontal.weights[x][k];
                        }
                        tmp[y - first][x][c] = clip8(sum);
                    }
                }
            }
            for (int y = 0; y < newHeight; y++) {
                vertical.start[y] -= first;
            }
            image = tmp;
        }
        if (newHeight == height) {
            return image;
        }
        int[][][] out = new int[newHeight][newWidth][3];
        for (int y = 0; y < newHeight; y++) {
            for (int x = 0; x < newWidth; x++) {
                for (int c = 0; c < 3; c++) {
                    long sum = 1L << (PRECISION_BITS - 1);
                    for (int k = 0; k < vertical.count[y]; k++) {
                        sum += (long) image[vertical.start[y] + k][x][c] * vertical.weights[y][k];
                    }
                    out[y][x][c] = clip8(sum);
                }
            }
        }
        return out;
    }

    private static int clip8(long sum) {
        long v = sum >> PRECISION_BITS;
        return (int) Math.max(0, Math.min(255, v));
    }

    /** Per output index: the first input index, how many, and their fixed-point weights (Resample.c's precompute_coeffs). */
    private static final class Coefficients {
        final int[] start;
        final int[] count;
        final int[][] weights;

        Coefficients(int inSize, int outSize, Filter filter) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = filter.support * filterScale;
            start = new int[outSize];
            count = new int[outSize];
            weights = new int[outSize][];
            for (int i = 0; i < outSize; i++) {
                double center = (i + 0.5) * scale;
                int min = Math.max(0, (int) (center - support + 0.5));
                int max = Math.min(inSize, (int) (center + support + 0.5)) - min;
                double[] w = new double[max];
                double total = 0;
                for (int k = 0; k < max; k++) {
                    w[k] = filter.weight((k + min - center + 0.5) / filterScale);
                    total += w[k];
                }
                weights[i] = new int[max];
                for (int k = 0; k < max; k++) {
                    double v = total != 0 ? w[k] / total : w[k];
                    weights[i][k] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
                }
                start[i] = min;
                count[i] = max;
            }
        }
    }
}
