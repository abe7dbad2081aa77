package dev.evomerge.executor;

import java.io.Serializable;

/**
 * How an executor runs a run's candidates: on which device, how many built candidates it keeps,
 * and where it builds them. {@code candidateBuild} is {@code java} (merged on the CPU from the
 * mapped parents, then moved to the device), {@code device} (merged with device operations from
 * parents kept on the device; methods without a device form are merged in Java) or {@code auto}
 * (device on a GPU, java on a CPU, where the Java kernels are the faster). {@code deviceMemoryGb}
 * bounds what the executor keeps on its device (0: the GPU's own size, or no bound on a CPU).
 */
public record ExecutorSettings(String device, int candidateCache, String candidateBuild, double deviceMemoryGb)
        implements Serializable {

    public static final String AUTO = "auto";
    public static final String JAVA = "java";
    public static final String DEVICE = "device";

    /** The defaults: auto device, two candidates kept, auto build, no memory bound given. */
    public static ExecutorSettings defaults(String device) {
        return new ExecutorSettings(device, 2, AUTO, 0);
    }

    /** Whether candidates are built with device operations on a device that {@code isGpu} or not. */
    public boolean buildsOnDevice(boolean isGpu) {
        return DEVICE.equals(candidateBuild) || AUTO.equals(candidateBuild) && isGpu;
    }
}
