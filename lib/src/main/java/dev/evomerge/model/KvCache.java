package dev.evomerge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for a batch of sequences, plus which key slots hold real
 * tokens (left padding leaves holes) and each sequence's next position. The cache owns its
 * arrays in the batch's manager; each forward runs in an {@code NDScope} that frees everything
 * else the step created, and an array the cache replaces is freed at once. So generating any
 * number of tokens holds only the current cache on the device.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private NDArray keyMask; // [B, Tk] int64, 1 for a real token
    private NDArray nextPosition; // [B, 1] int64
    private long length;

    public KvCache(NDManager manager, int layers, int batch) {
        this.manager = manager;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.keyMask = manager.zeros(new Shape(batch, 0), DataType.INT64);
        this.nextPosition = manager.zeros(new Shape(batch, 1), DataType.INT64);
    }

    /** Number of key slots (padding included). */
    public long length() {
        return length;
    }

    public NDArray keyMask() {
        return keyMask;
    }

    /**
     * Records {@code tokenMask} [B, T] as the next key slots and returns each token's position in
     * its own sequence: padding does not count, so a left-padded sequence starts at position 0.
     */
    NDArray advance(NDArray tokenMask) {
        NDArray mask = tokenMask.toType(DataType.INT64, false);
        NDArray positions = mask.cumSum(1).add(nextPosition).sub(1).maximum(0);
        nextPosition = keep(nextPosition.add(mask.sum(new int[] {1}, true)), nextPosition);
        keyMask = keep(keyMask.concat(mask, 1), keyMask);
        length += tokenMask.getShape().get(1);
        return positions;
    }

    /** Appends this step's keys and values [B, KVH, T, hd] of layer {@code layer}; returns all of them. */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray allKeys = keys[layer] == null ? k : keys[layer].concat(k, 2);
        NDArray allValues = values[layer] == null ? v : values[layer].concat(v, 2);
        keys[layer] = keep(allKeys, keys[layer]);
        values[layer] = keep(allValues, values[layer]);
        return new NDArray[] {keys[layer], values[layer]};
    }

    /** Moves {@code fresh} out of the step's scope into the batch; frees what it replaces. */
    private NDArray keep(NDArray fresh, NDArray replaced) {
        NDScope.unregister(fresh);
        fresh.attach(manager);
        if (replaced != null && replaced != fresh) {
            replaced.close();
        }
        return fresh;
    }

    @Override
    public void close() {
        for (int i = 0; i < keys.length; i++) {
            closeQuietly(keys[i]);
            closeQuietly(values[i]);
        }
        closeQuietly(keyMask);
        closeQuietly(nextPosition);
    }

    private static void closeQuietly(NDArray a) {
        if (a != null) {
            a.close();
        }
    }
}
