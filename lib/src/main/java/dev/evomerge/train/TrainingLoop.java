package dev.evomerge.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.evomerge.model.CausalLm;
import dev.evomerge.model.Djl;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The training loop itself, for whatever trains: a model's every weight ({@link Trainer}) or a
 * composition's new ones only. Batches from a {@link TrainingSet}, mean
 * cross-entropy over the target tokens through the model's training forward, {@link AdamW} on a
 * {@link CosineSchedule} with gradient clipping, a log row every {@code log_every} steps. Only
 * {@code trainable} gets gradients; everything else the forward reads stays as it is.
 */
final class TrainingLoop {
    private TrainingLoop() {
    }

    /** What the loop did. */
    record Outcome(List<TrainingLog.Row> log, long parameters, long tokens, long paddedTokens, double seconds) {
    }

    /** A batch's loss as a graph autograd differentiates, its arrays on {@code m}. */
    @FunctionalInterface
    interface Loss {
        NDArray of(NDManager m, TrainingSet.Batch batch);
    }

    static Outcome run(CausalLm model, List<NDArray> trainable, TrainingSet data, TrainingSettings s, long eos, PrintStream progress) {
        return run(model.manager(), trainable, data, s, eos, progress, (m, batch) -> loss(model, m, batch));
    }

    /** Trains {@code trainable} on {@code loss}, each step's arrays on a sub-manager of {@code manager}. */
    static Outcome run(NDManager manager, List<NDArray> trainable, TrainingSet data, TrainingSettings s, long eos, PrintStream progress,
                       Loss lossOfBatch) {
        Djl.noGradientsOnThisThread(); // a Spark task's thread starts with autograd on
        long count = 0;
        for (NDArray p : trainable) {
            p.setRequiresGradient(true);
            count += p.size();
        }
        AdamW optimizer = new AdamW(trainable, s.beta1(), s.beta2(), 1e-8, s.weightDecay());
        CosineSchedule schedule = new CosineSchedule(s.learningRate(), s.minLearningRate(), s.warmupSteps(), s.steps());
        TrainingSet.Batches batches = data.batches(s.batchSize(), s.seed(), eos);
        List<TrainingLog.Row> log = new ArrayList<>();
        long tokens = 0;
        long padded = 0;
        long start = System.nanoTime();
        double lossSum = 0;
        int lossCount = 0;
        for (int step = 0; step < s.steps(); step++) {
            TrainingSet.Batch batch = batches.next();
            double lr = schedule.at(step);
            double loss;
            double norm;
            try (NDManager m = manager.newSubManager(); NDScope ignored = new NDScope()) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray l = lossOfBatch.of(m, batch);
                    collector.backward(l);
                    loss = l.getFloat();
                }
                if (!Double.isFinite(loss)) { // AdamW would spread it into every weight
                    throw new IllegalStateException("training diverged: the loss is " + loss + " at step " + (step + 1)
                            + " (learning_rate " + s.learningRate() + "; try a lower one)");
                }
                norm = optimizer.step(lr, s.maxGradNorm());
            }
            tokens += batch.realTokens();
            padded += (long) batch.ids().length * batch.ids()[0].length;
            lossSum += loss;
            lossCount++;
            if ((step + 1) % s.logEvery() == 0 || step + 1 == s.steps()) {
                log.add(new TrainingLog.Row(step + 1, lr, lossSum / lossCount, norm));
                double seconds = (System.nanoTime() - start) / 1e9;
                progress.printf(Locale.ROOT, "  step %5d/%d  loss %.4f  lr %.2e  grad norm %.3f  %.0f tokens/s%n", step + 1,
                        s.steps(), lossSum / lossCount, lr, norm, tokens / seconds);
                lossSum = 0;
                lossCount = 0;
            }
        }
        return new Outcome(log, count, tokens, padded, (System.nanoTime() - start) / 1e9);
    }

    /** Mean cross-entropy of predicting each weighted token from the ones before it. */
    static NDArray loss(CausalLm model, NDManager m, TrainingSet.Batch batch) {
        NDArray tokens = model.tokens(m, batch.ids());
        return loss(model.forward(tokens), tokens, batch);
    }

    /** The same loss from the logits [B, T, V] a forward gave for the batch's {@code tokens}. */
    static NDArray loss(NDArray logits, NDArray tokens, TrainingSet.Batch batch) {
        long[][] ids = batch.ids();
        int b = ids.length;
        int t = ids[0].length;
        float[] flat = new float[b * (t - 1)];
        for (int i = 0; i < b; i++) {
            System.arraycopy(batch.weights()[i], 1, flat, i * (t - 1), t - 1);
        }
        NDArray weights = tokens.getManager().create(flat, new Shape(b, t - 1));
        NDArray logp = logits.get(":, :-1, :").logSoftmax(-1) // position j predicts token j + 1
                .gather(tokens.get(":, 1:").expandDims(-1), 2).squeeze(-1); // [B, T-1]
        return logp.mul(weights).sum().neg().div(weights.sum());
    }
}
