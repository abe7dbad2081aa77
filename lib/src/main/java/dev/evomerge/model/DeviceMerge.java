package dev.evomerge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.merge.GeneralizedTaskArithmetic;
import dev.evomerge.merge.Linear;
import dev.evomerge.merge.MergeMethod;
import dev.evomerge.merge.MergePlan;
import dev.evomerge.merge.kernel.KeepMask;
import dev.evomerge.merge.kernel.TaskArithmeticMix;
import dev.evomerge.merge.kernel.Sparsification;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One merge step computed with device operations, on inputs already on the device: linear and
 * the whole task-arithmetic family (task_arithmetic, TIES, DARE, Breadcrumbs, DELLA, and their
 * consensus / linear variants), so a GPU executor builds a candidate from parents it keeps
 * resident instead of streaming every weight through the CPU.
 *
 * <p>Each method is {@link Linear} and {@link GeneralizedTaskArithmetic} step for step: the same
 * float32 operations in the same order, one element-wise operation at a time (nothing fused), so
 * on the same inputs every entry is the Java merge's bit for bit, except where a method sums a
 * whole tensor (DARE's and DELLA's L1 rescale): a device reduces in its own order, and the factor
 * may differ from the Java merge's in its last bits.
 *
 * <p>Random keep decisions come from Java, from the same keyed hash (DARE) and random stream
 * (DELLA) as the Java merge: DJL has no integer bit operations to compute the hash on a device.
 * They travel as packed bits, an eighth of a byte per entry, unpacked there with float
 * arithmetic. Magnitude ranks (TIES, Breadcrumbs, DELLA) are computed on the device, ties broken
 * by index as in Java, so the same entries are kept.
 */
public final class DeviceMerge {
    private DeviceMerge() {
    }

    /** An input of a step as float32 on the device, attached to {@code scratch}. */
    @FunctionalInterface
    public interface Inputs {
        NDArray get(MergePlan.Source source, NDManager scratch);
    }

    /** Whether this class computes {@code method} on a device (the others are merged in Java). */
    public static boolean supports(MergeMethod method) {
        return method instanceof Linear || method instanceof GeneralizedTaskArithmetic;
    }

    /**
     * The cost model of {@link #merge} on a GPU: bytes of device memory read and written per output
     * parameter with {@code models} inputs besides the base, counted operation by operation from
     * the code below (float16 residents widened to float32: 2 + 4; an element-wise binary
     * operation in float32: 8 + 4; a comparison: 4 + 1; a sort counted as four passes over its keys
     * and their indices). Element-wise work on a GPU is bound by memory bandwidth, so time is these
     * bytes over the bandwidth; BENCHMARKS.md lists the counts. 0 for a method without a device form.
     */
    public static double trafficPerParameter(MergeMethod method, int models) {
        if (method instanceof Linear) {
            return 4 + models * (6 + 8 + 12); // zeros; per model: widen, scale, add
        }
        if (!(method instanceof GeneralizedTaskArithmetic gta)) {
            return 0;
        }
        double perModel = 6 + 12; // widen, subtract the base in place
        Sparsification how = gta.sparsification();
        boolean rescale = gta.defaultRescale();
        if (how == Sparsification.RANDOM) {
            perModel += 21 + 12; // unpack the bits (on an eighth of the entries, then three passes), multiply by them
        } else if (how != null) {
            perModel += 8 + 40 + 16 + 32 + 2 * 64 + 25; // |x|, unique, its inverse widened, keys, two argsorts, compare + where
            if (how == Sparsification.DELLA_MAGPRUNE) {
                perModel += 21 + 12; // the draws unpacked and taken by rank
            }
        }
        if (rescale && how != null) {
            perModel += 2 * (8 + 12 + 8); // two L1 sums: |x|, widened to float64, summed
        }
        double mix = gta.consensus() == GeneralizedTaskArithmetic.Consensus.NONE
                ? 4 + models * 20.0 + 20 // zeros; per model scale and add; scale and add to the base
                : 94.0 * models + 84; // the elected sign, then per model agreement, sum and divisor; the disjoint mean
        return 6 + models * perModel + mix; // + the base widened
    }

    /** The step's merged tensor, float32, attached to {@code scratch}. */
    public static NDArray merge(MergePlan.Step step, Inputs inputs, NDManager scratch) {
        if (step.method() instanceof Linear) {
            return linear(step, inputs, scratch);
        }
        if (step.method() instanceof GeneralizedTaskArithmetic gta) {
            return taskArithmetic(gta, step, inputs, scratch);
        }
        throw new IllegalArgumentException("no device merge for method " + step.method().name());
    }

