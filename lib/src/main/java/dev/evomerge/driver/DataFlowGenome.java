package dev.evomerge.driver;

import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.CheckpointHeaders;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.AsIs;
import dev.evomerge.merge.LayerPathMerge;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.Recipe;
import dev.evomerge.model.LayerPath;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The genome of a data-flow-space merge, as the paper defines it (Akiba et al. 2024, section
 * 3.2). Lay out every layer of every pool model in order (M layers in all) and repeat that
 * sequence r times: T = M r slots. An indicator I_t per slot puts slot t's layer on the path when
 * I_t > 0; the path keeps the slots' order. Model A (the anchor) gives the embeddings and head, and
 * its first and last layers are fixed at the start and the end of the path (their first-repetition
 * slots carry no indicator). The hidden state entering a layer is scaled: by W_ij when it comes
 * from layer i and enters layer j ({@code scales: matrix}, M x M genes, the paper's), by one
 * scale per slot ({@code slot}, T - 1 genes: cheaper for large pools), or not ({@code none}).
 *
 * <p>Genome layout: the indicators of the slots in slot order (skipping the two fixed ones), then
 * the scales (W row-major by from-layer, or by slot). Indicators live in [-1, 1], scales in
 * [0, 2]. The starting point is the paper's: I = 0 everywhere except model A's slots of the first
 * repetition, which are on ({@link #ON}); every scale 1. Its path is model A itself.
 */
public final class DataFlowGenome implements Genome {
    /** The starting indicator of model A's first-repetition slots: on, and a few sigma0 away from off. */
    public static final double ON = 0.5;
    static final double SCALE_MAX = 2;

    private final RunConfig run;
    private final List<Recipe> pool;
    private final int anchor;
    private final int[] layers; // per pool model
    private final int[] offset; // global index of each model's layer 0
    private final int m; // M: layers in the pool
    private final int slots; // T = M r
    private final int fixedFirst;
    private final int fixedLast;
    private final int[] indicatorGene; // slot -> gene, -1 for the fixed slots
    private final int[] slotScaleGene; // slot -> gene (scales: slot), -1 otherwise
    private final int scalesStart;
    private final int size;

    /** A genome over a pool whose models have {@code layers[i]} layers each. */
    DataFlowGenome(RunConfig run, int[] layers) {
        this.run = run;
        RunConfig.DataFlow df = run.dataFlow();
        this.pool = df.pool();
        this.anchor = df.anchor();
        this.layers = layers.clone();
        this.offset = new int[layers.length];
        int total = 0;
        for (int i = 0; i < layers.length; i++) {
            offset[i] = total;
            total += layers[i];
        }
        this.m = total;
        this.slots = total * df.repeats();
        this.fixedFirst = offset[anchor];
        this.fixedLast = offset[anchor] + layers[anchor] - 1;
        this.indicatorGene = new int[slots];
        int gene = 0;
        for (int t = 0; t < slots; t++) {
            indicatorGene[t] = t == fixedFirst || t == fixedLast ? -1 : gene++;
        }
        this.scalesStart = gene;
        this.slotScaleGene = new int[slots];
        Arrays.fill(slotScaleGene, -1);
        switch (df.scales()) {
            case "matrix" -> gene += m * m;
            case "slot" -> {
                for (int t = 0; t < slots; t++) {
                    slotScaleGene[t] = t == fixedFirst ? -1 : gene++; // the first layer's input is the embeddings, unscaled
                }
            }
            default -> {
            }
        }
        this.size = gene;
    }

    /**
     * The genome of {@code run}'s pool, its layout from the pool's config.json files (no weight
     * read); a pool whose models cannot share a path is refused, one line naming the entry.
     */
    public static DataFlowGenome of(RunConfig run, Storage storage) {
        List<Recipe> pool = run.dataFlow().pool();
        int[] layers = new int[pool.size()];
        ModelConfig[] configs = new ModelConfig[pool.size()];
        for (int i = 0; i < pool.size(); i++) {
            Recipe r = pool.get(i);
            if (r instanceof MergeConfig cfg) {
                ModelConfig reference = CheckpointHeaders.read(storage, cfg.referenceModel()).config();
                configs[i] = reference;
                layers[i] = cfg.outputLayers(reference.numHiddenLayers());
            } else {
                configs[i] = CheckpointHeaders.read(storage, ((AsIs) r).location()).config();
                layers[i] = configs[i].numHiddenLayers();
                if (!configs[i].layerScales().isEmpty()) {
                    throw new RunConfigException(run.file(), "merge.pool[" + i + "]", "a scaled layer path cannot be a pool entry; "
                            + "put the models it was evolved from in the pool instead");
                }
            }
        }
        int a = run.dataFlow().anchor();
        for (int i = 0; i < pool.size(); i++) {
            try {
                configs[a].requireSame("pool[" + a + "] (model A)", configs[i], "pool[" + i + "]",
                        " (a layer path joins layers of models of the same shapes)", "hidden_size", "num_attention_heads",
                        "num_key_value_heads", "head_dim", "vocab_size", "rope_theta", "rms_norm_eps", "sliding_window");
            } catch (CheckpointException e) {
                throw new RunConfigException(run.file(), "merge.pool[" + i + "]", e.getMessage().replaceFirst("^pool\\[\\d+\\]: ", ""));
            }
        }
        if (layers[a] < 2) {
            throw new RunConfigException(run.file(), "merge.anchor", "model A has " + layers[a]
                    + " layer; its first and last layers are fixed at the ends of the path, so it needs two");
        }
        return new DataFlowGenome(run, layers);
    }

    @Override
    public int size() {
        return size;
    }

    /** How many layers each pool model has. */
    public int[] layers() {
        return layers.clone();
    }

    /** T = M r. */
    public int slots() {
        return slots;
    }

    private String layerName(int global) {
        int model = modelOf(global);
        return LayerPathMerge.poolName(model) + Integer.toString(global - offset[model]);
    }

    private int modelOf(int global) {
        int model = 0;
        while (model + 1 < offset.length && offset[model + 1] <= global) {
            model++;
        }
        return model;
    }

    /** {@code I.r1.B3}: the indicator of model B's layer 3 in repetition 1; {@code W.A2>B3}, {@code S.r0.B3}: scales. */
    @Override
    public List<String> geneNames() {
        String[] names = new String[size];
        for (int t = 0; t < slots; t++) {
            String slot = "r" + t / m + "." + layerName(t % m);
            if (indicatorGene[t] >= 0) {
                names[indicatorGene[t]] = "I." + slot;
            }
            if (slotScaleGene[t] >= 0) {
                names[slotScaleGene[t]] = "S." + slot;
            }
        }
        if (run.dataFlow().scales().equals("matrix")) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    names[scalesStart + i * m + j] = "W." + layerName(i) + ">" + layerName(j);
                }
            }
        }
        return List.of(names);
    }

    @Override
    public double[] lower() {
        double[] lo = new double[size];
        Arrays.fill(lo, 0, scalesStart, -1);
        return lo;
    }

    @Override
    public double[] upper() {
        double[] hi = new double[size];
        Arrays.fill(hi, 0, scalesStart, 1);
        Arrays.fill(hi, scalesStart, size, SCALE_MAX);
        return hi;
    }

    /** The include indicators are binary: a path either visits a slot or not. */
    @Override
    public boolean[] binary() {
        boolean[] b = new boolean[size];
        Arrays.fill(b, 0, scalesStart, true);
        return b;
    }

    /** The paper's start: model A's first-repetition layers on, every other slot at 0 (off), every scale 1. */
    @Override
    public double[] initial() {
        double[] x = new double[size];
        for (int l = 0; l < layers[anchor]; l++) {
            int g = indicatorGene[offset[anchor] + l];
            if (g >= 0) {
                x[g] = ON;
            }
        }
        Arrays.fill(x, scalesStart, size, 1.0);
        return x;
    }

    @Override
    public LayerPathMerge decode(double[] genes) {
        if (genes.length != size) {
            throw new IllegalArgumentException("genome of " + genes.length + " genes, the layout has " + size);
        }
        List<LayerPath.Step> steps = new ArrayList<>();
        steps.add(new LayerPath.Step(anchor, 0, 1.0));
        int from = fixedFirst;
        for (int t = 0; t < slots; t++) {
            if (indicatorGene[t] >= 0 && genes[indicatorGene[t]] > 0) {
                steps.add(step(genes, from, t));
                from = t % m;
            }
        }
        steps.add(step(genes, from, fixedLast));
        return new LayerPathMerge(pool, new LayerPath(steps, anchor), null);
    }

    /** Slot t's layer, entered from global layer {@code from}, with its scale. */
    private LayerPath.Step step(double[] genes, int from, int t) {
        int to = t % m;
        double scale = switch (run.dataFlow().scales()) {
            case "matrix" -> genes[scalesStart + from * m + to];
            case "slot" -> genes[slotScaleGene[t]];
            default -> 1.0;
        };
        int model = modelOf(to);
        return new LayerPath.Step(model, to - offset[model], scale);
    }

    @Override
    public String describe() {
        String scales = switch (run.dataFlow().scales()) {
            case "matrix" -> m * m + " scales (W, " + m + " x " + m + ")";
            case "slot" -> (slots - 1) + " scales (one per slot)";
            default -> "no scales";
        };
        return String.format(Locale.ROOT, "%d genes = %d indicators (%d slots: %d layers of %d models x r=%d; model A's first "
                        + "and last layers fixed) + %s", size, scalesStart, slots, m, layers.length, run.dataFlow().repeats(),
                scales);
    }

    /** The pool's parameter-space recipes (PS+DFS): the PS model the path search starts from is the row to beat. */
    @Override
    public Map<String, Recipe> baselines() {
        Map<String, Recipe> out = new LinkedHashMap<>();
        for (int i = 0; i < pool.size(); i++) {
            if (pool.get(i) instanceof MergeConfig cfg) {
                out.put("pool " + LayerPathMerge.poolName(i) + ": " + cfg.mergeMethod() + " merge", cfg);
            }
        }
        return out;
    }
}
