package dev.evomerge.executor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.merge.MergePlan;
import dev.evomerge.model.DeviceMerge;
import dev.evomerge.model.DeviceTensors;
import dev.evomerge.model.WeightSource;
import java.util.Optional;

/**
 * A candidate's weights, merged tensor by tensor as the model loads them, never written to disk:
 * in Java, straight from the parents' mapped tensors onto the device; or, given the executor's
 * {@link ResidentParents}, with device operations on the parents kept there ({@link DeviceMerge}),
 * so nothing crosses from host to device but the keep decisions of random methods (and any spilled
 * parent). Tensors whose method has no device form, or whose plan permutes or rounds its inputs
 * first, are merged in Java either way. A tensor with a NaN or an infinity makes the candidate
 * unusable, said here rather than found as a NaN loss later.
 */
final class CandidateWeights implements WeightSource {
    private final MergePlan plan;
    private final String label;
    private final ModelConfig config;
    private final ResidentParents resident;

    /** Merged in Java. */
    CandidateWeights(MergePlan plan, String label) {
        this(plan, label, null);
    }

    /** Merged on {@code resident}'s device where the method has a device form; null: in Java. */
    CandidateWeights(MergePlan plan, String label, ResidentParents resident) {
        this.plan = plan;
        this.label = label;
        this.config = plan.config();
        this.resident = resident;
    }

    @Override
    public String name() {
        return label;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public boolean contains(String tensor) {
        return plan.contains(tensor);
    }

    @Override
    public long[] shape(String tensor) {
        return plan.spec(tensor).shape();
    }

    /** Whether the plan's tensor is merged on the device (else in Java). */
    boolean onDevice(String tensor) {
        Optional<MergePlan.Step> step = plan.step(tensor);
        return resident != null && step.isPresent() && DeviceMerge.supports(step.get().method());
    }

    @Override
    public NDArray load(NDManager manager, String tensor, DataType target) {
        return onDevice(tensor) ? mergedOnDevice(manager, tensor, target) : mergedInJava(manager, tensor, target);
    }

    private NDArray mergedInJava(NDManager manager, String tensor, DataType target) {
        float[] values = plan.floats(tensor);
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw nonFinite(tensor, values[i], i);
            }
        }
        return DeviceTensors.fromFloats(manager, values, new Shape(plan.spec(tensor).shape()), target, label, tensor);
    }

    private NDArray mergedOnDevice(NDManager manager, String tensor, DataType target) {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray merged = DeviceMerge.merge(plan.step(tensor).orElseThrow(), resident::get, scratch);
            NDArray bad = merged.isNaN().logicalOr(merged.isInfinite());
            if (bad.any().getBoolean()) {
                long index = bad.reshape(-1).toType(DataType.INT32, false).argMax().getLong();
                throw nonFinite(tensor, merged.reshape(-1).getFloat(index), index);
            }
            if (target == DataType.FLOAT16 && merged.abs().max().getFloat() > 65504f) {
                throw new CandidateException(label + ": merged tensor '" + tensor + "' has a value beyond float16's range; "
                        + "run this model in float32");
            }
            NDArray out = merged.toType(target, false); // the merged array itself when already the target's type
            out.attach(manager);
            return out;
        }
    }

    /** A candidate unusable for a NaN or an infinity in one of its merged tensors, said with the first such entry. */
    private CandidateException nonFinite(String tensor, float value, long index) {
        return new CandidateException(label + ": merged tensor '" + tensor + "' has a non-finite value (" + value + ") at index "
                + index);
    }
}