    /** {@link Linear}: sum_m w_m x_m from zero in model order, with {@link Linear#weights}. */
    private static NDArray linear(MergePlan.Step step, Inputs inputs, NDManager scratch) {
        float[] weights = Linear.weights(step.models().stream().mapToDouble(m -> m.required(step.tensor(), "weight")).toArray(),
                step.flag("normalize", true));
        NDArray out = scratch.zeros(new Shape(step.shape()), DataType.FLOAT32);
        for (int m = 0; m < weights.length; m++) {
            try (NDArray x = inputs.get(step.models().get(m), scratch)) {
                out.addi(x.muli(weights[m]));
            }
        }
        return out;
    }

    /** {@link GeneralizedTaskArithmetic#merge}, step by step. */
    private static NDArray taskArithmetic(GeneralizedTaskArithmetic method, MergePlan.Step step, Inputs inputs, NDManager scratch) {
        NDArray base = inputs.get(step.base(), scratch);
        List<MergePlan.Source> models = step.models();
        if (models.isEmpty()) {
            return base;
        }
        int count = models.size();
        boolean rescale = step.flag("rescale", method.defaultRescale());
        // 1. Each model's task vector, sparsified: one random stream per model, in model order.
        SplittableRandom root = new SplittableRandom(step.seed());
        NDArray[] deltas = new NDArray[count];
        float[] weights = new float[count];
        float[] factors = new float[count];
        for (int m = 0; m < count; m++) {
            MergePlan.Source model = models.get(m);
            SplittableRandom rng = root.split();
            weights[m] = (float) model.required(step.tensor(), "weight");
            NDArray delta = inputs.get(model, scratch).subi(base); // our own copy: x - b in place
            double density = model.param("density", 1.0);
            Sparsification how = method.sparsification();
            factors[m] = weights[m];
            if (how == null || density >= 1) { // Sparsification.apply: at density 1 nothing is thinned
                deltas[m] = delta;
            } else if (how == Sparsification.RANDOM) {
                // DARE: the L1 rescale is folded into the model's factor, as Sparsification.l1Restoring does
                NDArray kept;
                try (NDArray keep = unpack(new KeepMask(rng.nextLong(), density).packedBits((int) delta.size()), delta.getShape(),
                        scratch)) {
                    kept = delta.mul(keep);
                }
                if (rescale) {
                    factors[m] = Sparsification.l1Factor(l1(delta), l1(kept)) * weights[m];
                }
                delta.close();
                deltas[m] = kept;
            } else {
                deltas[m] = thinned(how, delta, step.shape(), density, model.param("gamma", 0.01), model.param("epsilon", 0.15),
                        rescale, rng, scratch);
                if (deltas[m] != delta) {
                    delta.close();
                }
            }
        }
        boolean normalize = step.flag("normalize", method.defaultNormalize());
        float lambda = (float) step.global("lambda", 1.0);
        return method.consensus() == GeneralizedTaskArithmetic.Consensus.NONE
                ? all(base, deltas, factors, weights, normalize, lambda, scratch)
                : agreeing(base, deltas, factors, weights, normalize, lambda, scratch);
    }

    /** The task vector thinned by rank (TIES, Breadcrumbs, DELLA): dropped entries +0, then rescaled to the L1 norm if asked. */
    private static NDArray thinned(Sparsification how, NDArray delta, long[] shape, double density, double gamma, double epsilon,
                                   boolean rescale, SplittableRandom rng, NDManager scratch) {
        int n = (int) delta.size();
        NDArray keep;
        if (how == Sparsification.DELLA_MAGPRUNE) {
            if (density <= 0) {
                return scratch.zeros(delta.getShape(), DataType.FLOAT32);
            }
            Sparsification.checkDella(density, epsilon);
            int cols = shape.length == 0 ? 1 : (int) shape[shape.length - 1];
            boolean[] byRank = Sparsification.dellaDraws(n, cols, density, epsilon, rng);
            // the draw for (row, rank) sits at row * cols + rank: exactly an entry's rank among all rows ranked row by row
            keep = unpack(pack(byRank), new Shape(n), scratch).take(ascendingRanks(delta, cols, scratch)).gt(0f);
        } else {
            int[] range = how.keptRanks(n, density, gamma);
            NDArray rank = ascendingRanks(delta, n, scratch);
            keep = rank.gte(range[0]).logicalAnd(rank.lt(range[1]));
        }
        NDArray flat = delta.reshape(n);
        NDArray out = NDArrays.where(keep, flat, scratch.zeros(flat.getShape(), DataType.FLOAT32)).reshape(delta.getShape());
        if (rescale) {
            float scale = Sparsification.l1Factor(l1(delta), l1(out));
            if (scale != 1f) { // as Sparsification's scaleToL1
                out.muli(scale);
            }
        }
        return out;
    }

