package dev.evomerge.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;

/** Conversions between a tensor's little-endian bytes in any float dtype and a float[]. */
public final class TensorBytes {
    private TensorBytes() {
    }

    public static float[] toFloats(ByteBuffer bytes, DType dtype, int numel) {
        float[] out = new float[numel];
        toFloats(bytes, dtype, out, numel);
        return out;
    }

    /** Decodes {@code numel} values into the start of {@code out}, which callers reuse across tensors. */
    public static void toFloats(ByteBuffer bytes, DType dtype, float[] out, int numel) {
        ByteBuffer src = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> copyInParallel(src, out, numel);
            case BF16, F16 -> widenInParallel(src, dtype, out, numel);
            case F64 -> {
                var doubles = src.asDoubleBuffer();
                for (int i = 0; i < numel; i++) {
                    out[i] = (float) doubles.get(i);
                }
            }
            default -> throw new IllegalArgumentException("dtype " + dtype + " is not a floating-point type");
        }
    }

    /**
     * Decodes values [from, from + count) into the start of {@code dst}, on this thread: for
     * callers that already work chunk by chunk on all cores.
     */
    public static void toFloats(ByteBuffer bytes, DType dtype, int from, int count, float[] dst) {
        ByteBuffer part = bytes.duplicate().position(from * dtype.size()).slice().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> part.asFloatBuffer().get(dst, 0, count);
            case BF16 -> HalfFloats.bf16ToF32(part, dst, 0, count);
            case F16 -> HalfFloats.f16ToF32(part, dst, 0, count);
            default -> {
                var doubles = part.asDoubleBuffer();
                for (int i = 0; i < count; i++) {
                    dst[i] = (float) doubles.get(i);
                }
            }
        }
    }

    private static final int CHUNK = 1 << 16;

    /** Large copies go faster on all cores than on one (memory bandwidth is per core here). */
    private static void copyInParallel(ByteBuffer src, float[] out, int numel) {
        int chunks = (numel + CHUNK - 1) / CHUNK;
        if (chunks == 1) {
            src.asFloatBuffer().get(out, 0, numel);
            return;
        }
        java.util.stream.IntStream.range(0, chunks).parallel().forEach(c -> {
            int from = c * CHUNK;
            int count = Math.min(CHUNK, numel - from);
            src.duplicate().position(from * 4).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out, from, count);
        });
    }

    /** Half-precision widening runs at a fraction of memory speed on one core: chunks go to all cores. */
    private static void widenInParallel(ByteBuffer src, DType dtype, float[] out, int numel) {
        int chunks = (numel + CHUNK - 1) / CHUNK;
        java.util.stream.IntStream.range(0, chunks).parallel().forEach(c -> {
            int from = c * CHUNK;
            int count = Math.min(CHUNK, numel - from);
            ByteBuffer part = src.duplicate().position(from * 2).slice().order(ByteOrder.LITTLE_ENDIAN);
            if (dtype == DType.BF16) {
                HalfFloats.bf16ToF32(part, out, from, count);
            } else {
                HalfFloats.f16ToF32(part, out, from, count);
            }
        });
    }

    /** Encodes {@code values} in {@code dtype}, rounding to nearest even when narrowing. */
    public static ByteBuffer fromFloats(float[] values, DType dtype) {
        ByteBuffer out = ByteBuffer.allocate(values.length * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> out.asFloatBuffer().put(values);
            case BF16 -> {
                ShortBuffer s = out.asShortBuffer();
                for (float v : values) {
                    s.put(HalfFloats.f32ToBf16(v));
                }
            }
            case F16 -> {
                ShortBuffer s = out.asShortBuffer();
                for (float v : values) {
                    s.put(HalfFloats.f32ToF16(v));
                }
            }
            case F64 -> {
                var d = out.asDoubleBuffer();
                for (float v : values) {
                    d.put(v);
                }
            }
            default -> throw new IllegalArgumentException("dtype " + dtype + " is not a floating-point type");
        }
        return out;
    }
}
