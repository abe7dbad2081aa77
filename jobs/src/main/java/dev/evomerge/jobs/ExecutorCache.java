package dev.evomerge.jobs;

import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;

/** One checkpoint cache per executor JVM, so a checkpoint is fetched once per node for all tasks. */
final class ExecutorCache {
    private static CheckpointCache cache;

    private ExecutorCache() {
    }

    static synchronized CheckpointCache get() {
        if (cache == null) {
            cache = new CheckpointCache(Storage.withDefaults(), CheckpointCache.defaultRoot());
        }
        return cache;
    }
}
