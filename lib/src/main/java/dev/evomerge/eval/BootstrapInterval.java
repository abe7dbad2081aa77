package dev.evomerge.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The mean of per-item scores with a percentile bootstrap interval (Efron 1979): resample the
 * items with replacement {@code samples} times, take each resample's mean, and read the interval
 * off those means' percentiles (linear interpolation between order statistics, numpy's default),
 * as rouge_score's BootstrapAggregator does. Seeded, so the same scores give the same interval.
 *
 * @param mean the items' mean (what is reported; rouge_score reports the bootstrap median, "mid",
 *             which differs from it by resampling noise)
 */
public record BootstrapInterval(double mean, double low, double high) {

    public static BootstrapInterval of(double[] scores, double confidence, int samples, long seed) {
        if (scores.length == 0) {
            throw new IllegalArgumentException("no scores to bootstrap");
        }
        if (!(confidence > 0 && confidence < 1) || samples < 1) {
            throw new IllegalArgumentException("confidence " + confidence + " must be in (0, 1), samples " + samples + " >= 1");
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] means = new double[samples];
        for (int s = 0; s < samples; s++) {
            double sum = 0;
            for (int i = 0; i < scores.length; i++) {
                sum += scores[rnd.nextInt(scores.length)];
            }
            means[s] = sum / scores.length;
        }
        Arrays.sort(means);
        double tail = (1 - confidence) / 2;
        return new BootstrapInterval(Arrays.stream(scores).average().orElseThrow(), percentile(means, tail),
                percentile(means, 1 - tail));
    }

    /** The q-quantile (0..1) of sorted values, interpolating linearly between neighbours. */
    static double percentile(double[] sorted, double q) {
        double index = q * (sorted.length - 1);
        int below = (int) Math.floor(index);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (index - below) * (sorted[above] - sorted[below]);
    }
}
