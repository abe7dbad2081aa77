package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The vision tower and projector against transformers' LlavaForConditionalGeneration on a tiny
 * random LLaVA saved in both tensor layouts (fixture from scripts/golden/llava_hf.py).
 */
class VisionTowerTest {
    private static final Path RESOURCES = Path.of("src/test/resources");

    static {
        Djl.init();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-tiny-hub"})
    void givesTransformersImageFeatures(String layout) throws Exception {
        JsonNode golden = new ObjectMapper().readTree(Files.readString(RESOURCES.resolve("llava-tiny-hf.json")));
        JsonNode config = new ObjectMapper().readTree(Files.readString(RESOURCES.resolve(layout).resolve("config.json")));
        try (NDManager m = NDManager.newBaseManager(); SafetensorsFile f = SafetensorsFile.open(RESOURCES.resolve(layout)
                .resolve("model.safetensors"))) {
            VisionTower tower = new VisionTower(m, config, f::contains, name -> load(m, f, name), layout);
            MultiModalProjector projector = new MultiModalProjector(config, name -> load(m, f, name), layout);
            NDArray pixels = m.create(floats(golden.get("pixel_values")), new Shape(3, 16, 16));
            NDArray selected = tower.features(pixels);
            assertArrayEquals(new long[] {16, 32}, selected.getShape().getShape());
            assertClose(floats(golden.get("selected")), selected.toFloatArray(), 1e-4);
            NDArray features = projector.project(selected);
            assertEquals(golden.get("features_shape").get(1).asLong(), features.getShape().get(1));
            assertClose(floats(golden.get("features")), features.toFloatArray(), 1e-4);
        }
    }

    /** The whole LLaVA: image features in place of the <image> tokens, the engine's language model, greedy generation. */
    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-tiny-hub"})
    void givesTransformersLogitsForAPromptWithAnImage(String layout) throws Exception {
        JsonNode golden = new ObjectMapper().readTree(Files.readString(RESOURCES.resolve("llava-tiny-hf.json")));
        long[] ids = new long[golden.get("input_ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = golden.get("input_ids").get(i).asLong();
        }
        try (Llava llava = Llava.open(RESOURCES.resolve(layout)); NDManager m = NDManager.newBaseManager()) {
            NDArray logits = llava.logits(m, ids, image(golden));
            assertArrayEquals(new long[] {golden.get("logits_shape").get(0).asLong(), golden.get("logits_shape").get(1).asLong()},
                    logits.getShape().getShape());
            assertClose(floats(golden.get("logits")), logits.toFloatArray(), 1e-4);
            long[] expected = new long[golden.get("generated").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = golden.get("generated").get(i).asLong();
            }
            assertArrayEquals(expected, llava.generate(ids, image(golden), expected.length), "transformers' greedy continuation");
            long[] fewer = ids.clone();
            fewer[2] = 5; // one image token short
            Exception e = assertThrows(IllegalArgumentException.class, () -> llava.logits(m, fewer, image(golden)));
            assertEquals("the prompt has 15 image tokens, the image gives 16 features", e.getMessage());
        }
    }

    @Test
    void fullStrategyKeepsTheClassTokenAndBadConfigsAreOneLine() throws Exception {
        ObjectNode config = (ObjectNode) new ObjectMapper().readTree(Files.readString(RESOURCES.resolve("llava-tiny/config.json")));
        try (NDManager m = NDManager.newBaseManager(); SafetensorsFile f = SafetensorsFile.open(RESOURCES.resolve(
                "llava-tiny/model.safetensors"))) {
            config.put("vision_feature_select_strategy", "full");
            VisionTower tower = new VisionTower(m, config, f::contains, name -> load(m, f, name), "tiny");
            assertEquals(17, tower.features(m.randomNormal(new Shape(3, 16, 16))).getShape().get(0));
            config.put("vision_feature_layer", 9);
            Exception e = assertThrows(IllegalArgumentException.class,
                    () -> new VisionTower(m, config, f::contains, name -> load(m, f, name), "tiny"));
            assertEquals("tiny: vision_feature_layer: 9 is outside the tower's 4 hidden states", e.getMessage());
            config.put("vision_feature_layer", -2);
            VisionTower again = new VisionTower(m, config, f::contains, name -> load(m, f, name), "tiny");
            Exception size = assertThrows(IllegalArgumentException.class, () -> again.features(m.zeros(new Shape(3, 16, 18))));
            assertTrue(size.getMessage().contains("does not divide into 4-pixel patches"), size.getMessage());
        }
    }

    private static LlavaImage image(JsonNode golden) {
        return new LlavaImage(java.util.List.of(floats(golden.get("pixel_values"))), 16, 16);
    }

    private static NDArray load(NDManager m, SafetensorsFile f, String name) {
        return m.create(f.floats(name), new Shape(f.tensor(name).shape()));
    }

    static float[] floats(JsonNode values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) values.get(i).asDouble();
        }
        return out;
    }

    static void assertClose(float[] expected, float[] actual, double tolerance) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, "value " + i);
        }
    }
}
