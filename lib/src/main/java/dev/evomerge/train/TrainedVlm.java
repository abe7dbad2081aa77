package dev.evomerge.train;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.AtomicDirectory;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.ShardedWriter;
import dev.evomerge.model.DeviceTensors;
import dev.evomerge.model.Transformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A trained LLaVA as the Hugging Face hub's llava-hf checkpoints are laid out, written all at
 * once or not at all: config.json (the language model's config as {@code text_config}),
 * model.safetensors in float32 ({@code language_model.model.*}, {@code language_model.lm_head},
 * {@code vision_tower.vision_model.*}, {@code multi_modal_projector.*}), the language model's
 * tokenizer with {@code <image>} added, preprocessor_config.json, and the training log.
 */
final class TrainedVlm {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainedVlm() {
    }

    static void write(VlmTrainer.Config c, ObjectNode config, Transformer language, Map<String, NDArray> vision, Checkpoint lm,
                      ObjectNode preprocessor, List<TrainingLog.Row> log, long parameters) {
        Map<String, NDArray> languageTensors = language.checkpointTensors();
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        languageTensors.forEach((name, t) -> tensors.put("language_model." + name, t));
        tensors.putAll(vision);
        int imageToken = config.path("image_token_index").asInt();
        try (AtomicDirectory dir = AtomicDirectory.createReplacing(c.out())) {
            Path d = dir.path();
            DeviceTensors.writeFloats(d.resolve(ShardedWriter.SINGLE_FILE), tensors);
            json(d.resolve("config.json"), config);
            ObjectNode generation = JSON.createObjectNode();
            JsonNode text = config.path("text_config");
            generation.put("bos_token_id", text.path("bos_token_id").asInt(1)).put("eos_token_id", text.path("eos_token_id").asInt(2));
            json(d.resolve("generation_config.json"), generation);
            json(d.resolve("preprocessor_config.json"), preprocessor);
            ObjectNode tokenizer = (ObjectNode) JSON.readTree(lm.dir().resolve("tokenizer.json").toFile());
            ((ArrayNode) tokenizer.withArray("added_tokens")).addObject().put("id", imageToken).put("content", VlmTrainer.IMAGE_TOKEN)
                    .put("single_word", false).put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
            Files.writeString(d.resolve("tokenizer.json"), JSON.writeValueAsString(tokenizer));
            Path tokenizerConfig = lm.dir().resolve("tokenizer_config.json");
            if (Files.isRegularFile(tokenizerConfig)) {
                ObjectNode tc = (ObjectNode) JSON.readTree(tokenizerConfig.toFile());
                tc.putArray("additional_special_tokens").add(VlmTrainer.IMAGE_TOKEN);
                json(d.resolve("tokenizer_config.json"), tc);
            }
            Files.writeString(d.resolve("training_log.csv"), TrainingLog.csv(log));
            Files.write(d.resolve("loss.png"), TrainingLog.png(log, "training loss of " + c.out().getFileName() + " (all stages)"));
            Files.writeString(d.resolve("README.md"), card(c, log, parameters));
            dir.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + c.out() + ": " + e.getMessage(), e);
        } finally {
            languageTensors.values().forEach(NDArray::close);
        }
    }

    private static void json(Path file, JsonNode node) throws IOException {
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n");
    }

    private static String card(VlmTrainer.Config c, List<TrainingLog.Row> log, long parameters) {
        VlmTrainer.Vision v = c.vision();
        StringBuilder stages = new StringBuilder();
        for (VlmTrainer.Stage stage : c.stages()) {
            TrainingSettings s = stage.training();
            stages.append(stages.length() == 0 ? "" : ", then ").append(stage.trains().stream()
                    .map(p -> p.name().toLowerCase(Locale.ROOT)).sorted().toList()).append(String.format(Locale.ROOT,
                    " for %,d steps of %d at %.1e", s.steps(), s.batchSize(), s.learningRate()));
        }
        return "# " + c.out().getFileName() + "\n\nA small LLaVA trained by evomerge (`train/VlmTrainer`): the language model `"
                + c.languageModel().getFileName() + "` with a new CLIP-style vision tower (" + v.layers() + " layers, width "
                + v.hiddenSize() + ", " + v.imageSize() + "-pixel images in " + v.patchSize() + "-pixel patches) and an MLP projector, "
                + "trained on `" + c.data().getFileName() + "` in the `" + c.template() + "` template: " + stages
                + String.format(Locale.ROOT, "; %,d parameters, final loss %.4f", parameters, log.get(log.size() - 1).loss())
                + ". transformers loads it as LlavaForConditionalGeneration.\n";
    }
}
