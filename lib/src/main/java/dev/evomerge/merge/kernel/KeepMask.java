package dev.evomerge.merge.kernel;

import dev.evomerge.simd.Simd;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * DARE's keep decisions for one model's tensor: entry i is kept with probability {@code density},
 * decided by a keyed hash of i alone (counter-based, like Philox in JAX and PyTorch's CUDA
 * generator), so any chunk's decisions can be made on any thread, in any order, identically.
 *
 * <p>The hash is MurmurHash3's 32-bit finalizer of {@code (i * 0x9e3779b9 + key1) ^ key2}: the
 * counter on a Weyl sequence, then keyed twice, so that no two keys give shifted copies of one
 * sequence (an added key alone would: it is a shift of the counter); 31 of its bits are compared
 * with density * 2^31. Two multiplies per entry: keep decisions are made twice per merge (the
 * rescale's sums, then the mix), and a second finalizer round measured a third of dare_ties' time.
 * All of it is 32-bit integer arithmetic at one index, which Java 17 vectorizes; the 0/1 floats
 * come out of a memory round trip (Java 17 vectorizes no int-to-float bit cast): the ints 0 or
 * bits(1f) are copied into a native-order buffer and read back as floats. With the Vector API
 * ({@link Simd#ENABLED}) the same arithmetic runs lane-wise in registers, fused with the
 * subtraction of the base and the sums in one pass ({@link KeepMaskVectors}).
 */
public final class KeepMask {
    static final int WEYL = 0x9e3779b9;
    static final int ONE_BITS = Float.floatToRawIntBits(1f);
    /**
     * i * WEYL for i in [0, SIZE): entry from + i's counter is WEYL_COUNTER[i] + from * WEYL (Java 17
     * vectorizes no use of the loop index as a value).
     */
    static final int[] WEYL_COUNTER = new int[Chunks.SIZE];

    static {
        for (int i = 0; i < WEYL_COUNTER.length; i++) {
            WEYL_COUNTER[i] = i * WEYL;
        }
    }

    /** Per-thread working memory: the decisions as int bits, and the buffer that turns them into floats. */
    private static final class Scratch {
        final int[] bits = new int[Chunks.SIZE];
        final ByteBuffer buffer = ByteBuffer.allocateDirect(Chunks.SIZE * Integer.BYTES).order(ByteOrder.nativeOrder());
        final IntBuffer ints = buffer.asIntBuffer();
        final FloatBuffer floats = buffer.asFloatBuffer();
        final float[] keep = new float[Chunks.SIZE];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    final int key1;
    final int key2;
    final int threshold;

    /** The mask of the generator seeded with {@code seed}, keeping each entry with probability {@code density} in [0, 1). */
    public KeepMask(long seed, double density) {
        if (!(density >= 0 && density < 1)) {
            throw new IllegalArgumentException("density " + density + " is not in [0, 1)");
        }
        long keys = SplitMix64.mix64(seed + SplitMix64.GAMMA); // the first draw of new SplittableRandom(seed)
        this.key1 = (int) keys;
        this.key2 = (int) (keys >>> 32);
        this.threshold = (int) Math.floor(density * 0x1p31);
    }

    /** Whether entry {@code index} is kept: the plain form of {@link #fill}'s loop. */
    public boolean kept(int index) {
        return (fmix32((index * WEYL + key1) ^ key2) >>> 1) < threshold;
    }

    /** keep[i] = 1f if entry from + i is kept, else 0f, for i in [0, count), count at most {@link Chunks#SIZE}. */
    void fill(float[] keep, int from, int count) {
        Scratch s = SCRATCH.get();
        int[] bits = s.bits;
        int[] counter = WEYL_COUNTER;
        int origin = from * WEYL + key1;
        int k2 = key2;
        int t = threshold;
        for (int i = 0; i < count; i++) {
            int z = fmix32((counter[i] + origin) ^ k2);
            // (z >>> 1) < t as the sign of their difference (both in [0, 2^31)): no comparison, which would not vectorize
            bits[i] = (((z >>> 1) - t) >> 31) & ONE_BITS;
        }
        s.ints.put(0, bits, 0, count);
        s.floats.get(0, keep, 0, count);
    }

    /**
     * The decisions for entries [0, size), eight to a byte, entry 8j + k in bit k of byte j (numpy's
     * little bit order): how they reach a device, whose engine has no integer bit operations to
     * compute the hash itself, at an eighth of the bytes of a mask. Chunks in parallel.
     */
    public byte[] packedBits(int size) {
        byte[] packed = new byte[(size + 7) / 8];
        Chunks.forEach(size, (c, from, to) -> { // chunks start at multiples of SIZE, so of 8: no byte is shared
            int[] bits = SCRATCH.get().bits;
            int origin = from * WEYL + key1;
            for (int i = 0; i < to - from; i++) {
                bits[i] = (((fmix32((WEYL_COUNTER[i] + origin) ^ key2) >>> 1) - threshold) >>> 31); // 1 kept, 0 dropped
            }
            for (int i = 0; i < to - from; i++) {
                packed[(from + i) >>> 3] |= (byte) (bits[i] << (i & 7));
            }
        });
        return packed;
    }

    /**
     * {@code x[i] = (x[i] - b[i]) * keep} for i in [0, count), entries from + i: the task vector
     * with its dropped entries zeroed, multiplied by 0f or 1f as torch multiplies by a Bernoulli
     * mask (a dropped negative entry becomes -0.0).
     */
    void applyToDifference(float[] x, float[] b, int from, int count) {
        int done = Simd.ENABLED ? KeepMaskVectors.applyToDifference(this, x, b, from, count) : 0;
        float[] keep = SCRATCH.get().keep;
        fill(keep, from + done, count - done);
        for (int i = done; i < count; i++) {
            x[i] = (x[i] - b[i]) * keep[i - done];
        }
    }

    /**
     * The L1 sums of DARE's rescale, lane-wise: {@code total[i] += |d|} and {@code kept[i] += |d keep|}
     * with d = x[i] - b[i], for i in [0, count), entries from + i.
     */
    void addSums(float[] x, float[] b, float[] total, float[] kept, int from, int count) {
        int done = Simd.ENABLED ? KeepMaskVectors.addSums(this, x, b, total, kept, from, count) : 0;
        float[] keep = SCRATCH.get().keep;
        fill(keep, from + done, count - done);
        for (int i = done; i < count; i++) {
            float d = x[i] - b[i];
            total[i] += Math.abs(d);
            kept[i] += Math.abs(d * keep[i - done]);
        }
    }

    /** MurmurHash3's 32-bit finalizer. */
    static int fmix32(int z) {
        z = (z ^ (z >>> 16)) * 0x85ebca6b;
        z = (z ^ (z >>> 13)) * 0xc2b2ae35;
        return z ^ (z >>> 16);
    }
}
