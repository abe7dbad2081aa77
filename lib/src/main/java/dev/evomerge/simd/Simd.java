package dev.evomerge.simd;

/**
 * Whether the hot loops run on explicit SIMD vectors (Java's incubating Vector API) or on plain
 * loops. Java 17's JIT vectorizes plain loops only partly: no comparison, int-float conversion or
 * bit cast, so bf16 widening and DARE's keep decisions stay scalar or go through memory. The
 * Vector API needs {@code --add-modules jdk.incubator.vector} on every JVM (the scripts, the
 * tests and {@code conf/spark-gpu.conf} pass it); without it the plain loops run, with
 * bit-identical results, and a warning says so once. This is how Lucene uses the same module.
 *
 * <p>{@code -Devomerge.simd=false} turns the vectors off, to compare.
 */
public final class Simd {
    /** True when the Vector API is there and not turned off; only then may the vector classes be loaded. */
    public static final boolean ENABLED = detect();

    private Simd() {
    }

    private static boolean detect() {
        if (!Boolean.parseBoolean(System.getProperty("evomerge.simd", "true"))) {
            return false;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            System.getLogger(Simd.class.getName()).log(System.Logger.Level.WARNING,
                    "jdk.incubator.vector is not enabled: merging and bf16 decoding run plain loops (the same results;"
                            + " dare_ties on bf16 about 1.5x slower); add --add-modules=jdk.incubator.vector to the JVM options");
            return false;
        }
        return true;
    }
}
