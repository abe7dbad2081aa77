package dev.evomerge.executor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.merge.MergePlan;
import dev.evomerge.model.DeviceMerge;
import dev.evomerge.model.WeightSource;
import java.util.Optional;

/**
 * A candidate's weights merged on the device, tensor by tensor as the model loads them, from the
 * executor's {@link ResidentParents}: nothing crosses from host to device but the keep decisions
 * of random methods (and any spilled parent). Tensors whose method has no device form, or whose
 * plan permutes or rounds its inputs first, are merged in Java as {@link CandidateWeights} does.
 */
final class DeviceCandidateWeights implements WeightSource {
    private final MergePlan plan;
    private final CandidateWeights java;
    private final ResidentParents parents;

    DeviceCandidateWeights(MergePlan plan, String label, ResidentParents parents) {
        this.plan = plan;
        this.java = new CandidateWeights(plan, label);
        this.parents = parents;
    }

    @Override
    public String name() {
        return java.name();
    }

    @Override
    public ModelConfig config() {
        return java.config();
    }

    @Override
    public boolean contains(String tensor) {
        return java.contains(tensor);
    }

    @Override
    public long[] shape(String tensor) {
        return java.shape(tensor);
    }

    /** Whether the plan's tensor is merged on the device (else in Java). */
    boolean onDevice(String tensor) {
        Optional<MergePlan.Step> step = plan.step(tensor);
        return step.isPresent() && DeviceMerge.supports(step.get().method());
    }

    @Override
    public NDArray load(NDManager manager, String tensor, DataType target) {
        if (!onDevice(tensor)) {
            return java.load(manager, tensor, target);
        }
        try (NDManager scratch = manager.newSubManager()) {
            NDArray merged = DeviceMerge.merge(plan.step(tensor).orElseThrow(), parents::get, scratch);
            NDArray bad = merged.isNaN().logicalOr(merged.isInfinite());
            if (bad.any().getBoolean()) {
                long index = bad.reshape(-1).toType(DataType.INT32, false).argMax().getLong();
                throw CandidateWeights.nonFinite(name(), tensor, merged.reshape(-1).getFloat(index), index);
            }
            if (target == DataType.FLOAT16 && merged.abs().max().getFloat() > 65504f) {
                throw new CandidateException(name() + ": merged tensor '" + tensor + "' has a value beyond float16's range; "
                        + "run this model in float32");
            }
            NDArray out = merged.toType(target, false); // the merged array itself when already the target's type
            out.attach(manager);
            return out;
        }
    }
}
