package dev.evomerge.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.evomerge.Fixtures;
import dev.evomerge.SyntheticCheckpoints;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.DType;
import dev.evomerge.io.ShardedWriter;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorSpec;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.MergePlan;
import dev.evomerge.merge.Merger;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Candidates built with device operations from resident parents (on this CPU, through the same
 * DJL calls a GPU runs) against the Java merge of the same recipe, tensor by tensor: bit for bit,
 * but where a method rescales by an L1 sum over the whole tensor (DARE, DELLA), which a device
 * reduces in another order.
 */
class CandidateWeightsOnDeviceTest {
    /** The rescaled methods' tolerance: relative to the tensor's largest entry. The factor's last bit moves at most. */
    static final double RESCALED_TOLERANCE = 1e-6;

    @TempDir
    Path tmp;

    private final Map<String, Checkpoint> open = new HashMap<>();
    private final Function<String, Checkpoint> opener = l -> open.computeIfAbsent(l, x -> Checkpoint.open(Path.of(x)));

    @AfterEach
    void close() {
        open.values().forEach(Checkpoint::close);
    }

    static String recipe(String method, Path base, Path a, Path b) {
        String params = switch (method) {
            case "linear" -> "";
            case "breadcrumbs", "breadcrumbs_ties" -> ", density: 0.7, gamma: 0.05";
            case "della", "della_linear" -> ", density: 0.5, epsilon: 0.2";
            default -> ", density: 0.45";
        };
        return """
                merge_method: %s
                base_model: %s
                models:
                  - {model: %s, parameters: {weight: 0.6%s}}
                  - {model: %s, parameters: {weight: [0.3, 0.9]%s}}
                %s
                dtype: float32
                seed: 7
                """.formatted(method, base, a, params, b, params, method.equals("linear") ? "" : "parameters: {lambda: 0.85}");
    }

