package dev.evomerge.executor;

import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parents of a run, opened once per executor JVM and kept for the whole run: localized from
 * storage through the checkpoint cache, headers parsed, tensors memory-mapped. Every candidate
 * this executor builds reads them from here. Loads are counted per location, because "once per
 * executor" is a promise the tests check.
 */
public final class ParentPool implements AutoCloseable {
    private final CheckpointCache cache;
    private final Map<String, Checkpoint> open = new LinkedHashMap<>();
    private final Map<String, Integer> loads = new HashMap<>();

    public ParentPool(CheckpointCache cache) {
        this.cache = cache;
    }

    public synchronized Checkpoint get(String location) {
        Checkpoint c = open.get(location);
        if (c == null) {
            c = Checkpoint.open(cache.localize(location));
            open.put(location, c);
            loads.merge(location, 1, Integer::sum);
        }
        return c;
    }

    /** Loads so far, over all locations. */
    public synchronized int loads() {
        return loads.values().stream().mapToInt(Integer::intValue).sum();
    }

    public synchronized Map<String, Integer> loadsByLocation() {
        return Map.copyOf(loads);
    }

    @Override
    public synchronized void close() {
        open.values().forEach(Checkpoint::close);
        open.clear();
    }
}
