package dev.evomerge.merge.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link KeepMask}'s loops on SIMD vectors, each in one pass: the same integer arithmetic lane by
 * lane, the 0 or bits(1f) reinterpreted as floats in registers instead of through memory, then the
 * float arithmetic of the plain loops in the same order (bit-identical, -0.0 included). Each
 * returns how many entries it did, the whole vectors in {@code count}; the caller does the rest.
 * Load only when {@link dev.evomerge.simd.Simd#ENABLED}.
 */
final class KeepMaskVectors {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

    private KeepMaskVectors() {
    }

    /** {@link KeepMask#applyToDifference}. */
    static int applyToDifference(KeepMask mask, float[] x, float[] b, int from, int count) {
        int upper = F.loopBound(count);
        int origin = from * KeepMask.WEYL + mask.key1;
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector d = FloatVector.fromArray(F, x, i).sub(FloatVector.fromArray(F, b, i));
            d.mul(keep(mask, origin, i)).intoArray(x, i);
        }
        return upper;
    }

    /** {@link KeepMask#addSums}. */
    static int addSums(KeepMask mask, float[] x, float[] b, float[] total, float[] kept, int from, int count) {
        int upper = F.loopBound(count);
        int origin = from * KeepMask.WEYL + mask.key1;
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector d = FloatVector.fromArray(F, x, i).sub(FloatVector.fromArray(F, b, i));
            FloatVector.fromArray(F, total, i).add(d.abs()).intoArray(total, i);
            FloatVector.fromArray(F, kept, i).add(d.mul(keep(mask, origin, i)).abs()).intoArray(kept, i);
        }
        return upper;
    }

    /** 1f or 0f for the entries of lanes i, i + 1, ...: KeepMask.fill's formula, origin = from * WEYL + key1. */
    private static FloatVector keep(KeepMask mask, int origin, int i) {
        IntVector counter = IntVector.fromArray(I, KeepMask.WEYL_COUNTER, i).add(origin);
        IntVector z = fmix32(counter.lanewise(VectorOperators.XOR, mask.key2));
        return z.lanewise(VectorOperators.LSHR, 1).sub(mask.threshold).lanewise(VectorOperators.ASHR, 31).and(KeepMask.ONE_BITS)
                .reinterpretAsFloats();
    }

    /** {@link KeepMask#fmix32} lane by lane. */
    private static IntVector fmix32(IntVector z) {
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 16)).mul(0x85ebca6b);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 13)).mul(0xc2b2ae35);
        return z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 16));
    }
}
