package dev.evomerge.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    @Test
    void bf16HandWorkedValues() {
        assertEquals((short) 0x3f80, HalfFloats.f32ToBf16(1.0f));
        assertEquals((short) 0xc000, HalfFloats.f32ToBf16(-2.0f));
        // 0x3f808000 lies exactly between 0x3f80 and 0x3f81: ties go to the even one.
        assertEquals((short) 0x3f80, HalfFloats.f32ToBf16(Float.intBitsToFloat(0x3f808000)));
        assertEquals((short) 0x3f82, HalfFloats.f32ToBf16(Float.intBitsToFloat(0x3f818000)));
        assertEquals((short) 0x3f81, HalfFloats.f32ToBf16(Float.intBitsToFloat(0x3f808001)));
        assertEquals((short) 0x7f80, HalfFloats.f32ToBf16(Float.POSITIVE_INFINITY));
        // The largest finite f32 rounds up to infinity in bf16, as torch does.
        assertEquals((short) 0x7f80, HalfFloats.f32ToBf16(Float.MAX_VALUE));
        assertTrue(Float.isNaN(HalfFloats.bf16ToF32(HalfFloats.f32ToBf16(Float.NaN))));
        assertEquals(1.0f, HalfFloats.bf16ToF32((short) 0x3f80));
        assertEquals(-0.0f, HalfFloats.bf16ToF32((short) 0x8000));
    }

    @Test
    void f16HandWorkedValues() {
        assertEquals((short) 0x3c00, HalfFloats.f32ToF16(1.0f));
        assertEquals((short) 0x7bff, HalfFloats.f32ToF16(65504f));
        assertEquals((short) 0x7bff, HalfFloats.f32ToF16(65519f));
        assertEquals((short) 0x7c00, HalfFloats.f32ToF16(65520f));
        assertEquals((short) 0x0001, HalfFloats.f32ToF16(0x1p-24f));
        assertEquals((short) 0x0000, HalfFloats.f32ToF16(0x1p-25f)); // tie between 0 and 2^-24: even is 0
        assertEquals((short) 0x0002, HalfFloats.f32ToF16(3 * 0x1p-25f)); // tie between 1 and 2 ulps: even is 2
        assertEquals((short) 0x3c00, HalfFloats.f32ToF16(1 + 0x1p-11f)); // tie: keep even mantissa 0
        assertEquals((short) 0x3c02, HalfFloats.f32ToF16(1 + 3 * 0x1p-11f)); // tie: round up to even 2
        assertEquals((short) 0x0400, HalfFloats.f32ToF16(0x1p-14f)); // smallest normal
        assertEquals((short) 0x8000, HalfFloats.f32ToF16(-0.0f));
        assertEquals(0x1p-24f, HalfFloats.f16ToF32((short) 0x0001));
        assertEquals(-2.0f, HalfFloats.f16ToF32((short) 0xc000));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.f16ToF32((short) 0xfc00));
    }

    @Test
    void everyHalfSurvivesAWideningRoundTrip() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            float f16 = HalfFloats.f16ToF32(h);
            float bf16 = HalfFloats.bf16ToF32(h);
            if (!Float.isNaN(f16)) {
                assertEquals(h, HalfFloats.f32ToF16(f16), "f16 bits " + Integer.toHexString(bits));
            }
            if (!Float.isNaN(bf16)) {
                assertEquals(h, HalfFloats.f32ToBf16(bf16), "bf16 bits " + Integer.toHexString(bits));
            }
        }
    }

    /** Narrowing picks the nearest representable value, ties to even: checked against a search in double. */
    @Test
    void narrowingIsNearestEvenAgainstABruteForceReference() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            float x = Float.intBitsToFloat(rnd.nextInt());
            if (Float.isNaN(x) || Float.isInfinite(x)) {
                continue;
            }
            assertNearestEven(x, HalfFloats.f32ToBf16(x), true);
            if (Math.abs(x) < 65504f) {
                assertNearestEven(x, HalfFloats.f32ToF16(x), false);
            }
        }
    }

    private static void assertNearestEven(float x, short got, boolean bf16) {
        double gotValue = widen(got, bf16);
        // Neighbours of the answer one step either way must not be closer (or equally close and even).
        for (int step = -1; step <= 1; step += 2) {
            short other = (short) (got + (x >= 0 ? step : -step));
            double otherValue = widen(other, bf16);
            if (Double.isNaN(otherValue) || Math.signum(otherValue) * Math.signum(gotValue) < 0) {
                continue;
            }
            double dGot = Math.abs(x - gotValue);
            double dOther = Math.abs(x - otherValue);
            assertTrue(dGot < dOther || (dGot == dOther && (got & 1) == 0),
                    () -> "x=" + x + " got " + gotValue + " but " + otherValue + " is nearer");
        }
    }

    /** Infinity stands for the first power of two past the largest finite value, as IEEE rounding sees it. */
    private static double widen(short h, boolean bf16) {
        double v = bf16 ? HalfFloats.bf16ToF32(h) : HalfFloats.f16ToF32(h);
        return Double.isInfinite(v) ? Math.copySign(bf16 ? 0x1p128 : 0x1p16, v) : v;
    }
}