    /**
     * Each entry's position when the entries are ordered row by row ({@code cols} per row), and
     * within a row by ascending |x|, ties by index: the order of Java's magnitude keys. Distinct
     * magnitudes are numbered first ({@code unique}), so every key (row, number, column) is distinct
     * and any sort, stable or not, orders them the same.
     */
    static NDArray ascendingRanks(NDArray x, int cols, NDManager scratch) {
        int n = (int) x.size();
        int rows = n / cols;
        NDList unique = x.reshape(n).abs().unique(null, true, true, false);
        long distinct = unique.get(0).size();
        // key = (row * distinct + number) * cols + column, in int64 (below 2^63 for any tensor under 3e9 entries)
        NDArray number = unique.get(1).toType(DataType.INT64, false).reshape(rows, cols);
        NDArray row = scratch.arange(0, rows, 1, DataType.INT64).reshape(rows, 1).mul((long) distinct * cols);
        NDArray column = scratch.arange(0, cols, 1, DataType.INT64).reshape(1, cols);
        NDArray key = number.mul((long) cols).add(row).add(column).reshape(n);
        return key.argSort(0, true).argSort(0, true); // the inverse of the ordering permutation: each entry's rank
    }

    /**
     * Keep decisions (1 = kept) for {@code shape}'s entries from packed bits, as 0f / 1f: each byte
     * over the eight powers of two at once (broadcast to [bytes, 8]), floored, modulo 2. Exact:
     * integers below 256 divided by powers of two.
     */
    static NDArray unpack(byte[] packed, Shape shape, NDManager scratch) {
        ByteBuffer direct = ByteBuffer.allocateDirect(packed.length).put(packed).flip();
        try (NDManager local = scratch.newSubManager()) {
            NDArray bytes = local.create(direct, new Shape(packed.length, 1), DataType.UINT8).toType(DataType.FLOAT32, false);
            NDArray powers = local.create(new float[] {1, 2, 4, 8, 16, 32, 64, 128}, new Shape(1, 8));
            NDArray bits = bytes.div(powers).floor().modi(2f).reshape(-1).get("0:" + shape.size()).reshape(shape);
            bits.attach(scratch);
            return bits;
        }
    }

    static byte[] pack(boolean[] bits) {
        byte[] packed = new byte[(bits.length + 7) / 8];
        for (int i = 0; i < bits.length; i++) {
            if (bits[i]) {
                packed[i >>> 3] |= (byte) (1 << (i & 7));
            }
        }
        return packed;
    }

    private static double l1(NDArray x) {
        return x.abs().toType(DataType.FLOAT64, false).sum().getDouble();
    }

    /**
     * No consensus: {@code base + scale * sum_m factors[m] delta_m}, scale = lambda / sum of
     * weights when normalizing. In place, in Java's order; the task vectors are used up.
     */
    private static NDArray all(NDArray base, NDArray[] deltas, float[] factors, float[] weights, boolean normalize, float lambda,
                               NDManager scratch) {
        float scale = TaskArithmeticMix.scale(weights, normalize, lambda);
        try (NDArray sum = scratch.zeros(base.getShape(), DataType.FLOAT32)) {
            for (int m = 0; m < deltas.length; m++) {
                sum.addi(deltas[m].muli(factors[m]));
                deltas[m].close();
            }
            return base.addi(sum.muli(scale));
        }
    }

    /**
     * TIES consensus: entries agreeing with the sign of the weighted sum (0 counts as +), a
     * disjoint mean when normalizing. In place, in Java's order; the task vectors are used up.
     */
    private static NDArray agreeing(NDArray base, NDArray[] deltas, float[] factors, float[] weights, boolean normalize,
                                    float lambda, NDManager scratch) {
        for (int m = 0; m < deltas.length; m++) {
            deltas[m].muli(factors[m]); // f d, the weighted task vector
        }
        NDArray sign;
        try (NDArray elected = deltas[0].duplicate()) {
            for (int m = 1; m < deltas.length; m++) {
                elected.addi(deltas[m]);
            }
            sign = elected.lt(0f).toType(DataType.FLOAT32, false).muli(-2f).addi(1f); // -1 where negative, else +1
        }
        NDArray sum = scratch.zeros(base.getShape(), DataType.FLOAT32);
        NDArray divisor = scratch.zeros(base.getShape(), DataType.FLOAT32);
        for (int m = 0; m < deltas.length; m++) {
            // Java's max(f d s, 0): what agrees with the sign, else a zero (of either sign: a sum that starts at +0 is never
            // -0, so adding it changes nothing, as in Java's loop)
            try (NDArray agreeing = deltas[m].muli(sign).maximum(0f)) {
                deltas[m].close();
                divisor.addi(agreeing.gt(0f).toType(DataType.FLOAT32, false).muli(weights[m]));
                sum.addi(agreeing.muli(sign));
            }
        }
        if (normalize) {
            divisor.addi(divisor.eq(0f).toType(DataType.FLOAT32, false)); // a zero divisor divides by 1
            sum.divi(divisor);
        }
        return base.addi(sum.muli(lambda));
    }

}
