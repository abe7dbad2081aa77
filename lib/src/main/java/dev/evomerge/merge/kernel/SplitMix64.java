package dev.evomerge.merge.kernel;

/**
 * The generator of {@link java.util.SplittableRandom} (SplitMix64: Steele, Lea and Flood, "Fast
 * splittable pseudorandom number generators", 2014) with its state in the caller's local
 * variable: the k-th {@code nextLong()} of {@code new SplittableRandom(seed)} is
 * {@code mix64(seed + k * GAMMA)}, k = 1, 2, ... The same numbers, but a hot loop no longer
 * stores and reloads the generator's field on every draw, which set the pace of DARE's drop.
 */
final class SplitMix64 {
    /** The golden-ratio increment SplittableRandom gives a generator made from a seed. */
    static final long GAMMA = 0x9e3779b97f4a7c15L;

    private SplitMix64() {
    }

    /** Stafford's variant 13 of the MurmurHash3 finalizer, as SplittableRandom.mix64. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
