package dev.evomerge.model;

/**
 * DJL as evomerge runs it: offline, whatever the launch flags say. DJL reads
 * {@code ai.djl.offline} when its engine and tokenizers load, and would otherwise fetch missing
 * natives from the internet; evomerge's natives come from the build (the PyTorch CPU jar) or from
 * {@code PYTORCH_LIBRARY_PATH} on GPU nodes. Every class of evomerge that can load DJL first
 * touches this one ({@link #init()} in its static initializer), so the setting is in place on
 * every JVM, executors included, before DJL starts.
 */
public final class Djl {
    static {
        System.setProperty("ai.djl.offline", "true");
    }

    private Djl() {
    }

    /** Runs the static initializer above (once per JVM); does nothing else. */
    public static void init() {
    }

    /**
     * Turns PyTorch's autograd recording off on the calling thread. The mode is thread-local, a
     * Spark executor's task thread may find it on (left by an earlier task in the same JVM: the
     * compose job failed so after the mini world's job), and DJL's GradientCollector restores the
     * mode it found when it closes: an optimizer's in-place update of a weight that requires a
     * gradient then fails ("a leaf Variable that requires grad is being used in an in-place
     * operation"). Training calls this first, so each collector closes back to "off".
     */
    public static void noGradientsOnThisThread() {
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    }
}
