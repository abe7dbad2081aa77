package dev.evomerge.model;

import java.util.List;

/** Sequences of different lengths padded into one [B, T] block, with a 1/0 mask of real tokens. */
record TokenBatch(long[][] ids, long[][] mask, int width) {

    /** Left padding puts every sequence's last token in the last column (generation); right padding keeps positions aligned (scoring). */
    static TokenBatch pad(List<long[]> sequences, boolean left, long padId) {
        int width = sequences.stream().mapToInt(s -> s.length).max().orElse(0);
        long[][] ids = new long[sequences.size()][width];
        long[][] mask = new long[sequences.size()][width];
        for (int b = 0; b < sequences.size(); b++) {
            long[] s = sequences.get(b);
            int offset = left ? width - s.length : 0;
            java.util.Arrays.fill(ids[b], padId);
            for (int i = 0; i < s.length; i++) {
                ids[b][offset + i] = s[i];
                mask[b][offset + i] = 1;
            }
        }
        return new TokenBatch(ids, mask, width);
    }
}
