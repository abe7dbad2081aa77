package dev.evomerge.simd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * bf16 widening on SIMD vectors: a bf16 is the upper half of an f32, so a vector of shorts is
 * converted to ints (half as many per register as shorts) and shifted left by 16. Exact, like
 * the scalar form. Load only when {@link Simd#ENABLED}.
 */
public final class Bf16Vectors {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    private Bf16Vectors() {
    }

    /**
     * {@code dst[at + i] = bf16[from + i]} for the little-endian bf16 values of {@code src}
     * (element 0 at its index 0, whatever its position), as many as fill whole vectors; returns
     * how many (the caller does the rest).
     */
    public static int widen(ByteBuffer src, int from, float[] dst, int at, int count) {
        int upper = F.loopBound(count);
        for (int i = 0; i < upper; i += F.length()) {
            widened(src, 2 * (from + i)).intoArray(dst, at + i);
        }
        return upper;
    }

    /** {@code dst[at + i] += w * bf16[from + i]}, as {@link #widen}: the product rounded, then the sum (no fused multiply-add, as in Java). */
    public static int addScaled(ByteBuffer src, int from, float w, float[] dst, int at, int count) {
        int upper = F.loopBound(count);
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector x = widened(src, 2 * (from + i));
            x.mul(w).add(FloatVector.fromArray(F, dst, at + i)).intoArray(dst, at + i);
        }
        return upper;
    }

    private static FloatVector widened(ByteBuffer src, int byteIndex) {
        ShortVector halves = ShortVector.fromByteBuffer(S, src, byteIndex, ByteOrder.LITTLE_ENDIAN);
        IntVector ints = (IntVector) halves.convertShape(VectorOperators.S2I, I, 0);
        return ints.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
