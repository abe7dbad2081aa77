package dev.evomerge.executor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.merge.MergePlan;
import dev.evomerge.model.DeviceTensors;
import dev.evomerge.model.WeightSource;

/**
 * A candidate's weights, merged tensor by tensor as the model loads them: straight from the
 * parents' mapped tensors onto the device, never written to disk. A tensor with a NaN or an
 * infinity makes the candidate unusable, said here rather than found as a NaN loss later.
 */
final class CandidateWeights implements WeightSource {
    private final MergePlan plan;
    private final String label;
    private final ModelConfig config;

    CandidateWeights(MergePlan plan, String label) {
        this.plan = plan;
        this.label = label;
        this.config = plan.config();
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

    @Override
    public NDArray load(NDManager manager, String tensor, DataType target) {
        float[] values = plan.floats(tensor);
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw nonFinite(label, tensor, values[i], i);
            }
        }
        return DeviceTensors.fromFloats(manager, values, new Shape(plan.spec(tensor).shape()), target, label, tensor);
    }

    /** A candidate unusable for a NaN or an infinity in one of its merged tensors, said with the first such entry. */
    static CandidateException nonFinite(String label, String tensor, float value, long index) {
        return new CandidateException(label + ": merged tensor '" + tensor + "' has a non-finite value (" + value + ") at index "
                + index);
    }
}
