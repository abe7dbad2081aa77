package dev.evomerge.merge;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link KeepMask#apply} on SIMD vectors: the same integer arithmetic lane by lane, the 0 or
 * bits(1f) reinterpreted as floats in registers instead of through memory, the multiply as in the
 * plain loop (bit-identical, -0.0 included). Load only when {@link dev.evomerge.simd.Simd#ENABLED}.
 */
final class KeepMaskVectors {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

    private KeepMaskVectors() {
    }

    /** values[i] *= 1f if entry from + i is kept, else 0f, for i in [0, k), k the whole vectors in count; returns k. */
    static int apply(KeepMask mask, float[] values, int from, int count) {
        int upper = F.loopBound(count);
        int origin = from * KeepMask.WEYL + mask.key1;
        for (int i = 0; i < upper; i += F.length()) {
            IntVector z = fmix32(IntVector.fromArray(I, KeepMask.WEYL_COUNTER, i).add(origin).lanewise(VectorOperators.XOR, mask.key2));
            IntVector keep = z.lanewise(VectorOperators.LSHR, 1).sub(mask.threshold).lanewise(VectorOperators.ASHR, 31)
                    .and(KeepMask.ONE_BITS);
            FloatVector.fromArray(F, values, i).mul(keep.reinterpretAsFloats()).intoArray(values, i);
        }
        return upper;
    }

    /** {@link KeepMask#fmix32} lane by lane. */
    private static IntVector fmix32(IntVector z) {
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 16)).mul(0x85ebca6b);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 13)).mul(0xc2b2ae35);
        return z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 16));
    }
}
