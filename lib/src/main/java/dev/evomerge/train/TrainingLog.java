package dev.evomerge.train;

import dev.evomerge.driver.LineChart;
import java.awt.Color;
import java.util.List;
import java.util.Locale;

/**
 * A training run's log: the mean loss over each logging interval, with the learning rate and the
 * gradient norm at its last step, as CSV ({@code training_log.csv}) and as a curve
 * ({@code loss.png}). No wall-clock times: the log is part of the checkpoint, which the same
 * config must reproduce byte for byte.
 */
public final class TrainingLog {
    private TrainingLog() {
    }

    public record Row(int step, double learningRate, double loss, double gradNorm) {
    }

    public static String csv(List<Row> rows) {
        StringBuilder b = new StringBuilder("step,learning_rate,loss,grad_norm\n");
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "%d,%.6e,%.6f,%.6f%n", r.step(), r.learningRate(), r.loss(), r.gradNorm()));
        }
        return b.toString();
    }

    public static byte[] png(List<Row> rows, String title) {
        return LineChart.png(rows, Row::step, "step", title, List.of(
                new LineChart.Series<>("loss", new Color(31, 119, 180), Row::loss)));
    }
}
