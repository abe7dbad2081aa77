package dev.evomerge.train;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import dev.evomerge.model.WeightSource;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Trains a Llama-family model with evomerge's own {@link Transformer} under DJL's autograd: the
 * model from a checkpoint or new ({@link InitialWeights}), batches from a {@link TrainingSet},
 * mean cross-entropy over the target tokens, {@link AdamW} on a {@link CosineSchedule} with
 * gradient clipping, and at the end a Hugging Face checkpoint ({@link TrainedCheckpoint}) with
 * the tokenizer and the training log. Everything is drawn from the config's seed, so the same
 * config gives the same bytes on the same machine.
 */
public final class Trainer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Trainer() {
    }

    /** What a run did: its log, its speed, and the model's size. */
    public record Result(Path out, List<TrainingLog.Row> log, long parameters, long tokens, long paddedTokens, double seconds) {
        /** Tokens a second, counting only real (not padding) tokens. */
        public double tokensPerSecond() {
            return tokens / seconds;
        }
    }

    public static Result train(TrainConfig config, PrintStream progress) {
        if (!Files.isRegularFile(config.tokenizer().resolve("tokenizer.json"))) {
            throw new CheckpointException(config.tokenizer().toString(), "no tokenizer.json to train with");
        }
        WeightSource source;
        ObjectNode configJson;
        Checkpoint from = null;
        if (config.from() != null) {
            from = Checkpoint.open(config.from());
            source = WeightSource.of(from);
            configJson = from.config().raw().deepCopy();
            if (from.config().tieWordEmbeddings()) {
                from.close(); // the try below, whose finally closes it, is not entered
                throw new CheckpointException(config.from().toString(), "config.json: tie_word_embeddings is true; "
                        + "the trainer updates the embeddings and the head as two matrices, so it fine-tunes untied models only");
            }
        } else {
            configJson = config.architecture().deepCopy();
            if (configJson.path("vocab_size").asInt() == 0) {
                configJson.put("vocab_size", vocabularySize(config.tokenizer()));
            }
            source = new InitialWeights(ModelConfig.parse("init", configJson), config.training().seed());
        }
        ModelConfig modelConfig = source.config();
        long eos = modelConfig.eosTokenIds().get(0);
        TrainingSettings settings = config.training();
        try (Tokenizer tokenizer = Tokenizer.load(config.tokenizer(), modelConfig.bosTokenId());
             Transformer model = Transformer.load(source, Device.cpu(), DataType.FLOAT32)) {
            TrainingSet data = TrainingSet.read(settings.data(), tokenizer, settings.template(), settings.maxLength(), eos);
            progress.printf(Locale.ROOT, "training %s: %d examples (%d cut at max_length %d), %d steps of %d%n",
                    config.out().getFileName(), data.size(), data.truncated(), settings.maxLength(), settings.steps(),
                    settings.batchSize());
            TrainingLoop.Outcome done = TrainingLoop.run(model, model.parameters(), data, settings, eos, progress);
            TrainedCheckpoint.write(config, model, configJson, done.log());
            return new Result(config.out(), done.log(), done.parameters(), done.tokens(), done.paddedTokens(), done.seconds());
        } finally {
            if (from != null) {
                from.close();
            }
        }
    }

    /** The vocabulary size of a tokenizer.json: one past its largest id (vocabulary and added tokens). */
    static int vocabularySize(Path tokenizerDir) {
        try {
            var t = JSON.readTree(tokenizerDir.resolve("tokenizer.json").toFile());
            int max = -1;
            for (var it = t.path("model").path("vocab").fields(); it.hasNext(); ) {
                max = Math.max(max, it.next().getValue().asInt());
            }
            for (var added : t.path("added_tokens")) {
                max = Math.max(max, added.path("id").asInt());
            }
            return max + 1;
        } catch (IOException e) {
            throw new UncheckedIOException(tokenizerDir.resolve("tokenizer.json") + ": cannot read: " + e.getMessage(), e);
        }
    }
}
