package dev.evomerge.eval;

import java.util.List;

/**
 * ROUGE-L (Lin 2004) of a prediction against a reference, over tokens: the longest common
 * subsequence, precision = LCS / prediction length, recall = LCS / reference length, F-measure =
 * their harmonic mean; 0 when either side is empty. As Google's rouge_score computes it (the
 * paper's scorer), with the tokens given.
 */
public final class RougeL {
    private RougeL() {
    }

    public static double fMeasure(List<String> reference, List<String> prediction) {
        if (reference.isEmpty() || prediction.isEmpty()) {
            return 0;
        }
        int lcs = lcs(reference, prediction);
        double precision = (double) lcs / prediction.size();
        double recall = (double) lcs / reference.size();
        return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    }

    /** Length of the longest common subsequence: the classic table, one row at a time. */
    static int lcs(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (String x : a) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = x.equals(b.get(j - 1)) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.size()];
    }
}
