package dev.evomerge.io;

import dev.evomerge.simd.Bf16Vectors;
import dev.evomerge.simd.Simd;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;

/**
 * bfloat16 and IEEE float16 conversions, done in Java because DJL 0.35.1 cannot hold a
 * BFLOAT16 array at all (its JNI aborts the JVM). Widening is exact; narrowing rounds to
 * nearest, ties to even, as PyTorch's {@code .to(torch.bfloat16)} and {@code .half()} do.
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** bf16 is the upper half of an f32: widening is a 16-bit shift. */
    public static float bf16ToF32(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Rounds to nearest even on the 16 dropped bits; a NaN stays a quiet NaN with its sign. */
    public static short f32ToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7fff + lsb) >>> 16);
    }

    public static float f16ToF32(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13)); // Inf or NaN
        }
        if (exp == 0) {
            float subnormal = mant * 0x1p-24f; // exact in f32
            return (sign == 0) ? subnormal : -subnormal;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    public static short f32ToF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) {
            return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff)); // quiet NaN
        }
        if (abs >= 0x477ff000) {
            return (short) (sign | 0x7c00); // >= 65520 rounds to infinity; 65504 is the largest half
        }
        if (abs < 0x38800000) {
            // Below the smallest normal half (2^-14): a multiple of 2^-24, rint is ties-to-even.
            int q = (int) Math.rint(Float.intBitsToFloat(abs) * 0x1p24f);
            return (short) (sign | q);
        }
        int mant = abs & 0x7fffff;
        int result = ((((abs >>> 23) - 112) << 10) | (mant >>> 13));
        int dropped = mant & 0x1fff;
        if (dropped > 0x1000 || (dropped == 0x1000 && (result & 1) == 1)) {
            result++; // a carry into the exponent is the right answer
        }
        return (short) (sign | result);
    }

    /**
     * Widens the little-endian bf16 values [from, from + count) of {@code src} (element 0 at its
     * index 0) into {@code dst} from {@code at}: on SIMD vectors where {@link Simd#ENABLED} (3x
     * faster), the rest by the plain per-element loop (of the plain forms, the fastest measured:
     * chunked bulk copies were slower).
     */
    public static void bf16ToF32(ByteBuffer src, int from, float[] dst, int at, int count) {
        int done = Simd.ENABLED ? Bf16Vectors.widen(src, from, dst, at, count) : 0;
        if (done < count) {
            ShortBuffer halves = halves(src, from);
            for (int i = done; i < count; i++) {
                dst[at + i] = Float.intBitsToFloat((halves.get(i) & 0xffff) << 16);
            }
        }
    }

    /** Widens {@code count} little-endian f16 values from {@code src} into {@code dst}. */
    public static void f16ToF32(ByteBuffer src, float[] dst, int offset, int count) {
        ShortBuffer halves = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        for (int i = 0; i < count; i++) {
            dst[offset + i] = f16ToF32(halves.get(i));
        }
    }

    /**
     * {@code dst[at + i] += w * bf16[from + i]} for {@code count} little-endian bf16 values of
     * {@code src} (element 0 at its index 0): widening fused into the accumulation, so the widened
     * values never go through memory (a linear merge of bf16 models measured 20-40% faster than
     * widening into a scratch array first). On SIMD vectors where {@link Simd#ENABLED}, bit-identically.
     */
    public static void addScaledBf16(ByteBuffer src, int from, float w, float[] dst, int at, int count) {
        int done = Simd.ENABLED ? Bf16Vectors.addScaled(src, from, w, dst, at, count) : 0;
        if (done < count) {
            ShortBuffer halves = halves(src, from);
            for (int i = done; i < count; i++) {
                dst[at + i] += w * Float.intBitsToFloat((halves.get(i) & 0xffff) << 16);
            }
        }
    }

    /** The 16-bit values of little-endian {@code src} from element {@code from}. */
    private static ShortBuffer halves(ByteBuffer src, int from) {
        ByteBuffer part = src.duplicate().position(2 * from).slice();
        return part.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    }
}
