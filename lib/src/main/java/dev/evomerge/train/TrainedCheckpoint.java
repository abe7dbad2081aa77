package dev.evomerge.train;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * A trained model as a Hugging Face checkpoint, written all at once or not at all: config.json,
 * generation_config.json, model.safetensors (float32, the tensors in transformers' layout and
 * order), the tokenizer's files, and the training log (training_log.csv, loss.png).
 */
final class TrainedCheckpoint {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainedCheckpoint() {
    }

    static void write(TrainConfig config, Transformer model, ObjectNode configJson, List<TrainingLog.Row> log) {
        Map<String, NDArray> tensors = model.checkpointTensors();
        try (AtomicDirectory dir = AtomicDirectory.createReplacing(config.out())) {
            Path d = dir.path();
            DeviceTensors.writeFloats(d.resolve(ShardedWriter.SINGLE_FILE), tensors);
            ObjectNode c = configJson.deepCopy();
            c.put("torch_dtype", "float32");
            Files.writeString(d.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n");
            ObjectNode generation = JSON.createObjectNode();
            generation.put("bos_token_id", c.path("bos_token_id").asInt(1)).put("eos_token_id", c.path("eos_token_id").asInt(2));
            Files.writeString(d.resolve("generation_config.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(generation) + "\n");
            for (String f : Checkpoint.TOKENIZER_FILES) {
                Path src = config.tokenizer().resolve(f);
                if (Files.isRegularFile(src)) {
                    Files.copy(src, d.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.writeString(d.resolve("training_log.csv"), TrainingLog.csv(log));
            Files.write(d.resolve("loss.png"), TrainingLog.png(log, "training loss of " + config.out().getFileName()
                    + " (mean per " + (log.size() > 1 ? log.get(1).step() - log.get(0).step() : 1) + " steps)"));
            dir.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + config.out() + ": " + e.getMessage(), e);
        } finally {
            tensors.values().forEach(NDArray::close);
        }
    }
}