    /** The largest difference, relative to the Java tensor's largest magnitude; -1 when every entry is bit-identical. */
    static double compare(MergePlan plan, CandidateWeights device, String tensor) {
        float[] java = plan.floats(tensor);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = device.load(m, tensor, DataType.FLOAT32);
            float[] dev = a.toFloatArray();
            assertEquals(java.length, dev.length, tensor);
            boolean identical = true;
            double worst = 0;
            double scale = 0;
            for (int i = 0; i < java.length; i++) {
                identical &= Float.floatToRawIntBits(java[i]) == Float.floatToRawIntBits(dev[i]);
                worst = Math.max(worst, Math.abs(java[i] - dev[i]));
                scale = Math.max(scale, Math.abs(java[i]));
            }
            return identical ? -1 : worst / scale;
        }
    }

    /** Every tensor of the recipe's output built on the device, compared with the Java merge; the largest relative difference. */
    private double buildAll(String recipe, DataType resident, long budget, List<String> notOnDevice) {
        MergePlan plan = Merger.plan(MergeConfig.parse("candidate", recipe), opener);
        try (ResidentParents parents = new ResidentParents(Device.cpu(), resident, budget)) {
            CandidateWeights device = new CandidateWeights(plan, "candidate", parents);
            double worst = -1;
            for (String tensor : plan.reference().tensors().keySet()) {
                if (!device.onDevice(tensor)) {
                    notOnDevice.add(tensor);
                }
                worst = Math.max(worst, compare(plan, device, tensor));
            }
            return worst;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear", "task_arithmetic", "ties", "dare_ties", "dare_linear", "breadcrumbs", "breadcrumbs_ties",
            "della", "della_linear"})
    void theBundledFamilyMergesOnTheDeviceAsInJava(String method) {
        List<String> notOnDevice = new ArrayList<>();
        double worst = buildAll(recipe(method, Fixtures.model("stories260K"), Fixtures.model("stories260K-math"),
                Fixtures.model("stories260K-ja")), DataType.FLOAT32, Long.MAX_VALUE, notOnDevice);
        assertEquals(List.of(), notOnDevice, "every tensor merged on the device");
        if (method.startsWith("dare") || method.startsWith("della")) {
            assertTrue(worst <= RESCALED_TOLERANCE, method + ": largest relative difference " + worst);
        } else {
            assertEquals(-1, worst, method + ": bit for bit (largest relative difference " + worst + ")");
        }
    }

    /**
     * bfloat16 parents whose task vectors tie in magnitude everywhere (8 bits of mantissa): the
     * ranks that TIES, Breadcrumbs and DELLA keep break ties by index, on the device as in Java.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ties", "breadcrumbs_ties", "della_linear"})
    void magnitudeTiesBreakByIndexOnTheDeviceAsInJava(String method) throws IOException {
        Path[] family = family(DType.BF16);
        List<String> notOnDevice = new ArrayList<>();
        double worst = buildAll(recipe(method, family[0], family[1], family[2]), DataType.FLOAT32, Long.MAX_VALUE, notOnDevice);
        assertEquals(List.of(), notOnDevice);
        assertTrue(method.startsWith("della") ? worst <= RESCALED_TOLERANCE : worst == -1, method + ": " + worst);
        float[] delta = deltaOf(family, "model.layers.0.mlp.up_proj.weight");
        long distinct = java.util.stream.IntStream.range(0, delta.length).mapToObj(i -> Math.abs(delta[i])).distinct().count();
        assertEquals(5, distinct, "ties everywhere: 5 magnitudes among " + delta.length + " entries");
    }

    /**
     * The GPU's form: parents resident in float16. From float16 files the inputs are the Java
     * merge's exactly, so the result is too.
     */
    @Test
    void float16ResidentParentsFromFloat16FilesMergeAsInJava() throws IOException {
        Path[] family = family(DType.F16);
        List<String> notOnDevice = new ArrayList<>();
        assertEquals(-1, buildAll(recipe("ties", family[0], family[1], family[2]), DataType.FLOAT16, Long.MAX_VALUE, notOnDevice));
        assertEquals(-1, buildAll(recipe("task_arithmetic", family[0], family[1], family[2]), DataType.FLOAT16, Long.MAX_VALUE,
                notOnDevice));
    }

    /**
     * Candidates built one after another from the same resident parents, float32 (the CPU's form):
     * each the Java merge's, so no build changed a resident parent (a merge works in place on its
     * own copies).
     */
    @Test
    void residentParentsAreUnchangedByTheCandidatesBuiltFromThem() {
        Path base = Fixtures.model("stories260K");
        try (ResidentParents parents = new ResidentParents(Device.cpu(), DataType.FLOAT32, Long.MAX_VALUE)) {
            for (String method : List.of("dare_ties", "ties", "linear", "task_arithmetic")) {
                MergePlan plan = Merger.plan(MergeConfig.parse("candidate", recipe(method, base, Fixtures.model("stories260K-math"),
                        Fixtures.model("stories260K-ja"))), opener);
                CandidateWeights device = new CandidateWeights(plan, "candidate", parents);
                for (String tensor : plan.reference().tensors().keySet()) {
                    assertEquals(-1, compare(plan, device, tensor), method + " " + tensor);
                }
            }
        }
    }

    /** A budget smaller than the parents: the spilled tensors are uploaded per candidate, and the merge is the same. */
    @Test
    void parentsBeyondTheBudgetAreSpilledAndMergeTheSame() {
        String recipe = recipe("breadcrumbs_ties", Fixtures.model("stories260K"), Fixtures.model("stories260K-math"),
                Fixtures.model("stories260K-ja"));
        MergePlan plan = Merger.plan(MergeConfig.parse("candidate", recipe), opener);
        long parentBytes = 3 * plan.parameters() * 4;
        try (ResidentParents parents = new ResidentParents(Device.cpu(), DataType.FLOAT32, parentBytes / 2)) {
            CandidateWeights device = new CandidateWeights(plan, "candidate", parents);
            for (String tensor : plan.reference().tensors().keySet()) {
                assertEquals(-1, compare(plan, device, tensor), tensor);
            }
            assertTrue(parents.residentBytes() <= parentBytes / 2, "kept within the budget: " + parents.residentBytes());
            assertTrue(parents.spilledBytes() > 0, "some spilled");
            assertEquals(parentBytes, parents.residentBytes() + parents.spilledBytes(), "every parent tensor kept or spilled once");
        }
    }

    /** Slerp has no device form: its tensors are merged in Java, and the candidate is still the Java merge's. */
    @Test
    void aMethodWithoutADeviceFormIsMergedInJava() {
        String recipe = """
                merge_method: slerp
                base_model: %s
                models: [{model: %s}, {model: %s}]
                parameters: {t: 0.4}
                """.formatted(Fixtures.model("stories260K"), Fixtures.model("stories260K"), Fixtures.model("stories260K-math"));
        List<String> notOnDevice = new ArrayList<>();
        assertEquals(-1, buildAll(recipe, DataType.FLOAT32, Long.MAX_VALUE, notOnDevice));
        assertFalse(notOnDevice.isEmpty());
    }

    @Test
    void theBudgetLeavesRoomForTheCandidatesAndTheScratch() {
        ExecutorSettings settings = new ExecutorSettings("gpu", 2, ExecutorSettings.DEVICE, 80);
        long params = 7_241_732_096L; // Mistral-7B
        long largest = 32000L * 4096;
        long budget = ResidentParents.budget(settings, Device.cpu(), params, largest, 4);
        // 80e9 - 8e9 (a tenth) - 2 x 7.24e9 x 4 bytes (float32 on a CPU) - 131M x 4 x 7 scratch
        assertEquals(80_000_000_000L - 8_000_000_000L - 2 * params * 4 - largest * 4 * 7, budget);
        assertEquals(Long.MAX_VALUE, ResidentParents.budget(new ExecutorSettings("cpu", 2, ExecutorSettings.AUTO, 0), Device.cpu(), params, largest, 4));
    }

    /**
     * A base and two models of one small shape, in {@code dtype}: every value a multiple of 1/64
     * (exact in bfloat16 and float16), each model the base plus k/64 with k in [-4, 4], so their
     * task vectors take 9 values and tie in magnitude everywhere.
     */
    private Path[] family(DType dtype) throws IOException {
        SyntheticCheckpoints.Spec spec = new SyntheticCheckpoints.Spec("llama", 64, 4, 2, 2, 160, 96, false, null);
        Path source = tmp.resolve("source");
        SyntheticCheckpoints.write(source, spec, 11, 0.1, 0.01, dtype);
        Checkpoint c = opener.apply(source.toString());
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        Path[] dirs = new Path[3];
        for (int i = 0; i < 3; i++) {
            dirs[i] = Files.createDirectories(tmp.resolve(dtype.torchName() + "-" + i));
            Files.copy(source.resolve("config.json"), dirs[i].resolve("config.json"));
            List<TensorSpec> specs = c.tensors().values().stream().map(t -> new TensorSpec(t.name(), dtype, t.shape())).toList();
            try (ShardedWriter w = new ShardedWriter(dirs[i], specs, ShardedWriter.DEFAULT_MAX_SHARD_BYTES)) {
                for (TensorSpec t : specs) {
                    float[] v = c.floats(t.name());
                    for (int j = 0; j < v.length; j++) {
                        v[j] = Math.round(v[j] * 64) / 64f + (i == 0 ? 0 : (rnd.nextInt(9) - 4) / 64f);
                    }
                    w.write(t.name(), TensorBytes.fromFloats(v, dtype));
                }
                w.finish();
            }
        }
        return dirs;
    }

    private float[] deltaOf(Path[] family, String tensor) {
        float[] a = opener.apply(family[1].toString()).floats(tensor);
        float[] b = opener.apply(family[0].toString()).floats(tensor);
        float[] d = new float[a.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }
}
