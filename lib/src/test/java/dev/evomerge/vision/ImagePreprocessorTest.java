package dev.evomerge.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against Hugging Face's CLIPImageProcessor and Pillow (fixture from
 * scripts/golden/clip_preprocess_hf.py): PNGs in RGB, grayscale, RGBA, downscaled and upscaled,
 * bicubic, bilinear and Lanczos.
 */
class ImagePreprocessorTest {
    private static final Path DIR = Path.of("src/test/resources/vision");

    @Test
    void resizesPixelForPixelAsPillow() throws Exception {
        for (JsonNode c : golden()) {
            int[][][] rgb = ImagePreprocessor.decode(Files.readAllBytes(DIR.resolve(c.get("name").asText() + ".png")));
            int w = c.get("resized_size").get(0).asInt();
            int h = c.get("resized_size").get(1).asInt();
            int[][][] resized = PilResize.resize(rgb, w, h, PilResize.Filter.ofPil(c.get("config").get("resample").asInt()));
            JsonNode expected = c.get("resized");
            assertEquals(h * w * 3, expected.size());
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int ch = 0; ch < 3; ch++) {
                        assertEquals(expected.get((y * w + x) * 3 + ch).asInt(), resized[y][x][ch],
                                c.get("name").asText() + " pixel (" + x + ", " + y + ") channel " + ch);
                    }
                }
            }
        }
    }

    @Test
    void givesClipImageProcessorsPixelValues(@TempDir Path dir) throws Exception {
        for (JsonNode c : golden()) {
            List<float[]> pixels = List.of(processor(dir, c, "config").pixels(picture(c)));
            assertTiles(c.get("name").asText(), c.get("pixel_values"), pixels);
        }
    }

    /** LLaVA-1.6's global view and tiles, as LlavaNextImageProcessor gives them, for every picture and aspect ratio. */
    @Test
    void cutsAnyResolutionTilesAsLlavaNext(@TempDir Path dir) throws Exception {
        for (JsonNode c : golden()) {
            List<float[]> tiles = processor(dir, c, "next_config").tilePixels(picture(c));
            assertEquals(c.get("tiles_shape").get(0).asInt(), tiles.size(), c.get("name").asText() + " tiles");
            assertTiles(c.get("name").asText(), c.get("tiles"), tiles);
        }
    }

    private static ImagePreprocessor processor(Path dir, JsonNode c, String key) throws Exception {
        Path config = dir.resolve(c.get("name").asText() + "-" + key + ".json");
        Files.writeString(config, c.get(key).toString());
        return ImagePreprocessor.read(config);
    }

    private static int[][][] picture(JsonNode c) throws Exception {
        return ImagePreprocessor.decode(Files.readAllBytes(DIR.resolve(c.get("name").asText() + ".png")));
    }

    /** {@code expected} is the tiles' values one after another. */
    private static void assertTiles(String name, JsonNode expected, List<float[]> tiles) {
        int per = expected.size() / tiles.size();
        for (int t = 0; t < tiles.size(); t++) {
            assertEquals(per, tiles.get(t).length, name + " tile " + t);
            for (int i = 0; i < per; i++) {
                assertEquals(expected.get(t * per + i).asDouble(), tiles.get(t)[i], 1e-6, name + " tile " + t + " value " + i);
            }
        }
    }

    /**
     * Worked by hand, a 100 x 60 (h x w) image: in 30 x 60 it keeps 30 x 18 = 540 pixels; in 200 x 100
     * and 120 x 60 all 6,000, wasting 14,000 and 1,200: 120 x 60.
     */
    @Test
    void picksThePinpointThatKeepsMostAndWastesLeast() {
        List<int[]> pins = List.of(new int[] {30, 60}, new int[] {200, 100}, new int[] {120, 60});
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {120, 60}, AnyResolution.bestResolution(100, 60, pins));
    }

    /** One value worked by hand: the RGB image's pixel (0, 0) red, rescaled and normalized with CLIP's mean and std. */
    @Test
    void normalizesAsWorkedByHand(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("c.json");
        Files.writeString(config, "{\"do_resize\": false, \"do_center_crop\": false}");
        ImagePreprocessor p = ImagePreprocessor.read(config);
        int[][][] one = {{{200, 100, 0}}};
        float[] v = p.pixels(one);
        assertEquals((200 / 255.0 - 0.48145466) / 0.26862954, v[0], 1e-6);
        assertEquals((100 / 255.0 - 0.4578275) / 0.26130258, v[1], 1e-6);
        assertEquals((0 - 0.40821073) / 0.27577711, v[2], 1e-6);
    }

    @Test
    void aCorruptImageIsOneClearError() {
        Exception e = assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.decode(new byte[] {1, 2, 3, 4}));
        assertEquals("cannot decode the image: not a PNG, JPEG, BMP or GIF (4 bytes)", e.getMessage());
        byte[] png = new byte[0];
        try {
            png = Files.readAllBytes(DIR.resolve("rgb-37x29.png"));
        } catch (java.io.IOException ignored) {
            // asserted below
        }
        byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2);
        Exception t = assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.decode(truncated));
        assertTrue(t.getMessage().startsWith("cannot decode the image"), t.getMessage());
    }

    @Test
    void anUnsupportedFilterNamesTheFileAndKey(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("preprocessor_config.json");
        Files.writeString(config, "{\"resample\": 0}");
        Exception e = assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.read(config));
        assertTrue(e.getMessage().startsWith(config + ": resample: resample 0 is not supported"), e.getMessage());
    }

    private static JsonNode golden() throws Exception {
        return new ObjectMapper().readTree(Files.readString(DIR.resolve("clip-preprocess-hf.json")));
    }
}
