package dev.evomerge.eval;

import java.util.ArrayList;
import java.util.List;

/** Cuts an item list into {@code n} contiguous, balanced, deterministic shards (the units Spark tasks score). */
public final class Shards {
    private Shards() {
    }

    public static <T> List<List<T>> of(List<T> items, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("shard count must be >= 1, got " + n);
        }
        List<List<T>> shards = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            int from = (int) ((long) items.size() * s / n);
            int to = (int) ((long) items.size() * (s + 1) / n);
            shards.add(List.copyOf(items.subList(from, to)));
        }
        return shards;
    }
}
