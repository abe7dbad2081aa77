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

    /**
     * Decodes {@code numel} values into the start of {@code out}, which callers reuse across
     * tensors. Large tensors are cut into chunks decoded on all cores: one core copies and widens
     * at a fraction of the memory bandwidth here.
     */
    public static void toFloats(ByteBuffer bytes, DType dtype, float[] out, int numel) {
        if (!dtype.isFloatingPoint()) {
            throw notFloat(dtype);
        }
        int chunks = (numel + CHUNK - 1) / CHUNK;
        if (chunks <= 1) {
            toFloats(bytes, dtype, 0, numel, out, 0);
            return;
        }
        java.util.stream.IntStream.range(0, chunks).parallel().forEach(c -> {
            int from = c * CHUNK;
            toFloats(bytes, dtype, from, Math.min(CHUNK, numel - from), out, from);
        });
    }

    /**
     * Decodes values [from, from + count) into {@code dst} at {@code at}, on this thread: for
     * callers that already work chunk by chunk on all cores.
     */
    public static void toFloats(ByteBuffer bytes, DType dtype, int from, int count, float[] dst, int at) {
        if (dtype == DType.BF16) {
            HalfFloats.bf16ToF32(bytes, from, dst, at, count); // no view made when the vectors do it all
            return;
        }
        ByteBuffer part = bytes.duplicate().position(from * dtype.size()).slice().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> part.asFloatBuffer().get(dst, at, count);
            case F16 -> HalfFloats.f16ToF32(part, dst, at, count);
            case F64 -> {
                var doubles = part.asDoubleBuffer();
                for (int i = 0; i < count; i++) {
                    dst[at + i] = (float) doubles.get(i);
                }
            }
            default -> throw notFloat(dtype);
        }
    }

    /**
     * {@code dst[at + i] += w * value[from + i]} for {@code count} values: bf16 is widened on the
     * fly; other dtypes are decoded into {@code scratch} (at least {@code count} long) first.
     */
    public static void addScaled(ByteBuffer bytes, DType dtype, int from, int count, float w, float[] dst, int at,
                                 float[] scratch) {
        if (dtype == DType.BF16) {
            HalfFloats.addScaledBf16(bytes, from, w, dst, at, count);
            return;
        }
        toFloats(bytes, dtype, from, count, scratch, 0);
        for (int i = 0; i < count; i++) {
            dst[at + i] += w * scratch[i];
        }
    }

    private static final int CHUNK = 1 << 16;

    private static IllegalArgumentException notFloat(DType dtype) {
        return new IllegalArgumentException("dtype " + dtype + " is not a floating-point type");
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
            default -> throw notFloat(dtype);
        }
        return out;
    }
}
