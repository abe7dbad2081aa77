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

    /**
     * The scratch of one merge step on a device: {@code inputs} float32 copies of the largest
     * tensor, and three more (the sum, the divisor, the sign of a TIES mix).
     */
    public static long stepScratch(long largestTensor, int inputs) {
        return largestTensor * 4 * (inputs + 3);
    }

    /**
     * What an executor may keep of its parents on a device of {@code memory} bytes: less a tenth
     * for activations and the allocator's slack, {@code candidateCache} built candidates of
     * {@code parameters} at {@code bytesPerWeight} each, and one merge step's scratch. Negative when
     * the candidates and the scratch alone do not fit. The executor's budget and the dry run's
     * device plan both come from here.
     */
    public long parentRoom(long memory, long parameters, int bytesPerWeight, long largestTensor, int inputs) {
        return memory - memory / 10 - candidateCache * parameters * bytesPerWeight - stepScratch(largestTensor, inputs);
    }

    /** Whether candidates are built with device operations on a device that {@code isGpu} or not. */
    public boolean buildsOnDevice(boolean isGpu) {
        return DEVICE.equals(candidateBuild) || AUTO.equals(candidateBuild) && isGpu;
    }
}
