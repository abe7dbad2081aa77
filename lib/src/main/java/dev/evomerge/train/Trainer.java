package dev.evomerge.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
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
import java.util.ArrayList;
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
            source = new InitialWeights(ModelConfig.parse("init", configJson), config.seed());
        }
        ModelConfig modelConfig = source.config();
        long eos = modelConfig.eosTokenIds().get(0);
        try (Tokenizer tokenizer = Tokenizer.load(config.tokenizer(), modelConfig.bosTokenId());
             Transformer model = Transformer.load(source, Device.cpu(), DataType.FLOAT32)) {
            TrainingSet data = TrainingSet.read(config.data(), tokenizer, config.template(), config.maxLength(), eos);
            progress.printf(Locale.ROOT, "training %s: %d examples (%d cut at max_length %d), %d steps of %d%n",
                    config.out().getFileName(), data.size(), data.truncated(), config.maxLength(), config.steps(), config.batchSize());
            List<NDArray> parameters = model.parameters();
            long count = 0;
            for (NDArray p : parameters) {
                p.setRequiresGradient(true);
                count += p.size();
            }
            AdamW optimizer = new AdamW(parameters, config.beta1(), config.beta2(), 1e-8, config.weightDecay());
            CosineSchedule schedule = new CosineSchedule(config.learningRate(), config.minLearningRate(), config.warmupSteps(),
                    config.steps());
            TrainingSet.Batches batches = data.batches(config.batchSize(), config.seed(), eos);
            List<TrainingLog.Row> log = new ArrayList<>();
            long tokens = 0;
            long padded = 0;
            long start = System.nanoTime();
            double lossSum = 0;
            int lossCount = 0;
            for (int step = 0; step < config.steps(); step++) {
                TrainingSet.Batch batch = batches.next();
                double lr = schedule.at(step);
                double loss;
                double norm;
                try (NDManager m = model.manager().newSubManager(); NDScope ignored = new NDScope()) {
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray l = loss(model, m, batch);
                        collector.backward(l);
                        loss = l.getFloat();
                    }
                    norm = optimizer.step(lr, config.maxGradNorm());
                }
                tokens += batch.realTokens();
                padded += (long) batch.ids().length * batch.ids()[0].length;
                lossSum += loss;
                lossCount++;
                if ((step + 1) % config.logEvery() == 0 || step + 1 == config.steps()) {
                    log.add(new TrainingLog.Row(step + 1, lr, lossSum / lossCount, norm));
                    double seconds = (System.nanoTime() - start) / 1e9;
                    progress.printf(Locale.ROOT, "  step %5d/%d  loss %.4f  lr %.2e  grad norm %.3f  %.0f tokens/s%n", step + 1,
                            config.steps(), lossSum / lossCount, lr, norm, tokens / seconds);
                    lossSum = 0;
                    lossCount = 0;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            TrainedCheckpoint.write(config, model, configJson, log);
            return new Result(config.out(), log, count, tokens, padded, seconds);
        } finally {
            if (from != null) {
                from.close();
            }
        }
    }

    /** Mean cross-entropy of predicting each weighted token from the ones before it. */
    static NDArray loss(Transformer model, NDManager m, TrainingSet.Batch batch) {
        long[][] ids = batch.ids();
        int b = ids.length;
        int t = ids[0].length;
        float[] flat = new float[b * (t - 1)];
        for (int i = 0; i < b; i++) {
            System.arraycopy(batch.weights()[i], 1, flat, i * (t - 1), t - 1);
        }
        NDArray tokens = model.tokens(m, ids);
        NDArray weights = m.create(flat, new Shape(b, t - 1));
        NDArray logits = model.forward(tokens).get(":, :-1, :"); // position j predicts token j + 1
        NDArray logp = logits.logSoftmax(-1).gather(tokens.get(":, 1:").expandDims(-1), 2).squeeze(-1); // [B, T-1]
        return logp.mul(weights).sum().neg().div(weights.sum());
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
