package dev.evomerge.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.io.HalfFloats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Bf16VectorsTest {

    @Test
    void theTestsRunOnVectors() {
        // Surefire passes --add-modules=jdk.incubator.vector, as the scripts and the Spark config do:
        // without it every vector path in the suite would silently be the fallback.
        assertTrue(Simd.ENABLED, "the Vector API is not enabled in the test JVM");
    }

    @Test
    void widensEveryBf16AsTheScalarShift() {
        // All 65536 bit patterns (NaNs, infinities, subnormals, both zeros), from element 1 of the
        // buffer, so the vector loads are not aligned as the buffer is.
        int n = 1 << 16;
        ByteBuffer bytes = ByteBuffer.allocate(2 * n + 2).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putShort((short) 0x7fff);
        for (int i = 0; i < n; i++) {
            bytes.putShort((short) i);
        }
        float[] out = new float[n + 3];
        int done = Bf16Vectors.widen(bytes, 1, out, 3, n);
        assertEquals(n, done, "65536 values fill whole vectors");
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(HalfFloats.bf16ToF32((short) i)), Float.floatToRawIntBits(out[3 + i]), "bf16 0x"
                    + Integer.toHexString(i));
        }
    }

    @Test
    void addsScaledValuesAsTheScalarLoopDoes() {
        SplittableRandom r = new SplittableRandom(5);
        int n = 1000; // not a whole number of vectors: the caller finishes the tail
        ByteBuffer bytes = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
        float[] dst = new float[n];
        for (int i = 0; i < n; i++) {
            bytes.putShort(HalfFloats.f32ToBf16((float) r.nextGaussian()));
            dst[i] = (float) r.nextGaussian();
        }
        bytes.flip();
        float[] expected = dst.clone();
        float w = 0.3f;
        int done = Bf16Vectors.addScaled(bytes, 0, w, dst, 0, n);
        assertTrue(done > n - 64 && done <= n, "done " + done);
        for (int i = 0; i < done; i++) {
            expected[i] += w * HalfFloats.bf16ToF32(bytes.getShort(2 * i));
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(dst[i]), "entry " + i);
        }
        for (int i = done; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(dst[i]), "entry " + i + " is left to the caller");
        }
    }
}
