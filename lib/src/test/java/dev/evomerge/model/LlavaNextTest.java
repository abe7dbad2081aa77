package dev.evomerge.model;

import static dev.evomerge.model.VisionTowerTest.assertClose;
import static dev.evomerge.model.VisionTowerTest.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.vision.ImagePreprocessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LLaVA-1.6 end to end against transformers' LlavaNextForConditionalGeneration (fixture from
 * scripts/golden/llava_next_hf.py): a real PNG decoded and tiled by evomerge's own preprocessor,
 * every tile through the tower and projector, the tiles' grid unpadded with an image_newline per
 * row, the language model's logits and greedy continuation.
 */
class LlavaNextTest {
    private static final Path RESOURCES = Path.of("src/test/resources");

    static {
        Djl.init();
    }

    /**
     * The same checkpoint under transformers 5's in-memory names ({@code model.language_model.*},
     * {@code lm_head.weight}, {@code model.vision_tower.*}, {@code model.multi_modal_projector.*},
     * {@code model.image_newline}), as a state dict saved straight to safetensors has them: the same logits.
     */
    @org.junit.jupiter.api.Test
    void readsTransformers5Names(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path hub = RESOURCES.resolve("llava-next-tiny");
        Path v5 = tmp.resolve("v5");
        Files.createDirectories(v5);
        for (String f : List.of("config.json", "preprocessor_config.json")) {
            Files.copy(hub.resolve(f), v5.resolve(f));
        }
        try (dev.evomerge.io.SafetensorsFile in = dev.evomerge.io.SafetensorsFile.open(hub.resolve("model.safetensors"))) {
            java.util.Map<String, String> renamed = new java.util.LinkedHashMap<>();
            for (var t : in.tensors()) {
                String n = t.name();
                renamed.put(n, n.startsWith("language_model.model.") ? "model.language_model." + n.substring("language_model.model.".length())
                        : n.equals("language_model.lm_head.weight") ? "lm_head.weight" : "model." + n);
            }
            List<dev.evomerge.io.TensorSpec> specs = in.tensors().stream()
                    .map(t -> new dev.evomerge.io.TensorSpec(renamed.get(t.name()), t.dtype(), t.shape())).toList();
            try (dev.evomerge.io.SafetensorsWriter w = dev.evomerge.io.SafetensorsWriter.create(v5.resolve("model.safetensors"), specs)) {
                for (var t : in.tensors()) {
                    w.write(renamed.get(t.name()), in.bytes(t.name()));
                }
                w.finish();
            }
        }
        JsonNode golden = new ObjectMapper().readTree(Files.readString(RESOURCES.resolve("llava-next-tiny-hf.json"))).get("rgb-37x29");
        try (Llava llava = Llava.open(v5); NDManager m = NDManager.newBaseManager()) {
            LlavaImage image = llava.prepare(ImagePreprocessor.decode(Files.readAllBytes(RESOURCES.resolve("vision/rgb-37x29.png"))));
            assertClose(floats(golden.get("logits")), llava.logits(m, longs(golden.get("input_ids")), image).toFloatArray(), 1e-4);
        }
    }

    /** wide-64x20 fills a 1x3 grid with no padded patch row; rgb-37x29 a 2x2 grid whose top and bottom patch rows are padding. */
    @ParameterizedTest
    @ValueSource(strings = {"wide-64x20", "rgb-37x29"})
    void givesTransformersFeaturesLogitsAndContinuation(String name) throws Exception {
        JsonNode golden = new ObjectMapper().readTree(Files.readString(RESOURCES.resolve("llava-next-tiny-hf.json"))).get(name);
        long[] ids = longs(golden.get("input_ids"));
        try (Llava llava = Llava.open(RESOURCES.resolve("llava-next-tiny")); NDManager m = NDManager.newBaseManager()) {
            LlavaImage image = llava.prepare(ImagePreprocessor.decode(Files.readAllBytes(RESOURCES.resolve("vision/" + name + ".png"))));
            assertEquals(golden.get("tiles_shape").get(0).asInt(), image.tiles().size(), "global view + tiles");
            assertEquals(golden.get("image_size").get(0).asInt(), image.height());
            assertEquals(golden.get("image_size").get(1).asInt(), image.width());
            NDArray features = llava.imageFeatures(m, image);
            assertArrayEquals(new long[] {golden.get("features_shape").get(0).asLong(), golden.get("features_shape").get(1).asLong()},
                    features.getShape().getShape());
            assertClose(floats(golden.get("features")), features.toFloatArray(), 1e-4);
            assertEquals(features.getShape().get(0), llava.vision().featureCount(image.height(), image.width()), "counted without the tower");
            assertClose(floats(golden.get("logits")), llava.logits(m, ids, image).toFloatArray(), 1e-4);
            assertArrayEquals(longs(golden.get("generated")), llava.generate(ids, image, golden.get("generated").size()));
            LlavaImage notItsTiles = new LlavaImage(image.tiles().subList(0, 2), image.height(), image.width());
            Exception e = assertThrows(IllegalArgumentException.class, () -> llava.imageFeatures(m, notItsTiles));
            assertEquals("src/test/resources/llava-next-tiny: the image has 1 tiles, its " + image.height() + "x" + image.width()
                    + " size gives a " + (name.startsWith("wide") ? "1x3" : "2x2") + " grid", e.getMessage());
        }
    }

    private static long[] longs(JsonNode values) {
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).asLong();
        }
        return out;
    }
}
