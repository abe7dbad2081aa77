package dev.evomerge.merge.kernel;

/**
 * Ranks entries by magnitude without boxing or a full sort: each entry becomes one long key,
 * |x|'s float bits above (non-negative floats order like their bits) and the index below, so keys
 * are unique, ties break by index, and the k-th key is found by quickselect in O(n). At 7B scale a
 * boxed argsort of a 58M-entry tensor would take a gigabyte and many seconds per tensor.
 */
final class MagnitudeRanks {
    private MagnitudeRanks() {
    }

    /** Keys ordering entries by ascending |x|, ties by ascending index. */
    static long[] ascendingKeys(float[] x, int from, int count) {
        long[] keys = new long[count];
        for (int i = 0; i < count; i++) {
            keys[i] = ((long) Float.floatToIntBits(Math.abs(x[from + i])) << 32) | i;
        }
        return keys;
    }

    /** The entry index (relative to from) carried by a key. */
    static int index(long key) {
        return (int) (key & 0xffffffffL);
    }

    /** The k-th smallest key (0-based); reorders {@code keys}. Deterministic pivots (median of three). */
    static long select(long[] keys, int k) {
        int lo = 0;
        int hi = keys.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            long pivot = median(keys[lo], keys[mid], keys[hi]);
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (keys[i] < pivot) {
                    i++;
                }
                while (keys[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    long t = keys[i];
                    keys[i] = keys[j];
                    keys[j] = t;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return keys[k];
            }
        }
        return keys[k];
    }

    private static long median(long a, long b, long c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }
}
