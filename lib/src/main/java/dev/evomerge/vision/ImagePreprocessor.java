package dev.evomerge.vision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * An image as a CLIP vision tower's input, per the checkpoint's {@code preprocessor_config.json}
 * as Hugging Face's CLIPImageProcessor reads it: RGB, the shortest edge resized to
 * {@code size.shortest_edge} (the other edge floor-scaled) with Pillow's filter, a center crop to
 * {@code crop_size}, times {@code rescale_factor}, minus {@code image_mean}, over
 * {@code image_std}; channels first, float32. With {@code image_grid_pinpoints} (LLaVA-1.6's
 * LlavaNextImageProcessor), an image is first cut into tiles ({@link AnyResolution}), each then
 * prepared so.
 */
public record ImagePreprocessor(boolean resize, int shortestEdge, PilResize.Filter filter, boolean centerCrop, int cropHeight,
                                int cropWidth, boolean rescale, double rescaleFactor, boolean normalize, float[] mean,
                                float[] std, List<int[]> pinpoints) {

    /** OpenAI CLIP's defaults, which CLIPImageProcessor uses for a key the file leaves out. */
    private static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    private static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

    public static ImagePreprocessor read(Path file) {
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the image preprocessor config: " + e.getMessage());
        }
        return parse(file.toString(), c);
    }

    /** A preprocessor_config.json's settings; {@code file} names it in errors. */
    public static ImagePreprocessor parse(String file, JsonNode c) {
        JsonNode size = c.path("size");
        int shortest = size.isInt() ? size.asInt() : size.path("shortest_edge").asInt(224);
        JsonNode crop = c.path("crop_size");
        int cropH = crop.isInt() ? crop.asInt() : crop.path("height").asInt(224);
        int cropW = crop.isInt() ? crop.asInt() : crop.path("width").asInt(224);
        PilResize.Filter filter;
        try {
            filter = PilResize.Filter.ofPil(c.path("resample").asInt(3));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": resample: " + e.getMessage());
        }
        return new ImagePreprocessor(c.path("do_resize").asBoolean(true), shortest, filter,
                c.path("do_center_crop").asBoolean(true), cropH, cropW, c.path("do_rescale").asBoolean(true),
                c.path("rescale_factor").asDouble(1 / 255.0), c.path("do_normalize").asBoolean(true),
                floats(file, c, "image_mean", CLIP_MEAN), floats(file, c, "image_std", CLIP_STD), AnyResolution.pinpoints(file + ": image_grid_pinpoints", c.get("image_grid_pinpoints")));
    }

    private static float[] floats(String file, JsonNode c, String key, double[] fallback) {
        JsonNode v = c.get(key);
        if (v == null) {
            v = new ObjectMapper().valueToTree(fallback);
        }
        if (!v.isArray() || v.size() != 3) {
            throw new IllegalArgumentException(file + ": " + key + ": expected 3 numbers (R, G, B), got " + v);
        }
        float[] out = new float[3];
        for (int i = 0; i < 3; i++) {
            out[i] = (float) v.get(i).asDouble();
        }
        return out;
    }

    /**
     * Decodes an encoded image (PNG, JPEG, BMP, GIF: what ImageIO reads); one clear error when it
     * cannot. PNG decodes to the same pixels everywhere; JPEG decoders (ImageIO's, Pillow's
     * libjpeg-turbo) may differ by a level in some pixels.
     */
    public static int[][][] decode(byte[] encoded) {
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(encoded));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot decode the image: " + e.getMessage());
        }
        if (image == null) {
            throw new IllegalArgumentException("cannot decode the image: not a PNG, JPEG, BMP or GIF (" + encoded.length + " bytes)");
        }
        return rgb(image);
    }

    /** [height][width][3] in 0..255, as Pillow's convert("RGB"): gray replicated, alpha dropped. */
    static int[][][] rgb(BufferedImage image) {
        int h = image.getHeight();
        int w = image.getWidth();
        int[][][] out = new int[h][w][3];
        Raster raster = image.getRaster();
        boolean gray = raster.getNumBands() <= 2 && image.getColorModel().getColorSpace().getNumComponents() == 1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (gray) { // getRGB would convert from linear gray, changing the values Pillow keeps
                    int bits = raster.getSampleModel().getSampleSize(0);
                    int sample = raster.getSample(x, y, 0);
                    int v = bits >= 8 ? sample >> (bits - 8) : sample * 255 / ((1 << bits) - 1);
                    out[y][x][0] = v;
                    out[y][x][1] = v;
                    out[y][x][2] = v;
                } else {
                    int argb = image.getRGB(x, y);
                    out[y][x][0] = argb >> 16 & 0xFF;
                    out[y][x][1] = argb >> 8 & 0xFF;
                    out[y][x][2] = argb & 0xFF;
                }
            }
        }
        return out;
    }

    /**
     * The tower's inputs for one image: one for a plain CLIP processor; with pinpoints, the global
     * view and the tiles, as LlavaNextImageProcessor gives them (before its zero-padding of a batch).
     */
    public List<float[]> tilePixels(int[][][] rgb) {
        if (pinpoints.isEmpty()) {
            return List.of(pixels(rgb));
        }
        return AnyResolution.tiles(rgb, pinpoints, cropHeight, shortestEdge, filter).stream().map(this::pixels).toList();
    }

    /** The tower's input, [3][cropHeight][cropWidth] flattened channels first. */
    public float[] pixels(int[][][] rgb) {
        int[][][] image = rgb;
        if (resize) {
            int h = image.length;
            int w = image[0].length;
            int newH;
            int newW;
            if (w <= h) {
                newW = shortestEdge;
                newH = (int) ((double) shortestEdge * h / w);
            } else {
                newH = shortestEdge;
                newW = (int) ((double) shortestEdge * w / h);
            }
            image = PilResize.resize(image, newW, newH, filter);
        }
        int h = image.length;
        int w = image[0].length;
        int outH = h;
        int outW = w;
        int top = 0;
        int left = 0;
        if (centerCrop) {
            if (cropHeight > h || cropWidth > w) {
                throw new IllegalArgumentException("a " + w + "x" + h + " image is smaller than the crop " + cropWidth + "x" + cropHeight);
            }
            top = (h - cropHeight) / 2;
            left = (w - cropWidth) / 2;
            outH = cropHeight;
            outW = cropWidth;
        }
        float[] out = new float[3 * outH * outW];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < outH; y++) {
                for (int x = 0; x < outW; x++) {
                    float v = image[top + y][left + x][c];
                    if (rescale) {
                        v = (float) (v * rescaleFactor); // numpy: float64 product, then float32
                    }
                    if (normalize) {
                        v = (v - mean[c]) / std[c];
                    }
                    out[(c * outH + y) * outW + x] = v;
                }
            }
        }
        return out;
    }
}
