package dev.evomerge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for a batch of sequences, plus which key slots hold real
 * tokens (left padding leaves holes) and each sequence's next position.
 *
 * <p>Keys and values are written in place into buffers [B, KVH, capacity, hd] that double when
 * full, so a decode step copies only its own token's keys (concatenating would copy the whole
 * cache every step: quadratic in the length). The cache owns its arrays in the batch's manager;
 * each forward runs in an {@code NDScope} that frees everything else the step created, and an
 * array the cache replaces is freed at once.
 */
public final class KvCache implements CausalLm.State {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private NDArray keyMask; // [B, Tk] int64, 1 for a real token
    private NDArray nextPosition; // [B, 1] int64
    private long length;
    private long capacity;
    private boolean padded; // some key slot holds padding

    public KvCache(NDManager manager, int layers, int batch) {
        this(manager, layers, batch, 64);
    }

    /** A cache expecting about {@code capacity} key slots (it grows past them when needed). */
    public KvCache(NDManager manager, int layers, int batch, long capacity) {
        this.manager = manager;
        this.capacity = Math.max(1, capacity);
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

    /** Whether any key slot holds padding (then attention needs the key mask, not only causality). */
    public boolean padded() {
        return padded;
    }

    /**
     * Records {@code tokenMask} [B, T] as the next key slots and returns each token's position in
     * its own sequence: padding does not count, so a left-padded sequence starts at position 0.
     */
    NDArray advance(NDArray tokenMask) {
        NDArray mask = tokenMask.toType(DataType.INT64, false);
        padded |= !mask.gt(0).all().getBoolean();
        NDArray positions = mask.cumSum(1).add(nextPosition).sub(1).maximum(0);
        nextPosition = keep(nextPosition.add(mask.sum(new int[] {1}, true)), nextPosition);
        keyMask = keep(keyMask.concat(mask, 1), keyMask);
        length += tokenMask.getShape().get(1);
        return positions;
    }

    /**
     * Writes this step's keys and values [B, KVH, T, hd] of layer {@code layer} after the earlier
     * ones (call after {@link #advance}); returns views of all of them, [B, KVH, length, hd].
     */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        long t = k.getShape().get(2);
        long start = length - t;
        keys[layer] = ensureCapacity(keys[layer], k);
        values[layer] = ensureCapacity(values[layer], v);
        NDIndex slot = new NDIndex(":, :, {}:{}", start, length);
        keys[layer].set(slot, k);
        values[layer].set(slot, v);
        NDIndex filled = new NDIndex(":, :, :{}", length);
        return new NDArray[] {keys[layer].get(filled), values[layer].get(filled)};
    }

    /** The buffer, grown (doubling) to hold {@code length} slots; a new one is kept out of the step's scope. */
    private NDArray ensureCapacity(NDArray buffer, NDArray like) {
        if (buffer != null && buffer.getShape().get(2) >= length) {
            return buffer;
        }
        while (capacity < length) {
            capacity *= 2;
        }
        Shape s = like.getShape();
        NDArray grown = manager.zeros(new Shape(s.get(0), s.get(1), capacity, s.get(3)), like.getDataType(), like.getDevice());
        if (buffer != null) {
            grown.set(new NDIndex(":, :, :{}", buffer.getShape().get(2)), buffer);
        }
        return keep(grown, buffer);
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
