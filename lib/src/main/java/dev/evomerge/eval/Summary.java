package dev.evomerge.eval;

import java.util.List;
import java.util.Locale;

/**
 * Totals over item results: accuracy (and accuracy in Japanese) with 95% Wilson score
 * intervals, or the mean loss per token. Totals are sums, so summing shard summaries gives the
 * whole set's summary whatever the shard count.
 */
public record Summary(int items, int correct, int correctInJapanese, double loss, long tokens, double score,
                      double scoreSquares) implements java.io.Serializable {
    private static final double Z95 = 1.959963984540054;
    /** Under this many items the interval is wide enough to say so. */
    public static final int SMALL = 100;

    /** Totals of an accuracy or likelihood task (no VQA scores). */
    public Summary(int items, int correct, int correctInJapanese, double loss, long tokens) {
        this(items, correct, correctInJapanese, loss, tokens, 0, 0);
    }

    public static Summary of(List<ItemResult> results) {
        int correct = 0;
        int ja = 0;
        double loss = 0;
        long tokens = 0;
        double score = 0;
        double squares = 0;
        for (ItemResult r : results) {
            correct += r.correct() ? 1 : 0;
            ja += r.correctInJapanese() ? 1 : 0;
            loss += r.loss();
            tokens += r.tokens();
            score += r.score();
            squares += r.score() * r.score();
        }
        return new Summary(results.size(), correct, ja, loss, tokens, score, squares);
    }

    public Summary plus(Summary o) {
        return new Summary(items + o.items, correct + o.correct, correctInJapanese + o.correctInJapanese,
                loss + o.loss, tokens + o.tokens, score + o.score, scoreSquares + o.scoreSquares);
    }

    /** The mean VQA score (0..1). */
    public double meanScore() {
        return items == 0 ? 0 : score / items;
    }

    /**
     * A 95% interval of the mean VQA score from the totals alone (the normal approximation, which
     * sums of shards allow); scripts/eval, which has every item's score, gives the bootstrap one.
     */
    public double[] scoreInterval() {
        if (items < 2) {
            return new double[] {0, 1};
        }
        double mean = meanScore();
        double variance = Math.max(0, (scoreSquares - items * mean * mean) / (items - 1));
        double half = Z95 * Math.sqrt(variance / items);
        return new double[] {Math.max(0, mean - half), Math.min(1, mean + half)};
    }

    public double accuracy() {
        return items == 0 ? 0 : (double) correct / items;
    }

    public double accuracyInJapanese() {
        return items == 0 ? 0 : (double) correctInJapanese / items;
    }

    public double meanLoss() {
        return loss / tokens;
    }

    /** The 95% Wilson score interval of k successes in n trials. */
    public static double[] wilson(int k, int n) {
        if (n == 0) {
            return new double[] {0, 1};
        }
        double p = (double) k / n;
        double z2 = Z95 * Z95;
        double center = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z95 * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return new double[] {Math.max(0, center - half), Math.min(1, center + half)};
    }

    /** "0.5200 [0.4581, 0.5812] (130/250)" and a warning for a small set. */
    public static String formatRate(int k, int n) {
        double[] ci = wilson(k, n);
        return String.format(Locale.ROOT, "%.4f  95%% CI [%.4f, %.4f]  (%d/%d)%s", n == 0 ? 0.0 : (double) k / n, ci[0], ci[1],
                k, n, n < SMALL ? "  -- small set: read the interval, not the point" : "");
    }
}
