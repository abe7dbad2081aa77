package dev.evomerge.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * glibc's allocator settings that PyTorch on a CPU needs to be fast. PyTorch frees each batch's
 * large buffers and glibc hands them back to the OS at once, so the next batch page-faults them in
 * again (system time). Keeping freed memory made likelihood scoring ~25% faster in a local run
 * and a cluster run's generations 5x faster (55 s -> 11 s). {@code scripts/} export these
 * variables; a Spark executor has them only from {@code spark.executorEnv.*}
 * ({@code conf/spark-cpu.conf}). A JVM that lacks them (and has no other allocator preloaded)
 * says so once, with the fix.
 */
public final class AllocatorSettings {
    /** The variables and the values {@code scripts/_common.sh} exports. */
    public static final Map<String, String> EXPECTED = Map.of(
            "MALLOC_MMAP_THRESHOLD_", "1073741824",
            "MALLOC_TRIM_THRESHOLD_", "4294967296",
            "MALLOC_TOP_PAD_", "268435456");

    private static boolean warned;

    private AllocatorSettings() {
    }

    /** What is missing from {@code env} (a process environment), or empty when the allocator is set up. */
    public static Optional<String> problem(Map<String, String> env) {
        String preload = env.getOrDefault("LD_PRELOAD", "");
        if (preload.contains("jemalloc") || preload.contains("tcmalloc") || preload.contains("mimalloc")) {
            return Optional.empty(); // another allocator keeps freed memory by itself
        }
        List<String> missing = EXPECTED.keySet().stream().filter(k -> !env.containsKey(k)).sorted().toList();
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        StringBuilder fix = new StringBuilder();
        EXPECTED.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> fix.append(" spark.executorEnv.").append(e.getKey()).append('=').append(e.getValue()));
        return Optional.of("this process lacks " + String.join(", ", missing) + ": PyTorch on the CPU will return every batch's "
                + "memory to the OS and fault it in again (generations measured 5x slower on a cluster); set" + fix
                + " (conf/spark-cpu.conf carries them), or preload jemalloc");
    }

    /** Logs {@link #problem} of this process once per JVM; a GPU executor's host allocations are small, so only CPUs ask. */
    public static synchronized void warnOnceIfMissing() {
        if (!warned) {
            warned = true;
            problem(System.getenv()).ifPresent(p -> System.getLogger(AllocatorSettings.class.getName())
                    .log(System.Logger.Level.WARNING, p));
        }
    }
}
