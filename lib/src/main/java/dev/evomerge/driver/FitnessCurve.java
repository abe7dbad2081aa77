package dev.evomerge.driver;

import java.awt.Color;
import java.util.List;

/**
 * The per-generation pictures of a run, as PNG: best and mean fitness ({@code fitness.png}), and
 * for a multi-objective run the front's hypervolume ({@code hypervolume.png}).
 */
public final class FitnessCurve {
    private FitnessCurve() {
    }

    public static byte[] png(List<RunState.GenerationStats> history) {
        return LineChart.png(history, RunState.GenerationStats::generation, "generation",
                "fitness per generation (higher is better)", List.of(
                        new LineChart.Series<>("best", new Color(31, 119, 180), RunState.GenerationStats::best),
                        new LineChart.Series<>("mean", new Color(255, 127, 14), RunState.GenerationStats::mean)));
    }

    public static byte[] hypervolume(List<RunState.GenerationStats> history) {
        return LineChart.png(history, RunState.GenerationStats::generation, "generation",
                "hypervolume of the front after each generation (higher is better)", List.of(
                        new LineChart.Series<>("hypervolume", new Color(44, 160, 44), RunState.GenerationStats::hypervolume)));
    }
}
