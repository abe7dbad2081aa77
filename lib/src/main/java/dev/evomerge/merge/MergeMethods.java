package dev.evomerge.merge;

import dev.evomerge.merge.GeneralizedTaskArithmetic.Consensus;
import dev.evomerge.merge.kernel.Sparsification;
import java.util.LinkedHashMap;
import java.util.Map;

/** The registry of merge methods by their mergekit names. Adding a method touches its class and this list. */
public final class MergeMethods {
    private static final Map<String, MergeMethod> BY_NAME = new LinkedHashMap<>();

    static {
        register(new Linear());
        register(new Slerp());
        register(new NuSlerp());
        register(new ModelStock());
        register(new Passthrough());
        // The generalized task arithmetic family, with mergekit's switches and defaults (normalize, rescale).
        register(new GeneralizedTaskArithmetic("task_arithmetic", Consensus.NONE, null, false, false));
        register(new GeneralizedTaskArithmetic("ties", Consensus.SUM, Sparsification.MAGNITUDE, true, false));
        register(new GeneralizedTaskArithmetic("dare_ties", Consensus.SUM, Sparsification.RANDOM, false, true));
        register(new GeneralizedTaskArithmetic("dare_linear", Consensus.NONE, Sparsification.RANDOM, false, true));
        register(new GeneralizedTaskArithmetic("breadcrumbs", Consensus.NONE, Sparsification.MAGNITUDE_OUTLIERS, false, false));
        register(new GeneralizedTaskArithmetic("breadcrumbs_ties", Consensus.SUM, Sparsification.MAGNITUDE_OUTLIERS, false, false));
        register(new GeneralizedTaskArithmetic("della", Consensus.SUM, Sparsification.DELLA_MAGPRUNE, true, true));
        register(new GeneralizedTaskArithmetic("della_linear", Consensus.NONE, Sparsification.DELLA_MAGPRUNE, false, true));
    }

    private MergeMethods() {
    }

    private static void register(MergeMethod m) {
        BY_NAME.put(m.name(), m);
    }

    public static MergeMethod byName(String name) {
        MergeMethod m = BY_NAME.get(name);
        if (m == null) {
            throw new IllegalArgumentException("unknown merge method '" + name + "' (known: " + String.join(", ", BY_NAME.keySet()) + ")");
        }
        return m;
    }

    public static Iterable<String> names() {
        return BY_NAME.keySet();
    }
}
