package dev.evomerge.executor;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * The candidates an executor built recently, so the other shards of a candidate that land on the
 * same executor reuse it instead of merging again. Tasks lease a candidate; the first asker
 * builds it while the others wait for the same build. Beyond {@code capacity}, the least recently
 * used candidate that no task holds is closed (a 7B candidate is 14 GB of GPU memory).
 */
final class CandidatePool<T extends AutoCloseable> implements AutoCloseable {

    /** A leased candidate: {@code built} is true for the one task that built it. */
    record Lease<T>(T value, boolean built, double buildSeconds, Entry<T> entry) {
    }

    static final class Entry<T> {
        final CompletableFuture<T> future = new CompletableFuture<>();
        int users;
    }

    private final int capacity;
    private final LinkedHashMap<String, Entry<T>> entries = new LinkedHashMap<>(16, 0.75f, true);

    CandidatePool(int capacity) {
        this.capacity = capacity;
    }

    /** The candidate for {@code key}, built with {@code build} unless it is here or being built. */
    Lease<T> acquire(String key, Function<String, T> build) {
        Entry<T> entry;
        boolean mine;
        synchronized (this) {
            entry = entries.get(key);
            mine = entry == null;
            if (mine) {
                entry = new Entry<>();
                entries.put(key, entry);
            }
            entry.users++;
            evict();
        }
        if (!mine) {
            try {
                return new Lease<>(entry.future.join(), false, 0, entry);
            } catch (CompletionException e) {
                release(entry);
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
        long t0 = System.nanoTime();
        try {
            T value = build.apply(key);
            entry.future.complete(value);
            return new Lease<>(value, true, (System.nanoTime() - t0) / 1e9, entry);
        } catch (RuntimeException e) {
            entry.future.completeExceptionally(e); // the other shards of a broken candidate learn it without rebuilding
            release(entry);
            throw e;
        }
    }

    synchronized void release(Entry<T> entry) {
        entry.users--;
        evict();
    }

    synchronized int size() {
        return entries.size();
    }

    private void evict() {
        Iterator<Map.Entry<String, Entry<T>>> it = entries.entrySet().iterator();
        while (entries.size() > capacity && it.hasNext()) {
            Entry<T> e = it.next().getValue();
            if (e.users == 0) {
                it.remove();
                closeQuietly(e);
            }
        }
    }

    private static <T extends AutoCloseable> void closeQuietly(Entry<T> e) {
        if (e.future.isDone() && !e.future.isCompletedExceptionally()) {
            try {
                e.future.join().close();
            } catch (Exception ignored) {
                // closing frees native memory; a failure here has nothing left to clean
            }
        }
    }

    @Override
    public synchronized void close() {
        entries.values().forEach(CandidatePool::closeQuietly);
        entries.clear();
    }
}
