package dev.evomerge.model;

import dev.evomerge.io.SafetensorsWriter;
import dev.evomerge.io.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.DType;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorInfo;
import java.nio.ByteBuffer;

/**
 * Moves checkpoint tensors into DJL. DJL 0.35.1 aborts the JVM on any BFLOAT16 array, so
 * every tensor enters as FLOAT32 (CPU) or FLOAT16 (GPU), converted in Java on the way.
 */
public final class DeviceTensors {
    private DeviceTensors() {
    }

    public static NDArray load(NDManager manager, Checkpoint checkpoint, String name, DataType target) {
        TensorInfo t = checkpoint.tensor(name);
        Shape shape = new Shape(t.shape());
        if (target == DataType.FLOAT16 && t.dtype() == DType.F16) {
            // Not unmapped here: on a CPU, DJL's array may be a view of the buffer it was made from.
            return manager.create(checkpoint.bytes(name), shape, DataType.FLOAT16);
        }
        return fromFloats(manager, checkpoint.floats(name), shape, target, checkpoint.dir().toString(), name);
    }

    /** Values computed in Java (a merged tensor) onto the device; {@code where} and {@code name} label errors. */
    public static NDArray fromFloats(NDManager manager, float[] values, Shape shape, DataType target, String where, String name) {
        return switch (target) {
            case FLOAT32 -> manager.create(values, shape);
            case FLOAT16 -> {
                for (float v : values) {
                    if (Math.abs(v) > 65504f && !Float.isInfinite(v)) {
                        throw new CheckpointException(where, "tensor '" + name + "': value " + v
                                + " overflows float16; run this model in float32");
                    }
                }
                ByteBuffer half = TensorBytes.fromFloats(values, DType.F16);
                yield manager.create(half, shape, DataType.FLOAT16);
            }
            default -> throw new IllegalArgumentException("tensors enter DJL as FLOAT32 or FLOAT16, not " + target);
        };
    }

    /** Arrays (float32) back out of DJL into one safetensors file, in the map's order: a trained model's or composition's weights. */
    public static void writeFloats(Path file, Map<String, NDArray> tensors) {
        List<TensorSpec> specs = new ArrayList<>();
        tensors.forEach((name, a) -> specs.add(new TensorSpec(name, DType.F32, a.getShape().getShape())));
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs)) {
            for (var e : tensors.entrySet()) {
                w.write(e.getKey(), TensorBytes.fromFloats(e.getValue().toFloatArray(), DType.F32));
            }
            w.finish();
        }
    }

}
