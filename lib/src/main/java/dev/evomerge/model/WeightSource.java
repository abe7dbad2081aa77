package dev.evomerge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.ModelConfig;

/**
 * Where a {@link Transformer}'s weights come from, tensor by tensor: a checkpoint on disk, or a
 * merge computed on the fly (an evolve candidate is built straight onto the device, never written).
 */
public interface WeightSource {

    /** Names the source in errors: a directory, or a recipe. */
    String name();

    ModelConfig config();

    boolean contains(String tensor);

    long[] shape(String tensor);

    /** The tensor on {@code manager}'s device as {@code target} (FLOAT32 or FLOAT16). */
    NDArray load(NDManager manager, String tensor, DataType target);

    static WeightSource of(Checkpoint checkpoint) {
        return new WeightSource() {
            @Override
            public String name() {
                return checkpoint.dir().toString();
            }

            @Override
            public ModelConfig config() {
                return checkpoint.config();
            }

            @Override
            public boolean contains(String tensor) {
                return checkpoint.contains(tensor);
            }

            @Override
            public long[] shape(String tensor) {
                return checkpoint.tensor(tensor).shape();
            }

            @Override
            public NDArray load(NDManager manager, String tensor, DataType target) {
                return DeviceTensors.load(manager, checkpoint, tensor, target);
            }
        };
    }
}
