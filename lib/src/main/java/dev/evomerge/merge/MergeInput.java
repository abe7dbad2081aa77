package dev.evomerge.merge;

import dev.evomerge.io.DType;
import dev.evomerge.io.TensorBytes;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/**
 * Everything a merge method sees for one weight: the base model's tensor (null when the method
 * needs none; stored bytes too, so an element-wise method reads it a chunk at a time), each
 * other model's tensor with its already-resolved numbers for this weight (weight, density,
 * gamma, epsilon: gradients and filters are resolved before, elsewhere), the method-wide
 * parameters (normalize, rescale, lambda), and the seed of this tensor's randomness.
 */
public record MergeInput(String tensorName, long[] shape, ModelTensor base, List<ModelTensor> models,
                         Map<String, Double> globals, long seed) {

    /** With the base's values given (null for none). */
    public MergeInput(String tensorName, long[] shape, float[] base, List<ModelTensor> models, Map<String, Double> globals,
                      long seed) {
        this(tensorName, shape, base == null ? null : new ModelTensor(base, Map.of()), models, globals, seed);
    }

    /** The base's values, decoded whole (null without a base). */
    public float[] baseValues() {
        return base == null ? null : base.values();
    }

    /**
     * One model's values of this weight and its numbers for it. The values are either given, or
     * stored bytes (a memory-mapped tensor in any float dtype) decoded when asked: whole
     * ({@link #values()}, once) or a chunk at a time ({@link #read}), which lets an element-wise
     * method decode and combine in one pass over memory instead of two.
     */
    public static final class ModelTensor {
        private final Map<String, Double> params;
        private final ByteBuffer stored;
        private final DType dtype;
        private final int size;
        private volatile float[] values;

        public ModelTensor(float[] values, Map<String, Double> params) {
            this.values = values;
            this.params = params;
            this.stored = null;
            this.dtype = DType.F32;
            this.size = values.length;
        }

        private ModelTensor(ByteBuffer stored, DType dtype, int size, Map<String, Double> params) {
            this.stored = stored;
            this.dtype = dtype;
            this.size = size;
            this.params = params;
        }

        /** A tensor's stored little-endian bytes, decoded only when read. */
        public static ModelTensor stored(ByteBuffer bytes, DType dtype, int size, Map<String, Double> params) {
            return new ModelTensor(bytes, dtype, size, params);
        }

        public Map<String, Double> params() {
            return params;
        }

        public int size() {
            return size;
        }

        /** All values, decoded on the first call. */
        public synchronized float[] values() {
            if (values == null) {
                values = TensorBytes.toFloats(stored, dtype, size);
            }
            return values;
        }

        /** Values [from, from + count) into {@code dst} from index {@code at}. */
        public void read(int from, int count, float[] dst, int at) {
            float[] decoded = decodedIfAny();
            if (decoded != null) {
                System.arraycopy(decoded, from, dst, at, count);
            } else {
                TensorBytes.toFloats(stored, dtype, from, count, dst, at);
            }
        }

        /**
         * {@code dst[at + i] += w * value[from + i]} for i in [0, count): one pass over the stored
         * bytes, decoding through {@code scratch} only where the dtype needs it.
         */
        public void addScaled(int from, int count, float w, float[] dst, int at, float[] scratch) {
            float[] decoded = decodedIfAny();
            if (decoded != null) {
                for (int i = 0; i < count; i++) {
                    dst[at + i] += w * decoded[from + i];
                }
            } else {
                TensorBytes.addScaled(stored, dtype, from, count, w, dst, at, scratch);
            }
        }

        /** The values if given or already decoded whole (then read from them), else null (read the bytes). */
        private float[] decodedIfAny() {
            return values;
        }

        public double param(String name, double fallback) {
            return MergeParameters.value(params, name, fallback);
        }

        public double required(String tensor, String name) {
            return MergeParameters.required(params, tensor, name);
        }
    }

    public double global(String name, double fallback) {
        return MergeParameters.value(globals, name, fallback);
    }

    public boolean flag(String name, boolean fallback) {
        return MergeParameters.flag(globals, name, fallback);
    }

    public int size() {
        return models.isEmpty() ? base.size() : models.get(0).size();
    }
}
