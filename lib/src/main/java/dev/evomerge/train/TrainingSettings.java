package dev.evomerge.train;

import dev.evomerge.driver.ConfigNode;
import java.nio.file.Path;
import java.util.List;

/**
 * What a training run reads and how its optimizer steps, shared by training a model
 * ({@link TrainConfig}) and training a composition: {@code data} (JSONL of
 * {@code text}, or of {@code question}/{@code answer} in a prompt template, the loss then on the
 * answer only), AdamW's settings on a cosine schedule with warm-up, clipping, the seed. Names
 * follow Hugging Face's TrainingArguments where there is one.
 *
 * @param template MGSM prompt template name for question/answer data, or null for plain text
 */
public record TrainingSettings(Path data, String template, int steps, int batchSize, int maxLength, double learningRate,
                               double minLearningRate, int warmupSteps, double weightDecay, double beta1, double beta2,
                               double maxGradNorm, long seed, int logEvery) {

    /** The config keys these settings are read from. */
    public static final List<String> KEYS = List.of("data", "template", "steps", "batch_size", "max_length", "learning_rate",
            "min_learning_rate", "warmup_steps", "weight_decay", "adam_beta1", "adam_beta2", "max_grad_norm", "seed", "log_every");

    /** The settings of {@code node} (whose other keys its owner checks), {@code learningRate} the default rate. */
    public static TrainingSettings parse(ConfigNode node, double learningRate) {
        return parse(node, learningRate, true);
    }

    /** As {@link #parse(ConfigNode, double)}; without {@code withData}, the node names no data (its owner does: null here). */
    public static TrainingSettings parse(ConfigNode node, double learningRate, boolean withData) {
        int steps = node.integer("steps", 0, 1);
        if (steps == 0) {
            throw node.error("steps", "missing");
        }
        double lr = node.number("learning_rate", learningRate, 0, 10);
        int warmup = node.integer("warmup_steps", Math.min(100, steps / 10), 0);
        if (warmup > steps) {
            throw node.error("warmup_steps", warmup + " is more than steps " + steps);
        }
        return new TrainingSettings(withData ? node.localPath("data") : null, node.optionalString("template"), steps, node.integer("batch_size", 32, 1),
                node.integer("max_length", 128, 2), lr, node.number("min_learning_rate", lr / 10, 0, lr), warmup,
                node.number("weight_decay", 0.1, 0, 1), node.number("adam_beta1", 0.9, 0, 0.999999),
                node.number("adam_beta2", 0.95, 0, 0.999999), node.number("max_grad_norm", 1.0, 0, 1e9), node.longValue("seed", 0),
                node.integer("log_every", 50, 1));
    }

    /** The same run cut to {@code steps} (warm-up at most that long, logging only at the end): what a benchmark times. */
    public TrainingSettings withSteps(int steps) {
        return new TrainingSettings(data, template, steps, batchSize, maxLength, learningRate, minLearningRate,
                Math.min(warmupSteps, steps), weightDecay, beta1, beta2, maxGradNorm, seed, steps);
    }
}
