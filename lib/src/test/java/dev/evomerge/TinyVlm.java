package dev.evomerge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.DType;
import dev.evomerge.io.SafetensorsFile;
import dev.evomerge.io.SafetensorsWriter;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.io.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A small LLaVA made for tests that need a VLM which speaks through a real tokenizer: a real
 * language model (a bundled stories260K checkpoint) behind the CLIP tower of the tiny random
 * LLaVA fixture (scripts/golden/llava_hf.py) and a seeded random projector from the tower's width
 * to the language model's, written in the llava-hf hub layout with the language model's
 * tokenizer and a 16-pixel CLIP preprocessor. Its answers are not meaningful; its computations
 * are the real ones.
 */
public final class TinyVlm {
    /** The image token: the tokenizer's last piece, which short test prompts do not contain. */
    public static final int IMAGE_TOKEN = 511;
    private static final Path TOWER = Fixtures.repoRoot().resolve("lib/src/test/resources/llava-tiny-hub");
    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyVlm() {
    }

    public static Path write(Path dir, Path languageModel, long seed) throws IOException {
        Files.createDirectories(dir);
        Random random = new Random(seed);
        try (Checkpoint lm = Checkpoint.open(languageModel); SafetensorsFile tower = SafetensorsFile.open(TOWER.resolve("model.safetensors"))) {
            int width = lm.config().hiddenSize();
            List<TensorSpec> specs = new ArrayList<>();
            lm.tensors().values().forEach(t -> specs.add(new TensorSpec("language_model." + t.name(), t.dtype(), t.shape())));
            List<TensorInfo> vision = tower.tensors().stream().filter(t -> t.name().startsWith("vision_tower.")).toList();
            vision.forEach(t -> specs.add(new TensorSpec(t.name(), t.dtype(), t.shape())));
            long towerWidth = tower.tensor("vision_tower.vision_model.post_layernorm.weight").shape()[0];
            long[][] projector = {{width, towerWidth}, {width}, {width, width}, {width}};
            String[] names = {"linear_1.weight", "linear_1.bias", "linear_2.weight", "linear_2.bias"};
            for (int i = 0; i < names.length; i++) {
                specs.add(new TensorSpec("multi_modal_projector." + names[i], DType.F32, projector[i]));
            }
            try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("model.safetensors"), specs)) {
                for (TensorInfo t : lm.tensors().values()) {
                    w.write("language_model." + t.name(), lm.bytes(t.name()));
                }
                for (TensorInfo t : vision) {
                    w.write(t.name(), tower.bytes(t.name()));
                }
                for (long[] shape : projector) {
                    float[] v = new float[(int) TensorInfo.numel(shape)];
                    for (int k = 0; k < v.length; k++) {
                        v[k] = (float) (random.nextGaussian() * 0.2);
                    }
                    w.write(w.nextTensor().name(), TensorBytes.fromFloats(v, DType.F32));
                }
                w.finish();
            }
            ObjectNode config = (ObjectNode) JSON.readTree(TOWER.resolve("config.json").toFile());
            config.set("text_config", lm.config().raw());
            config.put("image_token_index", IMAGE_TOKEN);
            Files.writeString(dir.resolve("config.json"), config.toPrettyString());
            for (Path f : lm.tokenizerFiles()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Files.writeString(dir.resolve("preprocessor_config.json"), "{\"do_resize\": true, \"size\": {\"shortest_edge\": 16}, "
                + "\"resample\": 3, \"do_center_crop\": true, \"crop_size\": {\"height\": 16, \"width\": 16}, \"do_rescale\": true, "
                + "\"rescale_factor\": 0.00392156862745098, \"do_normalize\": true, \"image_processor_type\": \"CLIPImageProcessor\"}");
        return dir;
    }

    /**
     * A VQA set of four of the test images with English references in stories260K's words (English
     * references take no language rule), so that a TinyVlm's candidates score above zero and differ:
     * {@code dir/stories-vqa.jsonl} with the images beside it.
     */
    public static Path storiesVqaSet(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path vision = Fixtures.repoRoot().resolve("lib/src/test/resources/vision");
        String[] images = {"wide-64x20", "rgb-37x29", "gray-20x30", "small-9x7"};
        String[] answers = {"Once upon a time, there was a little girl named Lily.", "She liked to play with her ball in the park.",
            "The sun was shining and the birds were singing.", "They were happy and played together all day."};
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < images.length; i++) {
            Files.copy(vision.resolve(images[i] + ".png"), dir.resolve(images[i] + ".png"));
            lines.append("{\"question\": \"What happens in picture ").append(i).append("?\", \"answer\": \"").append(answers[i])
                    .append("\", \"image\": \"").append(images[i]).append(".png\"}\n");
        }
        Files.writeString(dir.resolve("stories-vqa.jsonl"), lines.toString());
        return dir.resolve("stories-vqa.jsonl");
    }
}
