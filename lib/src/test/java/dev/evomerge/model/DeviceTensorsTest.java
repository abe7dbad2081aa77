package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.Fixtures;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.HalfFloats;
import org.junit.jupiter.api.Test;

/** DJL's PyTorch engine runs offline from the Maven native jar, and checkpoint tensors reach it intact. */
class DeviceTensorsTest {

    @Test
    void embeddingsEnterDjlAsFloat32AndFloat16() {
        try (Checkpoint c = Checkpoint.open(Fixtures.model("stories260K"));
             NDManager manager = NDManager.newBaseManager()) {
            float[] expected = c.floats("model.embed_tokens.weight");
            NDArray f32 = DeviceTensors.load(manager, c, "model.embed_tokens.weight", DataType.FLOAT32);
            assertEquals(new Shape(512, 64), f32.getShape());
            assertArrayEquals(expected, f32.toFloatArray());

            NDArray f16 = DeviceTensors.load(manager, c, "model.embed_tokens.weight", DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, f16.getDataType());
            float[] back = f16.toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < expected.length; i += 97) {
                assertEquals(HalfFloats.f16ToF32(HalfFloats.f32ToF16(expected[i])), back[i], "element " + i);
            }
            // A sum computed by the engine agrees with one computed in Java.
            double javaSum = 0;
            for (float v : expected) {
                javaSum += v;
            }
            assertEquals(javaSum, f32.sum().getFloat(), 1e-3);
        }
    }
}
